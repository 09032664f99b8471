/**
 * The merchant portal (/portal) and the shared sign-in, with the operator area (/admin) mounted
 * beside it under the same cookie, form and error handling:
 *   GET/POST /portal/login, POST /portal/logout
 *   GET  /portal                       overview: verification, balances
 *   GET  /portal/keys, POST /portal/keys, POST /portal/keys/{client_id}/revoke
 *   GET  /portal/passcode, POST /portal/passcode
 *   GET  /portal/wallets, /portal/wallets/{id}?starting_after=
 *   GET  /portal/executions?status=&operation=&from=&to=&before=, /portal/executions/{id}
 *   GET  /portal/invoices|orders?status=&starting_after=, /portal/invoices|orders/{id}
 *   GET  /portal/webhooks, POST /portal/webhooks, POST /portal/webhooks/{id}/delete,
 *   GET  /portal/webhooks/{id} (deliveries), /portal/webhooks/deliveries/{id} (attempts),
 *   POST /portal/webhooks/deliveries/{id}/replay
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, notFound } from '../domain/errors.js';
import { SOURCE_STATUSES, type SourceType } from '../domain/enums.js';
import type { Services } from '../services/index.js';
import { sourceLink } from '../services/links.js';
import { apiKeysOf, changePasscode, createApiKey, executionDetail, executionsPage, ownerContext, revokeOwnApiKey } from '../services/portal.js';
import { resolveSession, signIn, SignInRefused, signOut } from '../services/portal-auth.js';
import { getSource, listSources } from '../services/sources.js';
import { createEndpoint, deleteEndpoint, deliveryAttempts, EVENT_TYPES, listDeliveries, listEndpoints, replayDelivery } from '../services/webhooks.js';
import { listMerchantWallets, walletEntries } from '../services/wallets.js';
import { randomToken } from '../services/crypto.js';
import { errorPage } from '../web/portal-pages.js';
import * as pages from '../web/portal-pages.js';
import { adminRoutes } from './admin.js';
import { publicBaseUrl } from './urls.js';
import {
  cookieOptions,
  field,
  fields,
  FORM_BODY_LIMIT_BYTES,
  htmlErrors,
  htmlNotFound,
  LOGIN_COOKIE,
  notice,
  problemsOf,
  refuseForgery,
  requireSession,
  SESSION_COOKIE,
  sendHtml,
  viewer,
} from './web-session.js';

const NOTICES: Record<string, string> = {
  'signed-out': 'You are signed out.',
  'key-revoked': 'API key revoked: its tokens stop working.',
  'passcode-set': 'Payout passcode saved.',
  'endpoint-deleted': 'Webhook endpoint deleted.',
  'delivery-replayed': 'Delivery queued again: the worker sends it shortly.',
};
const ENTRIES_PAGE_SIZE = 50;
const NEXT_RE = /^\/(portal|admin)(\/[A-Za-z0-9/_.-]*)?(\?[A-Za-z0-9=&%_.-]*)?$/;

function idParam(value: string | undefined): number {
  const n = Number(value);
  if (!value || !/^\d{1,15}$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw notFound();
  return n;
}

/** Where to go after signing in: a path of ours only (never another site), else the role's home. */
function afterSignIn(next: string, role: string): string {
  const home = role === 'operator' ? '/admin' : '/portal';
  if (!NEXT_RE.test(next) || next.startsWith('//')) return home;
  if (role === 'operator' ? !next.startsWith('/admin') : !next.startsWith('/portal')) return home;
  return next;
}

