/**
 * The payer's side of hosted checkout (beyond the bearer-authenticated API; scoped by the hosted token):
 *   GET  /checkout/{token}, /pay/{token}     the payment page (one page for both links)
 *   GET  /receipt/{token}                    the receipt, once PAID
 *   GET  /hosted/{token}                     the summary the page shows
 *   GET  /hosted/{token}/quote?currency=&method=
 *   POST /hosted/{token}/pay                 {reference_id, currency, method?, phone?}
 *   GET  /hosted/{token}/attempts/{reference_id}
 *   POST /hosted/{token}/attempts/{reference_id}/realtime-key
 *   GET  /hosted/{token}/3ds-return          where the 3D Secure frame lands
 *   GET  /assets/checkout.js                 the page's script
 * Every request counts against the per-IP rate limit; bodies are small and bounded.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { hostedAttempt, hostedPay, hostedQuote, hostedRealtimeKey, hostedReceipt, hostedSummary, HOSTED_METHODS } from '../services/hosted.js';
import type { Services } from '../services/index.js';
import { challengeReturnPage, checkoutPage, messagePage, receiptPage } from '../web/checkout-page.js';
import { pageHeaders, type PageKind } from '../web/layout.js';
import { Currency, Phone, StringEnum, Type, UuidV4 } from './schemas.js';
import { publicBaseUrl } from './urls.js';

/** A hosted token as newHostedToken() makes it (24 random bytes, base64url); anything else is not one. */
const Token = () => Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' });
const TokenParams = Type.Object({ token: Token() });
const AttemptParams = Type.Object({ token: Token(), reference_id: UuidV4() });
export const HOSTED_BODY_LIMIT_BYTES = 2048;

const SCRIPT = readFileSync(new URL('../web/assets/checkout.js', import.meta.url), 'utf8');
const SCRIPT_VERSION = createHash('sha256').update(SCRIPT).digest('hex').slice(0, 12);
export const CHECKOUT_SCRIPT_URL = `/assets/checkout.js?v=${SCRIPT_VERSION}`;

function sendPage(reply: FastifyReply, status: number, body: string, kind: PageKind = 'checkout') {
  return reply.code(status).headers(pageHeaders(kind)).send(body);
}

/** The HTML pages: errors render as pages, never as JSON. */
const hostedPages: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof DomainError && err.kind === 'rate_limited') {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return sendPage(reply, 429, messagePage('Too many requests', 'Please wait a minute and try again.'));
    }
    if ((err instanceof DomainError && err.kind === 'not_found') || (err as { validation?: unknown }).validation) {
      return sendPage(reply, 404, messagePage('Payment link not found', 'This link is not valid. Check it, or ask the merchant for a new one.'));
    }
    request.log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'hosted page failed');
    return sendPage(reply, 500, messagePage('Something went wrong', 'Please try again in a moment.'));
  });

  const payPage = async (request: { params: { token: string } } & Parameters<typeof publicBaseUrl>[0], reply: FastifyReply) => {
    const summary = await hostedSummary(services, request.params.token, publicBaseUrl(request, services.ctx.config));
    return sendPage(reply, 200, checkoutPage(summary, CHECKOUT_SCRIPT_URL));
  };
  app.get('/checkout/:token', { config: { public: true }, schema: { hide: true, params: TokenParams } }, payPage);
  app.get('/pay/:token', { config: { public: true }, schema: { hide: true, params: TokenParams } }, payPage);

  app.get('/receipt/:token', { config: { public: true }, schema: { hide: true, params: TokenParams } }, async (request, reply) => {
    try {
      return sendPage(reply, 200, receiptPage(await hostedReceipt(services, request.params.token)));
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'validation') {
        return sendPage(reply, 404, messagePage('No receipt yet', 'This receipt exists once the payment has gone through.'));
      }
      throw err;
    }
  });

  app.get('/hosted/:token/3ds-return', { config: { public: true }, schema: { hide: true, params: TokenParams } }, async (_request, reply) =>
    sendPage(reply, 200, challengeReturnPage(), 'framed'),
  );

  app.get('/assets/checkout.js', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply
      .headers({ 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' })
      .send(SCRIPT),
  );
};

/** The page's JSON API: the app's error contract (422 {"detail":[…]}, 404 {"detail":"Not Found"}, 429). */
const hostedApi: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.get('/hosted/:token', { config: { public: true }, schema: { hide: true, params: TokenParams } }, async (request) =>
    hostedSummary(services, request.params.token, publicBaseUrl(request, services.ctx.config)),
  );

  app.get(
    '/hosted/:token/quote',
    {
      config: { public: true },
      schema: {
        hide: true,
        params: TokenParams,
        querystring: Type.Object({ currency: Currency(), method: StringEnum(HOSTED_METHODS) }, { additionalProperties: false }),
      },
    },
    async (request) => hostedQuote(services, request.params.token, request.query),
  );

  app.post(
    '/hosted/:token/pay',
    {
      config: { public: true },
      bodyLimit: HOSTED_BODY_LIMIT_BYTES,
      schema: {
        hide: true,
        params: TokenParams,
        body: Type.Object(
          { reference_id: UuidV4(), currency: Currency(), method: Type.Optional(StringEnum(HOSTED_METHODS)), phone: Type.Optional(Phone()) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => hostedPay(services, request.params.token, request.body, publicBaseUrl(request, services.ctx.config)),
  );

  app.get('/hosted/:token/attempts/:reference_id', { config: { public: true }, schema: { hide: true, params: AttemptParams } }, async (request) =>
    hostedAttempt(services, request.params.token, request.params.reference_id, publicBaseUrl(request, services.ctx.config)),
  );

  app.post(
    '/hosted/:token/attempts/:reference_id/realtime-key',
    { config: { public: true }, bodyLimit: HOSTED_BODY_LIMIT_BYTES, schema: { hide: true, params: AttemptParams } },
    async (request) => hostedRealtimeKey(services, request.params.token, request.params.reference_id),
  );
};

export const hostedRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, opts) => {
  app.addHook('onRequest', async (request) => {
    await opts.services.limiter.hit('ip', request.ip);
  });
  await app.register(hostedPages, opts);
  await app.register(hostedApi, opts);
};
