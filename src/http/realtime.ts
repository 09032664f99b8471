/**
 * POST /v1/realtime-keys/collection → {access_token, expires_in (seconds)}
 * GET  /v1/realtime/collection/{reference_id}?access_token=…  → Server-Sent Events:
 *   event: status / data: <ExecutionResponse>  — the current state first, then each change;
 *   `: ping` every 15 s; the server closes the stream after COMPLETED or FAILED, or when the key expires.
 * Events are hints for a UI; fulfil only after GET /v1/status/… (as Dollr's docs say of Supabase).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isFinal } from '../domain/executions.js';
import type { ExecutionStatus } from '../domain/enums.js';
import { notFound } from '../domain/errors.js';
import type { Services } from '../services/index.js';
import { issueCollectionKey, watchedEvents } from '../services/realtime.js';
import { IdInt, StringEnum, Type, UuidV4 } from './schemas.js';
import { SOURCE_TYPES_IN_SPEC } from '../domain/enums.js';

const PING_MS = 15_000;
const RECHECK_MS = 5_000;
const STREAM_MAX_MS = 10 * 60_000;

export const realtimeRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/realtime-keys/collection',
    {
      schema: {
        tags: ['realtime-keys'],
        summary: 'Get Collection Realtime Key',
        operationId: 'get_collection_realtime_key',
        body: Type.Object({ session_id: IdInt(), source_type: StringEnum(SOURCE_TYPES_IN_SPEC), reference_id: UuidV4() }, { additionalProperties: false }),
        response: { 200: Type.Object({ access_token: Type.String(), expires_in: Type.Integer({ description: 'Seconds' }) }, { title: 'RealtimeTokenResponse' }) },
      },
    },
    async (request) => issueCollectionKey(services, request.auth, request.body),
  );

  app.get(
    '/realtime/collection/:reference_id',
    {
      config: { public: true },
      schema: {
        tags: ['realtime-keys'],
        summary: 'Stream Collection Status (Server-Sent Events)',
        operationId: 'stream_collection_status',
        security: [{ RealtimeKey: [] }],
        description: 'Authenticated by the realtime key (`access_token` query parameter, or `Authorization: Bearer <key>`). text/event-stream of `status` events.',
        params: Type.Object({ reference_id: UuidV4() }),
        querystring: Type.Object({ access_token: Type.Optional(Type.String({ maxLength: 4096 })) }, { additionalProperties: false }),
        response: { 200: Type.String({ description: 'text/event-stream' }) },
      },
    },
    async (request, reply) => {
      const header = request.headers.authorization;
      const token = request.query.access_token ?? (header?.startsWith('Bearer ') ? header.slice(7) : undefined);
      const key = services.auth.verifyRealtime(token ?? '');
      if (key.reference_id !== request.params.reference_id.toLowerCase() || key.operation_type !== 'COLLECTION') throw notFound();

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      const cursor: { execution_id?: number; after_id: number } = { after_id: 0 };
      let reading = false;
      let again = false;
      let done = false;
      const timers: NodeJS.Timeout[] = [];
      let unsubscribe: (() => void) | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        for (const t of timers) clearInterval(t);
        unsubscribe?.();
        res.end();
      };
      // One reader at a time; a notice that arrives mid-read schedules one more pass.
      const push = async (): Promise<void> => {
        if (done) return;
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          const events = await watchedEvents(services, key, cursor).catch(() => []);
          for (const e of events) {
            if (done) break;
            cursor.after_id = e.id;
            res.write(`event: status\nid: ${e.id}\ndata: ${JSON.stringify(e.detail)}\n\n`);
            if (isFinal(e.status as ExecutionStatus)) finish();
          }
        } finally {
          reading = false;
        }
        if (again && !done) {
          again = false;
          await push();
        }
      };
      request.raw.on('close', finish);
      unsubscribe = services.hub.subscribe(key, () => void push());
      if (!unsubscribe) {
        res.write('event: error\ndata: {"detail":"Too many open streams; poll GET /v1/status/collection/{reference_id}"}\n\n');
        return finish();
      }
      res.write(': connected\n\n');
      timers.push(setInterval(() => !done && res.write(': ping\n\n'), PING_MS));
      timers.push(setInterval(() => void push(), RECHECK_MS));
      const lifetime = Math.min(STREAM_MAX_MS, key.exp_s * 1000 - services.ctx.clock.now().getTime());
      timers.push(setTimeout(finish, Math.max(0, lifetime)));
      for (const t of timers) t.unref();
      await push();
    },
  );
};
