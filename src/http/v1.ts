import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services/index.js';
import { checkoutRoutes } from './checkouts.js';
import { counterpartyRoutes } from './counterparties.js';
import { executionRoutes } from './executions.js';
import { feeRoutes } from './fees.js';
import { linkRoutes } from './links.js';
import { merchantRoutes } from './merchants.js';
import { partyRoutes } from './parties.js';
import { paymentAccountRoutes } from './payment-accounts.js';
import { predictionRoutes } from './predictions.js';
import { realtimeRoutes } from './realtime.js';
import { sessionRoutes } from './sessions.js';
import { invoiceRoutes, orderRoutes } from './sources.js';
import { statusRoutes } from './status.js';
import { walletRoutes } from './wallets.js';
import { webhookRoutes } from './webhooks.js';

/** Every authenticated /v1 resource, one plugin each. */
export const v1Routes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, opts) => {
  await app.register(merchantRoutes, opts);
  await app.register(partyRoutes, opts);
  await app.register(counterpartyRoutes, opts);
  await app.register(invoiceRoutes, opts);
  await app.register(orderRoutes, opts);
  await app.register(paymentAccountRoutes, opts);
  await app.register(linkRoutes, opts);
  await app.register(checkoutRoutes, opts);
  await app.register(sessionRoutes, opts);
  await app.register(executionRoutes, opts);
  await app.register(statusRoutes, opts);
  await app.register(walletRoutes, opts);
  await app.register(feeRoutes, opts);
  await app.register(predictionRoutes, opts);
  await app.register(realtimeRoutes, opts);
  await app.register(webhookRoutes, opts);
};
