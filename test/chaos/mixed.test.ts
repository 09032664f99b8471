/**
 * Many mixed operations over three server instances on one PostgreSQL, with a tenth of the
 * reference_ids sent twice at the same moment to two different instances. Afterwards: every
 * reference_id is one execution with the posting sets its final status calls for, the ledger
 * balances, no wallet is negative, and both answers of a duplicated pair name the same execution.
 *
 * CHAOS_OPS (default 10000) requests in all; CHAOS_CONCURRENCY (24) in flight; CHAOS_SEED replays.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTempPostgres, type TempPostgres } from '../../scripts/pg-temp.mjs';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { type Database, openDatabase } from '../../src/store/db.js';
import { openSetupServer } from '../helpers/bulk.js';
import { loadEnv, type ServerProcess, startServerProcess } from '../helpers/processes.js';
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
  STATUS_PATH,
  storedExecutions,
} from './workload.js';

const OPS = envNumber('CHAOS_OPS', 10_000);
const CONCURRENCY = envNumber('CHAOS_CONCURRENCY', 24);
const MERCHANTS = 12;
const POOR_MERCHANTS = 3; // 5.00 USD and no collections: their payouts, transfers and refunds run the wallet dry
const INSTANCES = 3;
const DUPLICATE_SHARE = 0.1;
const SETTLE_TIMEOUT_MS = 120_000;
/** Share of requests per kind; payouts are few because each checks a scrypt-hashed passcode. */
const WEIGHTS: Record<OpKind | 'status', number> = {
  collection_instant: 0.35,
  collection_async: 0.1,
  payout: 0.05,
  transfer: 0.2,
  refund: 0.1,
  status: 0.2,
};

interface Op {
  kind: OpKind;
  kit: MerchantKit;
  reference_id: string;
  duplicate: boolean;
  session_id?: number;
}

interface Sent {
  op: Op;
  instance: number;
  answer: Answer;
}