/** Sign-in and sign-out: no session yet (or any role), so their own CSRF handling. */
const signInRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const showForm = (request: FastifyRequest, reply: FastifyReply, status: number, o: { error?: string | null; email?: string; next?: string; notice?: string | null } = {}) => {
    const csrf = randomToken(24);
    reply.setCookie(LOGIN_COOKIE, csrf, { ...cookieOptions(request, services.ctx.config), sameSite: 'strict' });
    return sendHtml(reply, status, pages.signInPage({ csrf, ...o }));
  };

  app.get('/portal/login', async (request, reply) => {
    const existing = await resolveSession(services.ctx, request.cookies[SESSION_COOKIE]);
    if (existing) return reply.redirect(existing.user.role === 'operator' ? '/admin' : '/portal', 303);
    return showForm(request, reply, 200, { next: field(request.query, 'next', 500), notice: notice(request, NOTICES) });
  });

  app.post('/portal/login', async (request, reply) => {
    await services.limiter.hit('ip', `login:${request.ip}`);
    const email = field(request.body, 'email', 254);
    const next = field(request.body, 'next', 500);
    if (refuseForgery(request, request.cookies[LOGIN_COOKIE])) {
      return showForm(request, reply, 403, { error: 'The sign-in form expired. Please try again.', email, next });
    }
    try {
      const issued = await signIn(services.ctx, email, field(request.body, 'password', 200));
      const old = request.cookies[SESSION_COOKIE];
      if (old) await resolveSession(services.ctx, old).then((s) => (s ? signOut(services.ctx, s.token_hash) : undefined));
      reply.clearCookie(LOGIN_COOKIE, { path: '/' });
      reply.setCookie(SESSION_COOKIE, issued.token, cookieOptions(request, services.ctx.config));
      return reply.redirect(afterSignIn(next, issued.user.role), 303);
    } catch (err) {
      if (err instanceof SignInRefused) return showForm(request, reply, 401, { error: String(err.detail), email, next });
      throw err;
    }
  });

  app.post('/portal/logout', async (request, reply) => {
    const session = await resolveSession(services.ctx, request.cookies[SESSION_COOKIE]);
    if (session) {
      if (refuseForgery(request, session.csrf_token)) return sendHtml(reply, 403, errorPage('Form expired', 'Reload the page and try again.'));
      await signOut(services.ctx, session.token_hash);
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/portal/login?notice=signed-out', 303);
  });
};

