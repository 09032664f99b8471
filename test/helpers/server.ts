/**
 * Integration-test harness: a real server on a real database (in-memory PGlite, or a fresh
 * database on the PostgreSQL server that `npm test` started), listening on a loopback port and
 * driven over HTTP. After every test the ledger invariants are checked.
 */
import { freshPgDatabase } from './pg-database.js';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, afterEach, before } from 'node:test';
import { type Clock, ManualClock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config.js';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { createServer, type Server } from '../../src/server.js';
import { type Database, openDatabase } from '../../src/store/db.js';
import type { Backend } from './backends.js';
import { Api } from './http.js';
import { type MerchantFixture, type MerchantOptions, newMerchant } from './merchants.js';

export type { MerchantFixture, MerchantOptions } from './merchants.js';

export interface Harness {
  readonly backend: Backend;
  server: Server;
  database: Database;
  config: Config;
  clock: Clock;
  baseUrl: string;
  /** Every log line the server wrote (tests assert secrets never appear). */
  logs: string[];
  anon: Api;
  merchant(opts?: MerchantOptions): Promise<MerchantFixture>;
  restart(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** Skip the invariant check after each test (only for tests that corrupt data on purpose). */
  skipInvariants?: boolean;
}

let dbCounter = 0;

export async function openTestDatabase(backend: Backend): Promise<{ database: Database; drop(): Promise<void> }> {
  if (backend === 'pglite') {
    const database = await openDatabase({ data_dir: 'memory://' });
    return { database, drop: async () => {} };
  }
  const fresh = await freshPgDatabase(`t${++dbCounter}`);
  const database = await openDatabase({ database_url: fresh.url, pool_max: 10 });
  return { database, drop: fresh.drop };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    LOG_LEVEL: 'info',
    SANDBOX_BOOTSTRAP: 'false',
    RATE_LIMIT_MERCHANT_PER_MIN: '100000',
    RATE_LIMIT_IP_PER_MIN: '100000',
    AUTH_CACHE_TTL_MS: '0',
    PRICING_CACHE_TTL_MS: '0',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  } as NodeJS.ProcessEnv);
}

export function useServer(backend: Backend, opts: HarnessOptions = {}): Harness {
  const h = { backend, logs: [] as string[] } as unknown as Harness & { drop(): Promise<void> };
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      h.logs.push(String(chunk));
      if (h.logs.length > 50_000) h.logs.splice(0, 10_000);
      cb();
    },
  });

  async function start() {
    h.server = await createServer(h.config, { clock: h.clock, logStream, database: h.database });
    const address = await h.server.app.listen({ port: 0, host: '127.0.0.1' });
    h.baseUrl = address;
    h.anon = new Api(h.baseUrl);
  }

  before(async () => {
    h.config = testConfig(opts.env);
    h.clock = opts.clock ?? new ManualClock();
    const { database, drop } = await openTestDatabase(backend);
    h.database = database;
    (h as any).drop = drop;
    await start();
    h.restart = async () => {
      await h.server.close();
      await start();
    };
    h.merchant = (o = {}) => newMerchant(h.server.services.ctx, h.baseUrl, o);
  });

  afterEach(async () => {
    if (opts.skipInvariants || !h.database) return;
    const violations = await checkInvariants(h.database);
    assert.deepEqual(violations, [], 'ledger invariants hold after the test');
  });

  after(async () => {
    await h.server?.close().catch(() => {});
    await h.database?.close().catch(() => {});
    await h.drop?.();
  });

  return h;
}