describe('chaos: mixed operations over three instances', { timeout: 30 * 60_000 }, () => {
  const summary = new Summary('mixed');
  let pg: TempPostgres;
  let database: Database;
  const instances: ServerProcess[] = [];
  const kits: MerchantKit[] = [];

  before(async () => {
    pg = await startTempPostgres({ fsync: false });
    const env = { DATABASE_URL: pg.url, SANDBOX_TIME_SCALE: '0.01' };
    const setup = await openSetupServer(env);
    try {
      for (let i = 0; i < MERCHANTS; i++) kits.push(await merchantKit(setup, i < POOR_MERCHANTS ? { poor_usd: '5.00' } : {}));
    } finally {
      await setup.close();
    }
    database = await openDatabase({ database_url: pg.url, pool_max: 4 });
    for (let i = 0; i < INSTANCES; i++) instances.push(await startServerProcess({ env: loadEnv(env), echoErrors: true }));
  });

  after(async () => {
    summary.write();
    await Promise.all(instances.map((s) => s.stop()));
    await database?.close();
    pg?.stop();
  });

  it(`keeps one execution and one posting set per reference_id (${OPS} requests, seed ${SEED})`, async () => {
    const rnd = random();
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const cumulative = Object.entries(WEIGHTS).reduce<[string, number][]>((acc, [k, w]) => [...acc, [k, (acc.at(-1)?.[1] ?? 0) + w]], []);

    // Plan every request first, so the sessions can be made in one statement per merchant and kind.
    const plan: (Op | 'status')[] = [];
    let requests = 0;
    while (requests < OPS) {
      const r = rnd();
      const kind = cumulative.find(([, c]) => r < c)?.[0] ?? 'status';
      if (kind === 'status') {
        plan.push('status');
        requests++;
        continue;
      }
      const duplicate = rnd() < DUPLICATE_SHARE;
      // Collections only for the funded merchants: income would refill the poor wallets.
      const kit = kind.startsWith('collection') ? pick(kits.slice(POOR_MERCHANTS)) : pick(kits);
      plan.push({ kind: kind as OpKind, kit, reference_id: randomUUID(), duplicate });
      requests += duplicate ? 2 : 1;
    }
    const ops = plan.filter((p): p is Op => p !== 'status');
    for (const kit of kits) {
      for (const kind of OP_KINDS) {
        const mine = ops.filter((o) => o.kit === kit && o.kind === kind);
        const sessions = await sessionsFor(database, kit, kind, mine.length);
        mine.forEach((o, i) => (o.session_id = sessions[i]));
      }
    }

    const sent: Sent[] = [];
    const statusReads: Answer[] = [];
    const acked: Op[] = [];
    await pool(plan, CONCURRENCY, async (p, i) => {
      if (p === 'status') {
        if (!acked.length) return void statusReads.push(await send(`${instances[i % INSTANCES]!.url}/healthz`, { method: 'GET' }));
        const op = pick(acked);
        statusReads.push(
          await send(`${instances[i % INSTANCES]!.url}/v1/status/${STATUS_PATH[op.kind]}/${op.reference_id}`, { method: 'GET', headers: jsonHeaders(op.kit.m.token) }),
        );
        return;
      }
      const { path, body } = executionRequest(p.kit, p.kind, p.session_id!, p.reference_id);
      const fire = (instance: number) =>
        send(`${instances[instance]!.url}${path}`, { method: 'POST', headers: jsonHeaders(p.kit.m.token), body }).then((answer) => {
          sent.push({ op: p, instance, answer });
          return answer;
        });
      const answers = await Promise.all(p.duplicate ? [fire(i % INSTANCES), fire((i + 1) % INSTANCES)] : [fire(i % INSTANCES)]);
      if (answers.some((a) => a.status === 200)) acked.push(p);
    });

    // Async collections finish through the carrier's callback and the reconciler of any instance.
    const settleStart = Date.now();
    let open = await openExecutions(database);
    while (open > 0 && Date.now() - settleStart < SETTLE_TIMEOUT_MS) {
      await new Promise((r) => setTimeout(r, 500));
      open = await openExecutions(database);
    }

    const answers = [...sent.map((s) => s.answer), ...statusReads];
    const fiveXX = answers.filter((a) => a.status >= 500 || a.status === 0);
    const non200 = answers.filter((a) => a.status !== 200);
    const byKind = OP_KINDS.map((k) => `${ops.filter((o) => o.kind === k).length} ${k}`).join(', ');
    const dups = ops.filter((o) => o.duplicate);
    summary.add(
      'no 5xx, every request answered 200',
      `${answers.length} requests over ${INSTANCES} instances: ${byKind}, ${statusReads.length} status reads`,
      non200.length === 0,
      non200.length ? `${tally(non200.map((a) => a.status))}; e.g. ${non200[0]!.text.slice(0, 160) || non200[0]!.error}` : '',
    );

    // Both answers of a duplicated pair: 200, and the same execution (X-Payment-Intent-Id).
    const pairProblems: string[] = [];
    for (const op of dups) {
      const two = sent.filter((s) => s.op === op);
      const ids = new Set(two.map((s) => s.answer.headers?.get('x-payment-intent-id')));
      if (two.some((s) => s.answer.status !== 200) || ids.size !== 1 || two.some((s) => s.answer.json?.reference_id !== op.reference_id)) {
        pairProblems.push(`${op.kind} ${op.reference_id}: ${two.map((s) => `${s.answer.status} pi=${s.answer.headers?.get('x-payment-intent-id')}`).join(' / ')}`);
      }
    }
    summary.add(
      'duplicated reference_id → the same execution',
      `${dups.length} reference_ids sent twice at once to two instances`,
      pairProblems.length === 0,
      pairProblems.slice(0, 3).join('; '),
    );

    const stored = await storedExecutions(database);
    const problems: string[] = [];
    for (const op of ops) {
      const list = stored.get(executionKey(op.kit.m.merchant_id, OPERATION_OF[op.kind], op.reference_id)) ?? [];
      if (list.length !== 1) problems.push(`${op.kind} ${op.reference_id}: ${list.length} executions`);
    }
    const extra = [...stored.values()].reduce((n, l) => n + l.length, 0) - ops.length - kits.length; // + one setup collection per kit
    summary.add(
      'one execution per reference_id, none extra',
      `${ops.length} reference_ids; ${[...stored.values()].reduce((n, l) => n + l.length, 0)} executions stored`,
      problems.length === 0 && extra === 0,
      [...problems.slice(0, 3), extra ? `${extra} executions nobody asked for` : ''].filter(Boolean).join('; '),
    );

    const doubles = await doublePostingSets(database);
    const violations = await checkInvariants(database);
    summary.add(
      'ledger balanced, one posting set per execution and kind',
      'checkInvariants + (execution, kind) counted',
      violations.length === 0 && doubles === 0,
      [doubles ? `${doubles} posting sets recorded twice` : '', ...violations.slice(0, 3).map((v) => `${v.rule} ${JSON.stringify(v.detail)}`)].filter(Boolean).join('; '),
    );
    const negative = await negativeWallets(database);
    const statuses = tally([...stored.values()].flat().map((e) => (e.status === 'COMPLETED' ? 1 : e.status === 'FAILED' ? 2 : 3)));
    summary.add('no negative wallet', `${POOR_MERCHANTS} merchants with little USD (no income) under payouts, transfers, refunds`, negative === 0, negative ? `${negative} negative` : '');
    summary.add(
      'every execution final after settling',
      `waited ${Math.round((Date.now() - settleStart) / 1000)} s (bound ${SETTLE_TIMEOUT_MS / 1000} s); 1=COMPLETED 2=FAILED 3=open: ${statuses}`,
      open === 0,
      open ? `${open} still open` : '',
    );

    assert.equal(fiveXX.length, 0, `no 5xx or dropped connection: ${tally(fiveXX.map((a) => a.status))}`);
    assert.deepEqual(pairProblems, [], 'duplicated pairs answer one execution');
    assert.deepEqual(problems, [], 'one execution per reference_id');
    assert.equal(extra, 0, 'no execution nobody asked for');
    assert.deepEqual(violations, [], 'ledger invariants');
    assert.equal(doubles, 0, 'no posting set twice');
    assert.equal(negative, 0, 'no negative wallet');
    assert.equal(open, 0, 'all executions final');
    assert.equal(non200.length, 0, `every request answered 200: ${tally(non200.map((a) => a.status))}`);
  });
});
