import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services/index.js';
import { executionRoutes } from './executions.js';
import { merchantRoutes } from './merchants.js';
import { sessionRoutes } from './sessions.js';
import { statusRoutes } from './status.js';
import { walletRoutes } from './wallets.js';

/** Every authenticated /v1 resource, one plugin each. */
export const v1Routes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, opts) => {
  await app.register(merchantRoutes, opts);
  await app.register(sessionRoutes, opts);
  await app.register(executionRoutes, opts);
  await app.register(statusRoutes, opts);
  await app.register(walletRoutes, opts);
};