/** The merchant's own pages. */
const merchantRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { ctx } = services;
  requireSession(app, services, 'owner');
  htmlNotFound(app);
  const owner = (request: FastifyRequest) => ownerContext(ctx, request.portal!.user);
  await app.register(webhookPages, { services });

  app.get('/', async (request, reply) => {
    const { auth, merchant } = await owner(request);
    return sendHtml(reply, 200, pages.dashboardPage(viewer(request), merchant, await listMerchantWallets(ctx, auth)));
  });

  app.get('/keys', async (request, reply) => {
    const { merchant } = await owner(request);
    return sendHtml(reply, 200, pages.keysPage(viewer(request), await apiKeysOf(ctx, merchant.id), { notice: notice(request, NOTICES) }));
  });

  app.post('/keys', async (request, reply) => {
    const { merchant } = await owner(request);
    try {
      const issued = await createApiKey(ctx, merchant.id, field(request.body, 'label', 200));
      // The secret is shown in this response only (no-store), never again.
      return sendHtml(reply, 201, pages.keysPage(viewer(request), await apiKeysOf(ctx, merchant.id), { issued }));
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== 'validation') throw err;
      return sendHtml(reply, 422, pages.keysPage(viewer(request), await apiKeysOf(ctx, merchant.id), { error: problemsOf(err).join(' ') }));
    }
  });

  app.post('/keys/:client_id/revoke', async (request, reply) => {
    const { merchant } = await owner(request);
    await revokeOwnApiKey(ctx, services.auth, merchant.id, (request.params as { client_id: string }).client_id);
    return reply.redirect('/portal/keys?notice=key-revoked', 303);
  });

  app.get('/passcode', async (request, reply) => {
    const { merchant } = await owner(request);
    return sendHtml(reply, 200, pages.passcodePage(viewer(request), merchant, { notice: notice(request, NOTICES) }));
  });

  app.post('/passcode', async (request, reply) => {
    const { merchant } = await owner(request);
    const input = { current_password: field(request.body, 'current_password', 200), code: field(request.body, 'code', 20), phone: field(request.body, 'phone', 20) };
    try {
      await changePasscode(ctx, request.portal!.user, merchant.id, input);
      return reply.redirect('/portal/passcode?notice=passcode-set', 303);
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== 'validation') throw err;
      return sendHtml(reply, 422, pages.passcodePage(viewer(request), merchant, { error: problemsOf(err), phone: input.phone }));
    }
  });

  app.get('/wallets', async (request, reply) => {
    const { auth } = await owner(request);
    return sendHtml(reply, 200, pages.walletsPage(viewer(request), await listMerchantWallets(ctx, auth)));
  });

  app.get('/wallets/:id', async (request, reply) => {
    const { auth } = await owner(request);
    const after = field(request.query, 'starting_after', 20);
    if (after && !/^\d{1,19}$/.test(after)) throw notFound();
    const found = await walletEntries(ctx, auth, idParam((request.params as { id: string }).id), {
      limit: ENTRIES_PAGE_SIZE,
      starting_after: after ? BigInt(after) : undefined,
    });
    if (!found) throw notFound();
    const last = found.entries.at(-1);
    const next = found.entries.length === ENTRIES_PAGE_SIZE && last ? String(last.id) : null;
    return sendHtml(reply, 200, pages.walletEntriesPage(viewer(request), found.wallet, found.entries, next));
  });

  app.get('/executions', async (request, reply) => {
    const { merchant } = await owner(request);
    const q = {
      status: field(request.query, 'status', 20) || undefined,
      operation: field(request.query, 'operation', 20) || undefined,
      from: field(request.query, 'from', 20) || undefined,
      to: field(request.query, 'to', 20) || undefined,
      before: field(request.query, 'before', 20) || undefined,
    };
    try {
      const found = await executionsPage(ctx, merchant.id, q);
      const next =
        found.next_before === null
          ? null
          : new URLSearchParams({ ...Object.fromEntries(Object.entries(q).filter(([k, v]) => v && k !== 'before')), before: String(found.next_before) } as Record<string, string>).toString();
      return sendHtml(reply, 200, pages.executionsPage(viewer(request), q, found.items, next));
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== 'validation') throw err;
      return sendHtml(reply, 422, pages.executionsPage(viewer(request), q, [], null, problemsOf(err)));
    }
  });

  app.get('/executions/:id', async (request, reply) => {
    const { merchant } = await owner(request);
    const found = await executionDetail(ctx, merchant.id, idParam((request.params as { id: string }).id));
    return sendHtml(reply, 200, pages.executionPage(viewer(request), found.execution, found.events));
  });

  for (const [noun, type] of [
    ['invoice', 'INVOICE'],
    ['order', 'ORDER'],
  ] as const) {
    app.get(`/${noun}s`, async (request, reply) => {
      const { merchant } = await owner(request);
      const status = field(request.query, 'status', 20) || undefined;
      const after = field(request.query, 'starting_after', 20);
      if (status && !(SOURCE_STATUSES as readonly string[]).includes(status)) throw notFound();
      if (after && !/^\d{1,15}$/.test(after)) throw notFound();
      const page = await listSources(ctx, merchant.id, type, { status: status as never }, { limit: 50, starting_after: after ? Number(after) : undefined });
      return sendHtml(reply, 200, pages.sourcesPage(viewer(request), noun, page.items, status, page.next_cursor));
    });

    app.get(`/${noun}s/:id`, async (request, reply) => {
      const { merchant } = await owner(request);
      const view = await getSource(ctx, merchant.id, type as SourceType, { id: idParam((request.params as { id: string }).id) });
      const number = (noun === 'invoice' ? view.invoice_number : view.order_number) as string;
      const pay = await sourceLink(ctx, merchant.id, 'pay', type, number, publicBaseUrl(request, ctx.config)).catch(() => null);
      return sendHtml(reply, 200, pages.sourcePage(viewer(request), noun, view, pay?.url ?? null));
    });
  }
};

