import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services/index.js';
import { acceptCallback } from '../services/settlement.js';
import { StringEnum, Type } from './schemas.js';
import { noteJsonBodyText } from './nul.js';

/**
 * POST /callbacks/{gateway}: where carriers (pawaPay, the sandboxes) report final statuses.
 * Public (the carrier has no bearer token); each connector authenticates its own callbacks.
 * Answers 200 for anything it understood — even a duplicate or an unknown id — so the carrier does
 * not retry forever; 400 when the body is not a valid callback.
 */
export const callbackRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, (request, body, done) => {
    (request as unknown as { rawBody: string }).rawBody = body as string;
    // The same edge check as every other JSON body: a NUL cannot reach PostgreSQL (422).
    noteJsonBodyText(request, body as string);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.post(
    '/callbacks/:gateway',
    {
      config: { public: true },
      schema: { hide: true, params: Type.Object({ gateway: StringEnum(['pawapay', 'stripe', 'sandbox'] as const) }) },
    },
    async (request, reply) => {
      const gateway = request.params.gateway === 'stripe' ? 'STRIPE' : 'PAWAPAY';
      const raw = (request as unknown as { rawBody?: string }).rawBody ?? '';
      const outcome = await acceptCallback(services.settlement, gateway, request.headers, request.body, raw);
      if (outcome === 'rejected') return reply.code(400).send({ detail: 'Not a valid callback' });
      return { status: 'ok', outcome };
    },
  );
};
