import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { bearerToken, NOT_AUTHENTICATED, unauthenticated } from '../services/auth.js';
import { sameToken, sha256 } from '../services/portal-auth.js';
import type { Services } from '../services/index.js';
import { migrationsPending } from '../store/migrate.js';
import { Type } from './schemas.js';
import { SandboxMomo } from '../providers/sandbox/momo.js';

const ReadyStatus = Type.Object({ status: Type.String(), database: Type.String() });

/** Liveness (the process answers) and readiness (database reachable, every migration applied). */
export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  // Prometheus text format: how the group commits batch (units per transaction is the figure to
  // watch: it says how many requests share a commit under the current load). With METRICS_TOKEN
  // set, only a scraper that sends it gets them; the figures name no merchant, but load and
  // batching are an operator's business.
  const token = services.ctx.config.metrics_token;
  const tokenDigest = token === undefined ? undefined : sha256(token);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (tokenDigest !== undefined) {
      // Digests, so the constant-time comparison has equal lengths whatever was sent.
      const presented = bearerToken(request.headers.authorization);
      if (presented === undefined || !sameToken(sha256(presented), tokenDigest)) throw unauthenticated(NOT_AUTHENTICATED);
    }
    const lines: string[] = [];
    const sandbox = services.carriers.for('PAWAPAY');
    const groups = {
      execution_start: services.starts,
      settlement: services.settlement.applies,
      status_reads: services.statusReads, // reads, batched the same way (no commit to share)
      ...(sandbox instanceof SandboxMomo ? { sandbox_carrier: sandbox.records } : {}),
    };
    for (const [metric, help] of [
      ['batches', 'transactions run by the group commit (statements, for status_reads)'],
      ['units', 'units of work (requests, carrier answers, status polls) in them'],
      ['split', 'batches whose transaction failed and whose units were run again alone'],
    ] as const) {
      lines.push(`# HELP dollr_group_commit_${metric}_total ${help}`, `# TYPE dollr_group_commit_${metric}_total counter`);
      for (const [kind, g] of Object.entries(groups)) lines.push(`dollr_group_commit_${metric}_total{kind="${kind}"} ${g.stats[metric]}`);
    }
    for (const [metric, key, help] of [
      ['wait_seconds', 'wait_ms', 'time units spent waiting for their batch to start'],
      ['run_seconds', 'run_ms', 'time batches spent running (their transactions, commit included)'],
    ] as const) {
      lines.push(`# HELP dollr_group_commit_${metric}_total ${help}`, `# TYPE dollr_group_commit_${metric}_total counter`);
      for (const [kind, g] of Object.entries(groups)) lines.push(`dollr_group_commit_${metric}_total{kind="${kind}"} ${(g.stats[key] / 1000).toFixed(6)}`);
    }
    lines.push('# HELP dollr_group_commit_waiting units waiting for a batch', '# TYPE dollr_group_commit_waiting gauge');
    for (const [kind, g] of Object.entries(groups)) lines.push(`dollr_group_commit_waiting{kind="${kind}"} ${g.waiting}`);
    return reply.type('text/plain; version=0.0.4').send(lines.join('\n') + '\n');
  });

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
