import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services/index.js';
import { feeRoutes } from './fees.js';
import { merchantRoutes } from './merchants.js';
import { predictionRoutes } from './predictions.js';

/** Every authenticated /v1 resource, one plugin each. */
export const v1Routes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, opts) => {
  await app.register(merchantRoutes, opts);
  await app.register(feeRoutes, opts);
  await app.register(predictionRoutes, opts);
};