/** The merchant's webhook endpoints, their deliveries and replay (the API's webhook use cases). */
const webhookPages: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { ctx } = services;
  const owner = (request: FastifyRequest) => ownerContext(ctx, request.portal!.user);
  const DELIVERIES_PAGE_SIZE = 50;

  app.get('/webhooks', async (request, reply) => {
    const { auth } = await owner(request);
    return sendHtml(reply, 200, pages.webhooksPage(viewer(request), await listEndpoints(ctx, auth), EVENT_TYPES, { notice: notice(request, NOTICES) }));
  });

  app.post('/webhooks', async (request, reply) => {
    const { auth } = await owner(request);
    const events = fields(request.body, 'events', 64).slice(0, 16);
    try {
      const created = await createEndpoint(ctx, auth, {
        url: field(request.body, 'url', 2048).trim(),
        description: field(request.body, 'description', 500),
        enabled_events: events.includes('*') ? ['*'] : events,
      });
      return sendHtml(reply, 201, pages.webhooksPage(viewer(request), await listEndpoints(ctx, auth), EVENT_TYPES, { created }));
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== 'validation') throw err;
      return sendHtml(reply, 422, pages.webhooksPage(viewer(request), await listEndpoints(ctx, auth), EVENT_TYPES, { error: problemsOf(err) }));
    }
  });

  app.post('/webhooks/:id/delete', async (request, reply) => {
    const { auth } = await owner(request);
    await deleteEndpoint(ctx, auth, idParam((request.params as { id: string }).id));
    return reply.redirect('/portal/webhooks?notice=endpoint-deleted', 303);
  });

  app.get('/webhooks/:id', async (request, reply) => {
    const { auth } = await owner(request);
    const id = idParam((request.params as { id: string }).id);
    const endpoint = (await listEndpoints(ctx, auth)).find((e) => e.id === id);
    if (!endpoint) throw notFound();
    const after = field(request.query, 'starting_after', 20);
    if (after && !/^\d{1,15}$/.test(after)) throw notFound();
    const deliveries = await listDeliveries(ctx, auth, id, { limit: DELIVERIES_PAGE_SIZE, starting_after: after ? Number(after) : undefined });
    const next = deliveries.length === DELIVERIES_PAGE_SIZE ? deliveries[deliveries.length - 1]!.id : null;
    return sendHtml(reply, 200, pages.webhookEndpointPage(viewer(request), endpoint, deliveries, next));
  });

  app.get('/webhooks/deliveries/:id', async (request, reply) => {
    const { auth } = await owner(request);
    const id = idParam((request.params as { id: string }).id);
    return sendHtml(reply, 200, pages.deliveryPage(viewer(request), id, await deliveryAttempts(ctx, auth, id), notice(request, NOTICES)));
  });

  app.post('/webhooks/deliveries/:id/replay', async (request, reply) => {
    const { auth } = await owner(request);
    const id = idParam((request.params as { id: string }).id);
    await replayDelivery(ctx, auth, id);
    return reply.redirect(`/portal/webhooks/deliveries/${id}?notice=delivery-replayed`, 303);
  });
};

/** The portal and operator areas: cookies, form bodies and HTML errors, counted per IP. */
export const webAreaRoutes: FastifyPluginAsync<{ services: Services }> = async (app, opts) => {
  // HTML pages, not API operations: kept out of /openapi.json.
  app.addHook('onRoute', (route) => {
    route.schema = { ...(route.schema ?? {}), hide: true };
  });
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: FORM_BODY_LIMIT_BYTES });
  app.addHook('onRequest', async (request) => {
    await opts.services.limiter.hit('ip', request.ip);
  });
  htmlErrors(app);
  await app.register(signInRoutes, opts);
  await app.register(merchantRoutes, { ...opts, prefix: '/portal' });
  await app.register(adminRoutes, { ...opts, prefix: '/admin' });
};
