/**
 * Crashes under load: three server instances on one PostgreSQL (fsync on); every few seconds one
 * instance is killed with SIGKILL and started again, and once PostgreSQL itself is stopped with
 * `immediate` (a crash: WAL recovery on start) and restarted. Meanwhile clients fire collections
 * (instant and async), payouts, transfers and refunds.
 *
 * Afterwards: every request without an answer is retried once with the same reference_id (the
 * idempotency contract says this is always safe), the background worker is run until nothing is
 * open, and then every execution the client saw acknowledged (HTTP 200) is present exactly once,
 * in the state it was acknowledged in or a final one after it, with the posting sets that state
 * calls for; the ledger balances and no wallet is negative.
 *
 * CHAOS_CRASH_SECONDS (default 20) of load; CHAOS_SEED replays the choices.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTempPostgres, type TempPostgres } from '../../scripts/pg-temp.mjs';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { createServer } from '../../src/server.js';
import { type Database, openDatabase } from '../../src/store/db.js';
import { openSetupServer } from '../helpers/bulk.js';
import { freePort, loadEnv, type ServerProcess, startServerProcess } from '../helpers/processes.js';
import { type Answer, envNumber, jsonHeaders, pool, random, SEED, send, Summary, tally } from './harness.js';
import {
  doublePostingSets,
  executionKey,
  executionRequest,
  merchantKit,
  type MerchantKit,
  negativeWallets,
  OP_KINDS,
  OPERATION_OF,
  type OpKind,
  openExecutions,
  sessionsFor,
  storedExecutions,
} from './workload.js';

const SECONDS = envNumber('CHAOS_CRASH_SECONDS', 20);
const INSTANCES = 3;
const MERCHANTS = 4;
const SESSIONS_PER_KIND = envNumber('CHAOS_CRASH_SESSIONS', 150);
const CONCURRENCY = 12;
const KILL_EVERY_MS = 2_500;
const REQUEST_TIMEOUT_MS = 15_000;
const WORKER_PASSES_MAX = 40;
const RESTART_ATTEMPTS_MAX = 10;
const FINAL = new Set(['COMPLETED', 'FAILED']);

interface Slot {
  port: number;
  server: ServerProcess | undefined;
}

interface Op {
  kind: OpKind;
  kit: MerchantKit;
  session_id: number;
  reference_id: string;
}

/** Start an instance again; it exits at once if PostgreSQL is still recovering, so try a few times (as a supervisor would). */
async function restartUntilUp(port: number, env: Record<string, string>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerProcess({ env: loadEnv(env), port, echoErrors: false });
    } catch (err) {
      if (attempt >= RESTART_ATTEMPTS_MAX) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

describe('chaos: kill -9 and PostgreSQL crashes under load', { timeout: 30 * 60_000 }, () => {
  const summary = new Summary('crash');
  let pg: TempPostgres;
  let database: Database;
  const env: Record<string, string> = {};
  const slots: Slot[] = [];
  /** Instances that ended without being killed by the test (they should not). */
  const selfExits: string[] = [];
  const restarts: Promise<void>[] = [];
  /** Like a supervisor: an instance that ends on its own is recorded, then started again. */
  const watch = (server: ServerProcess, slot: Slot): ServerProcess => {
    void server.exited.then((code) => {
      if (slot.server !== server || stopping) return; // killed or stopped by the test
      slot.server = undefined;
      selfExits.push(`port ${slot.port} exited ${code}: ${server.stderrTail.slice(-25).join(' | ').slice(0, 3000)}`);
      restarts.push(restartUntilUp(slot.port, env).then((s) => void (slot.server = watch(s, slot))));
    });
    return server;
  };
  let stopping = false;
  const queue: Op[] = [];

  before(async () => {
    pg = await startTempPostgres({ fsync: true });
    Object.assign(env, { DATABASE_URL: pg.url, SANDBOX_TIME_SCALE: '0.01' });
    const kits: MerchantKit[] = [];
    const setup = await openSetupServer(env);
    try {
      for (let i = 0; i < MERCHANTS; i++) kits.push(await merchantKit(setup));
    } finally {
      await setup.close();
    }
    database = await openDatabase({ database_url: pg.url, pool_max: 4 });
    const rnd = random(SEED + 1);
    for (const kit of kits) {
      for (const kind of OP_KINDS) {
        for (const session_id of await sessionsFor(database, kit, kind, SESSIONS_PER_KIND)) queue.push({ kind, kit, session_id, reference_id: randomUUID() });
      }
    }
    // shuffle, so kinds and merchants interleave
    for (let i = queue.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [queue[i], queue[j]] = [queue[j]!, queue[i]!];
    }
    for (let i = 0; i < INSTANCES; i++) {
      const port = await freePort();
      const slot: Slot = { port, server: undefined };
      slot.server = watch(await startServerProcess({ env: loadEnv(env), port, echoErrors: false }), slot);
      slots.push(slot);
    }
  });

  after(async () => {
    stopping = true;
    summary.write();
    await Promise.all(
      slots.map((s) => {
        const server = s.server;
        s.server = undefined;
        return server?.stop();
      }),
    );
    await database?.close();
    pg?.stop();
  });

  it(`every acknowledged execution survives, exactly once (seed ${SEED})`, async () => {
    const rnd = random(SEED);
    const acked = new Map<Op, Answer>();
    const firstAnswers: (number | string)[] = [];
    const unanswered: { op: Op; answer: Answer }[] = [];
    const deadline = Date.now() + SECONDS * 1000;
    let kills = 0;
    let pgRestarts = 0;
    let fired = 0;

    // Like a load balancer, send only to instances that are up (a request may still meet a kill).
    const liveSlot = () => {
      const live = slots.map((sl, i) => (sl.server ? i : -1)).filter((i) => i >= 0);
      return live.length ? live[Math.floor(rnd() * live.length)]! : 0;
    };
    const fire = (op: Op, slot: number) => {
      const { path, body } = executionRequest(op.kit, op.kind, op.session_id, op.reference_id);
      return send(`http://127.0.0.1:${slots[slot]!.port}${path}`, { method: 'POST', headers: jsonHeaders(op.kit.m.token), body, timeout_ms: REQUEST_TIMEOUT_MS });
    };

    const load = pool(Array.from({ length: CONCURRENCY }, (_, i) => i), CONCURRENCY, async () => {
      while (Date.now() < deadline) {
        const op = queue.pop();
        if (!op) return;
        fired++;
        const answer = await fire(op, liveSlot());
        firstAnswers.push(answer.status || answer.error || 0);
        if (answer.status === 200) acked.set(op, answer);
        else unanswered.push({ op, answer });
      }
    });

    // Kills on a fixed beat; a killed instance restarts in the background (slow on a loaded
    // machine), and requests sent to it meanwhile go unanswered — as they would in production.
    const chaos = (async () => {
      const pgAt = Date.now() + (SECONDS * 1000) / 2;
      while (Date.now() < deadline - KILL_EVERY_MS) {
        await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
        if (pgRestarts === 0 && Date.now() >= pgAt) {
          pg.restart('immediate'); // synchronous: the clients in this process pause while it recovers
          pgRestarts++;
          continue;
        }
        const live = slots.filter((s) => s.server);
        if (!live.length) continue;
        const slot = live[Math.floor(rnd() * live.length)]!;
        const victim = slot.server!;
        slot.server = undefined;
        await victim.kill9();
        kills++;
        restarts.push(restartUntilUp(slot.port, env).then((s) => void (slot.server = watch(s, slot))));
      }
    })();
    await Promise.all([load, chaos]);
    while (restarts.length) await restarts.shift();
    await Promise.all([load, chaos]);

    // A request without an answer may or may not have executed: the client retries with the same key.
    const retried = new Map<number | string, number>();
    await pool(unanswered, 4, async (u) => {
      const answer = await fire(u.op, liveSlot());
      const key = answer.status || answer.error || 0;
      retried.set(key, (retried.get(key) ?? 0) + 1);
      if (answer.status === 200) acked.set(u.op, answer);
    });
    summary.add(
      'load with kill -9 and a PostgreSQL crash',
      `${fired} executions fired for ${SECONDS} s over ${INSTANCES} instances; ${kills} × kill -9 + restart; ${pgRestarts} × PostgreSQL stop -m immediate`,
      kills > 0 && pgRestarts === 1,
      `first answers: ${tally(firstAnswers)}`,
    );
    summary.add('no instance dies on its own', 'watched every instance the test did not kill', selfExits.length === 0, selfExits.slice(0, 2).join('; '));
    const retriedOk = (retried.get(200) ?? 0) === unanswered.length;
    summary.add(
      'a retry with the same reference_id answers 200',
      `${unanswered.length} requests left without a 200, retried once`,
      retriedOk,
      unanswered.length ? `retries: ${[...retried].map(([s, n]) => `${n}×${s}`).join(' ')}` : '',
    );

    // Stop the instances and run the worker with a clock an hour ahead: every lease has expired,
    // every sandbox approval is due, so each open execution is resolved by reconciliation.
    await Promise.all(
      slots.map(async (s) => {
        const server = s.server;
        s.server = undefined;
        await server?.stop();
      }),
    );
    stopping = true;
    const openBefore = await openExecutions(database);
    const clock = new ManualClock(Date.now() + 60 * 60_000);
    const config = loadConfig({ ...loadEnv(env), PORT: '0', LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
    const worker = await createServer(config, { clock });
    let passes = 0;
    try {
      while ((await openExecutions(database)) > 0 && passes < WORKER_PASSES_MAX) {
        clock.advance(5 * 60_000);
        await worker.worker.runOnce();
        passes++;
      }
    } finally {
      await worker.close();
    }
    const openAfter = await openExecutions(database);
    summary.add('open executions reconciled to a final state', `${openBefore} PENDING/PROCESSING after the load; worker run ${passes} passes`, openAfter === 0, openAfter ? `${openAfter} still open` : '');

    const stored = await storedExecutions(database);
    const lost: string[] = [];
    const changed: string[] = [];
    for (const [op, answer] of acked) {
      const list = stored.get(executionKey(op.kit.m.merchant_id, OPERATION_OF[op.kind], op.reference_id)) ?? [];
      if (list.length !== 1) {
        lost.push(`${op.kind} ${op.reference_id}: ${list.length} executions`);
        continue;
      }
      const was = answer.json?.status as string;
      const now = list[0]!.status;
      if ((FINAL.has(was) && now !== was) || !FINAL.has(now)) changed.push(`${op.kind} ${op.reference_id}: acknowledged ${was}, now ${now}`);
    }
    summary.add(
      'every acknowledged execution present exactly once',
      `${acked.size} acknowledged (${tally([...acked.values()].map((a) => (a.json?.status === 'COMPLETED' ? 1 : a.json?.status === 'FAILED' ? 2 : 3)))}; 1=COMPLETED 2=FAILED 3=open)`,
      lost.length === 0,
      lost.slice(0, 3).join('; '),
    );
    summary.add('acknowledged final states unchanged; open ones final now', `${acked.size} acknowledged executions compared`, changed.length === 0, changed.slice(0, 3).join('; '));

    const doubles = await doublePostingSets(database);
    const violations = await checkInvariants(database);
    const negative = await negativeWallets(database);
    summary.add(
      'ledger balanced, no double posting set, no negative wallet',
      'checkInvariants + (execution, kind) counted + wallet balances',
      violations.length === 0 && doubles === 0 && negative === 0,
      [doubles ? `${doubles} double posting sets` : '', negative ? `${negative} negative wallets` : '', ...violations.slice(0, 3).map((v) => `${v.rule} ${JSON.stringify(v.detail)}`)]
        .filter(Boolean)
        .join('; '),
    );

    assert.ok(kills > 0 && pgRestarts === 1, 'the chaos happened');
    assert.deepEqual(selfExits, [], 'no instance died on its own');
    assert.deepEqual(lost, [], 'acknowledged executions present exactly once');
    assert.deepEqual(changed, [], 'acknowledged states kept, open ones final');
    assert.equal(openAfter, 0, 'nothing open after the worker');
    assert.deepEqual(violations, [], 'ledger invariants');
    assert.equal(doubles, 0);
    assert.equal(negative, 0);
    assert.ok(retriedOk, `every retry answered 200: ${[...retried].map(([s, n]) => `${n}×${s}`).join(' ')}`);
  });
});
