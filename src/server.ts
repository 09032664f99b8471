/**
 * The composition root: open the database, apply migrations, wire services and the HTTP app.
 * `main.ts` (npm start), the admin CLI and the tests all build the server through here.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { type App, buildApp } from './http/app.js';
import { AccountBook } from './ledger/ledger.js';
import { PawapayConnector } from './providers/pawapay/connector.js';
import { SandboxCard } from './providers/sandbox/card.js';
import { SandboxMomo } from './providers/sandbox/momo.js';
import type { CarrierConnector, Gateway } from './providers/types.js';
import { AuthService, loadSigningKey } from './services/auth.js';
import { StatusHub } from './services/events.js';
import { acceptCallback, applyBatch } from './services/settlement.js';
import { readStatusBatch, startBatch } from './services/executions.js';
import { REFERENCE_KEYS_PER_STATEMENT_MAX } from './store/executions.js';
import { GroupCommit } from './store/group-commit.js';
import { deliver, DELIVER_QUEUE } from './services/webhooks.js';
import { Worker } from './jobs/worker.js';
import { SANDBOX_CALLBACK_QUEUE } from './providers/sandbox/momo.js';
import { pricerFor } from './services/pricing.js';
import type { SettlementDeps } from './services/settlement.js';
import type { Ctx } from './services/context.js';
import type { Services } from './services/index.js';
import { MemoryCounterStore, PostgresCounterStore, RateLimiter } from './services/rate-limit.js';
import { seedReferenceData } from './services/seed.js';
import { FinalExecutions } from './services/final-executions.js';
import { type Database, openDatabase } from './store/db.js';
import { migrate } from './store/migrate.js';

/** Never log credentials, passcodes or account numbers, wherever they appear in a logged object. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  '*.client_secret',
  '*.passcode',
  '*.code',
  '*.access_token',
  '*.insensitive_account_number',
  '*.account_number',
  '*.card_number',
  '*.secret',
];

export function makeLogger(config: Config, stream?: DestinationStream): Logger {
  return pino(
    {
      level: config.log_level,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // The route pattern, not the raw URL: query strings can carry phone numbers.
        req: (req: { method: string; url: string; routeOptions?: { url?: string }; id: string }) => ({
          id: req.id,
          method: req.method,
          route: req.routeOptions?.url ?? req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
    stream,
  );
}

/** Units waiting for a group commit at most, per kind: beyond it requests answer 503 at once (the database is not keeping up). */
const GROUP_COMMIT_QUEUE_MAX = 10_000;

export interface Server {
  readonly app: App;
  readonly services: Services;
  readonly database: Database;
  /** Background work (npm start runs it on a timer; tests call worker.runOnce()). */
  readonly worker: Worker;
  close(): Promise<void>;
}

/** The job queues and their handlers. */
export function makeWorker(services: Services): Worker {
  return new Worker(services, {
    [SANDBOX_CALLBACK_QUEUE]: {
      lease_ms: 30_000,
      handler: async (payload) => {
        const gateway = payload.gateway === 'STRIPE' ? 'STRIPE' : 'PAWAPAY';
        await acceptCallback(services.settlement, gateway, { 'x-dollr-sandbox': '1' }, { key: payload.key }, '');
      },
    },
    [DELIVER_QUEUE]: { lease_ms: 60_000, handler: (payload) => deliver(services.ctx, payload) },
  });
}

export interface ServerOptions {
  clock?: Clock;
  logStream?: DestinationStream;
  database?: Database; // an already-open database (tests)
}

export async function openServices(config: Config, opts: ServerOptions = {}): Promise<Services> {
  const log = makeLogger(config, opts.logStream);
  const database =
    opts.database ?? (await openDatabase({ database_url: config.database_url, data_dir: config.data_dir, pool_max: config.database_pool_max, prepared_statements: config.database_prepared_statements }));
  await migrate(database);
  const ctx: Ctx = { database, clock: opts.clock ?? systemClock, config, log };
  await seedReferenceData(ctx);
  const auth = new AuthService(ctx, await loadSigningKey(ctx));
  const useDbCounters = config.rate_limit.store === 'postgres' || (config.rate_limit.store === 'auto' && database.kind === 'postgres');
  const limiter = new RateLimiter(useDbCounters ? new PostgresCounterStore(database) : new MemoryCounterStore(), ctx.clock, config.rate_limit);
  const book = new AccountBook();
  // Group commit (store/group-commit.ts): the embedded database has one connection, so one batch at a time.
  const group = (name: string) => ({
    name,
    batch_max: config.group_commit.batch_max,
    concurrency: database.kind === 'pglite' ? 1 : config.group_commit.concurrency,
    spill_min: config.group_commit.spill_min,
    queue_max: GROUP_COMMIT_QUEUE_MAX,
  });
  const connectors: Partial<Record<Gateway, CarrierConnector>> = {
    PAWAPAY: config.pawapay
      ? new PawapayConnector({ ...config.pawapay, clock: ctx.clock, log })
      : new SandboxMomo(database, ctx.clock, config.sandbox.time_scale, group('sandbox carrier records')),
    STRIPE: new SandboxCard(database, ctx.clock),
  };
  const carriers = { for: (g: Gateway) => connectors[g] };
  const finals = new FinalExecutions(ctx.config.status_cache_entries);
  // A settled execution is remembered as it commits: the client's next poll needs no round trip.
  const settlement: SettlementDeps = { ctx, carriers, book, applies: undefined as never, onStatusChange: (row) => finals.note(row) };
  settlement.applies = new GroupCommit((units) => applyBatch(settlement, units), group('settlement'));
  const hub = new StatusHub(log);
  await hub.listen(database);
  const services: Services = {
    ctx,
    auth,
    limiter,
    book,
    carriers,
    pricer: pricerFor(ctx),
    settlement,
    hub,
    finals,
    starts: undefined as never,
    statusReads: undefined as never,
  };
  (services as { starts: Services['starts'] }).starts = new GroupCommit((units) => startBatch(services, units), group('execution starts'));
  (services as { statusReads: Services['statusReads'] }).statusReads = new GroupCommit((keys) => readStatusBatch(services, keys), {
    ...group('status reads'),
    batch_max: REFERENCE_KEYS_PER_STATEMENT_MAX,
    // A read has no commit to share: a second one starts whenever a slot is free, as it always did
    // (the spill rule was measured on the three commit paths, not on polls).
    spill_min: 1,
  });
  return services;
}

export async function createServer(config: Config, opts: ServerOptions = {}): Promise<Server> {
  const services = await openServices(config, opts);
  const app = await buildApp({ services, logger: services.ctx.log });
  await app.ready();
  const worker = makeWorker(services);
  return {
    app,
    services,
    database: services.ctx.database,
    worker,
    async close() {
      await worker.stop();
      await app.close();
      await services.hub.close();
      if (!opts.database) await services.ctx.database.close();
    },
  };
}
