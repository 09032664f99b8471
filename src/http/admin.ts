/**
 * The operator area (/admin, role `operator`), reusing the operator use cases the admin CLI runs:
 *   GET  /admin                          merchants; POST /admin/merchants (create),
 *                                        POST /admin/merchants/{id}/verification, POST /admin/users
 *   GET  /admin/fees                     gateway fees, tiers and tier rates in force; POST …/gateway, …/tier-rate, …/tiers, …/assign
 *   GET  /admin/fx                       FX rates in force; POST /admin/fx
 * A refused change re-renders its page with the reasons beside the form (422).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, notFound } from '../domain/errors.js';
import { assignTier, createTier, listFees, listFx, setFxRate, setGatewayFee, setTierRate } from '../services/fee-admin.js';
import type { Services } from '../services/index.js';
import { createMerchant, MERCHANT_TYPES, type MerchantType, setVerification, VERIFICATION_STATUSES, type VerificationStatus } from '../services/merchants.js';
import { allMerchants } from '../services/portal.js';
import { createPortalUser } from '../services/portal-auth.js';
import { feesPage, type Feedback, fxPage, merchantsPage } from '../web/admin-pages.js';
import { field, htmlNotFound, notice, problemsOf, requireSession, sendHtml, viewer } from './web-session.js';

const NOTICES: Record<string, string> = {
  'merchant-created': 'Merchant created.',
  'verification-changed': 'Verification status changed.',
  'user-created': 'Portal user created.',
  'gateway-fee-set': 'Gateway fee set.',
  'tier-rate-set': 'Tier rate set.',
  'tier-created': 'Fee tier created.',
  'tier-assigned': 'Fee tier assigned.',
  'fx-set': 'FX rate set.',
};

type Page = 'merchants' | 'fees' | 'fx';

export const adminRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { ctx } = services;
  requireSession(app, services, 'operator');
  htmlNotFound(app);
  const actor = (request: FastifyRequest) => `operator:${request.portal!.user.email}`;

  async function render(request: FastifyRequest, reply: FastifyReply, which: Page, status: number, f: Feedback) {
    const v = viewer(request);
    if (which === 'merchants') return sendHtml(reply, status, merchantsPage(v, await allMerchants(ctx), f));
    if (which === 'fees') return sendHtml(reply, status, feesPage(v, await listFees(ctx), f));
    return sendHtml(reply, status, fxPage(v, await listFx(ctx), f));
  }

  /** Run one change; on success redirect (POST/redirect/GET), on a 422 show the page again with the reasons beside its form. */
  function change(path: string, which: Page, form: string, done: string, run: (request: FastifyRequest) => Promise<unknown>) {
    app.post(path, async (request, reply) => {
      try {
        await run(request);
      } catch (err) {
        if (!(err instanceof DomainError) || err.kind !== 'validation') throw err;
        return render(request, reply, which, 422, { error: problemsOf(err), form });
      }
      ctx.log.info({ operator: actor(request), change: done }, 'operator change');
      return reply.redirect(`/admin${which === 'merchants' ? '' : `/${which}`}?notice=${done}`, 303);
    });
  }

  app.get('/', async (request, reply) => render(request, reply, 'merchants', 200, { notice: notice(request, NOTICES) }));
  app.get('/fees', async (request, reply) => render(request, reply, 'fees', 200, { notice: notice(request, NOTICES) }));
  app.get('/fx', async (request, reply) => render(request, reply, 'fx', 200, { notice: notice(request, NOTICES) }));

  change('/merchants', 'merchants', 'create-merchant', 'merchant-created', async (request) => {
    const type = field(request.body, 'type', 40);
    await createMerchant(ctx, {
      name: field(request.body, 'name', 200),
      type: (MERCHANT_TYPES as readonly string[]).includes(type) ? (type as MerchantType) : ('' as MerchantType),
      email: field(request.body, 'email', 254).trim(),
      phone: field(request.body, 'phone', 20).trim(),
    });
  });

  app.post('/merchants/:id/verification', async (request, reply) => {
    const id = Number((request.params as { id: string }).id);
    const status = field(request.body, 'status', 20);
    if (!Number.isSafeInteger(id) || id < 1 || !(VERIFICATION_STATUSES as readonly string[]).includes(status)) throw notFound();
    await setVerification(ctx, id, status as VerificationStatus);
    services.auth.forget(); // tokens of this instance see the new status at once
    ctx.log.info({ operator: actor(request), merchant_id: id, status }, 'operator change');
    return reply.redirect('/admin?notice=verification-changed', 303);
  });

  change('/users', 'merchants', 'create-user', 'user-created', async (request) => {
    const merchant_id = Number(field(request.body, 'merchant_id', 20));
    await createPortalUser(ctx, {
      role: 'owner',
      merchant_id: Number.isSafeInteger(merchant_id) && merchant_id > 0 ? merchant_id : -1,
      email: field(request.body, 'user_email', 254),
      password: field(request.body, 'user_password', 200),
    });
  });

  change('/fees/gateway', 'fees', 'set-gateway-fee', 'gateway-fee-set', (request) =>
    setGatewayFee(ctx, {
      provider: field(request.body, 'provider', 20),
      method: field(request.body, 'method', 40),
      operation: field(request.body, 'operation', 20),
      percent: field(request.body, 'percent', 20).trim(),
      amount: field(request.body, 'fixed', 20).trim() || undefined,
      currency: field(request.body, 'fixed_currency', 3).trim().toUpperCase() || undefined,
    }),
  );

  change('/fees/tier-rate', 'fees', 'set-tier-rate', 'tier-rate-set', (request) =>
    setTierRate(ctx, {
      tier: field(request.body, 'tier', 64),
      operation: field(request.body, 'operation', 20),
      method: field(request.body, 'method', 40) || undefined,
      percent: field(request.body, 'percent', 20).trim(),
      fx_percent: field(request.body, 'fx_percent', 20).trim(),
    }),
  );

  change('/fees/tiers', 'fees', 'create-tier', 'tier-created', (request) => createTier(ctx, field(request.body, 'name', 64).trim()));

  change('/fees/assign', 'fees', 'assign-tier', 'tier-assigned', async (request) => {
    const id = Number(field(request.body, 'merchant_id', 20));
    try {
      await assignTier(ctx, Number.isSafeInteger(id) && id > 0 ? id : 0, field(request.body, 'tier', 64), actor(request));
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'not_found') throw new DomainError('validation', [{ loc: ['merchant_id'], msg: `merchant ${id} not found`, type: 'value_error.not_found' }]);
      throw err;
    }
  });

  change('/fx', 'fx', 'set-fx', 'fx-set', (request) =>
    setFxRate(ctx, { base: field(request.body, 'base', 3), quote: field(request.body, 'quote', 3), rate: field(request.body, 'rate', 40).trim() }, actor(request)),
  );
};
