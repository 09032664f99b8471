import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services/index.js';
import { migrationsPending } from '../store/migrate.js';
import { Type } from './schemas.js';

const ReadyStatus = Type.Object({ status: Type.String(), database: Type.String() });

/** Liveness (the process answers) and readiness (database reachable, every migration applied). */
export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { hide: true, response: { 200: ReadyStatus, 503: ReadyStatus } } },
    async (_request, reply) => {
      try {
        await services.ctx.database.ping();
        const pending = await migrationsPending(services.ctx.database);
        if (pending > 0) return reply.code(503).send({ status: 'migrations_pending', database: services.ctx.database.kind });
        return { status: 'ready', database: services.ctx.database.kind };
      } catch {
        return reply.code(503).send({ status: 'database_unreachable', database: services.ctx.database.kind });
      }
    },
  );
};
