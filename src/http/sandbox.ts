/**
 * The card sandbox's browser-facing endpoints (beyond Dollr, which hands out Stripe keys instead):
 *   POST /sandbox/cards/confirm      {client_secret, payment_method}  → a PaymentIntent-shaped answer
 *   GET  /sandbox/3ds/{intent_id}    the 3D Secure challenge page
 *   POST /sandbox/3ds/{intent_id}    {result: complete|fail[, return_url]}
 * Authenticated by the client_secret / the intent id, like Stripe.js; every change is pushed into
 * the execution at once (as Stripe's webhook would) and reconciliation would find it anyway.
 */
import { parse as parseQs } from 'node:querystring';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError, invalid, notFound } from '../domain/errors.js';
import { CardSandboxError, SandboxCard } from '../providers/sandbox/card.js';
import type { Services } from '../services/index.js';
import { reconcileByCarrierKey } from '../services/settlement.js';
import { challengePage } from '../web/sandbox-3ds.js';
import { Type } from './schemas.js';
import { publicBaseUrl } from './urls.js';

function sandboxError(err: unknown): never {
  if (err instanceof CardSandboxError) {
    if (err.code === 'not_found') throw notFound();
    if (err.code === 'unknown_card') throw invalid(['body', 'payment_method'], err.message, 'value_error.card');
    throw new DomainError('conflict', err.message);
  }
  throw err;
}

export const sandboxRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const card = services.carriers.for('STRIPE');
  if (!(card instanceof SandboxCard)) return; // a real card gateway is configured: no sandbox pages

  // Public pages: counted per IP like every unauthenticated call.
  app.addHook('onRequest', async (request) => {
    await services.limiter.hit('ip', request.ip);
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(Object.entries(parseQs(body as string)).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  });

  app.post(
    '/sandbox/cards/confirm',
    {
      config: { public: true },
      schema: {
        hide: true,
        body: Type.Object(
          { client_secret: Type.String({ minLength: 10, maxLength: 200 }), payment_method: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const base = publicBaseUrl(request, services.ctx.config);
      try {
        const out = await card.confirm(request.body.client_secret, request.body.payment_method, (id) => `${base}/sandbox/3ds/${id}`);
        if (out.changed) await reconcileByCarrierKey(services.settlement, out.key);
        return out.view;
      } catch (err) {
        sandboxError(err);
      }
    },
  );

  app.get(
    '/sandbox/3ds/:intent_id',
    { config: { public: true }, schema: { hide: true, params: Type.Object({ intent_id: Type.String({ pattern: '^pi_[0-9a-f]{8,64}$' }) }) } },
    async (request, reply) => {
      const intent = await card.intent(request.params.intent_id);
      if (!intent) throw notFound();
      const q = request.query as Record<string, unknown>;
      const return_url = typeof q.return_url === 'string' && /^https?:\/\//.test(q.return_url) ? q.return_url : '';
      return reply.type('text/html; charset=utf-8').send(challengePage(request.params.intent_id, intent, return_url));
    },
  );

  app.post(
    '/sandbox/3ds/:intent_id',
    {
      config: { public: true },
      schema: {
        hide: true,
        params: Type.Object({ intent_id: Type.String({ pattern: '^pi_[0-9a-f]{8,64}$' }) }),
        body: Type.Object({ result: Type.Union([Type.Literal('complete'), Type.Literal('fail')]), return_url: Type.Optional(Type.String({ maxLength: 2048 })) }),
      },
    },
    async (request, reply) => {
      const base = publicBaseUrl(request, services.ctx.config);
      try {
        const out = await card.authenticate(request.params.intent_id, request.body.result, (id) => `${base}/sandbox/3ds/${id}`);
        await reconcileByCarrierKey(services.settlement, out.key);
        const return_url = request.body.return_url;
        if (return_url && /^https?:\/\//.test(return_url)) return reply.redirect(return_url, 303);
        return out.view;
      } catch (err) {
        sandboxError(err);
      }
    },
  );
};
