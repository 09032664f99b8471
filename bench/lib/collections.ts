/**
 * The collection workload: one fresh checkout session and one fresh UUIDv4 per request, spread
 * round-robin over the merchants given, and the check afterwards that every acknowledged
 * COMPLETED collection is in the ledger exactly once.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { checkInvariants, type InvariantViolation } from '../../src/ledger/invariants.js';
import { type Database, rows, sqlArray } from '../../src/store/db.js';
import { cloneCheckoutSessions, type CollectionTemplate } from '../../test/helpers/bulk.js';
import type { Req } from './load.js';

const SESSION_TTL_MS = 30 * 60_000;
const ERROR_SAMPLES_MAX = 5;

export class CollectionFeed {
  /** reference_id → status answered (200 only). */
  readonly acked = new Map<string, string>();
  /** execution status → how many 200s answered it (instant collections should all be COMPLETED). */
  readonly answered: Record<string, number> = {};
  readonly errorSamples: string[] = [];
  /** reference_id → the token that sent it (status reads go to the right merchant). */
  readonly tokenOf = new Map<string, string>();
  private readonly queues: { t: CollectionTemplate; sessions: number[] }[];
  private turn = 0;
  private left: number;

  constructor(queues: { t: CollectionTemplate; sessions: number[] }[]) {
    this.queues = queues.filter((q) => q.sessions.length > 0);
    this.left = this.queues.reduce((a, q) => a + q.sessions.length, 0);
  }

  get remaining(): number {
    return this.left;
  }

  next = (): Req | undefined => {
    if (this.left === 0) return undefined;
    for (;;) {
      const q = this.queues[this.turn++ % this.queues.length]!;
      const session_id = q.sessions.pop();
      if (session_id === undefined) continue;
      this.left--;
      const reference_id = randomUUID();
      this.tokenOf.set(reference_id, q.t.merchant.token);
      return {
        method: 'POST',
        path: '/v1/executions/collection',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${q.t.merchant.token}` },
        body: JSON.stringify({ session_id: String(session_id), payment_account_id: String(q.t.account_id), currency: q.t.currency, reference_id }),
      };
    }
  };

  onResponse = (status: number, body: string): void => {
    if (status === 200) {
      try {
        const b = JSON.parse(body) as { reference_id: string; status: string };
        this.acked.set(b.reference_id, b.status);
        this.answered[b.status] = (this.answered[b.status] ?? 0) + 1;
        return;
      } catch {
        // fall through: a 200 that is not our JSON is an error worth showing
      }
    }
    if (this.errorSamples.length < ERROR_SAMPLES_MAX) this.errorSamples.push(`${status} ${body.slice(0, 300)}`);
  };
}

/** Copy `total` checkout sessions, split evenly over the templates. */
/** "176 COMPLETED" or "170 COMPLETED, 6 PENDING" — shown beside the figures. */
export function answeredNote(feed: CollectionFeed): string {
  const parts = Object.entries(feed.answered).map(([k, v]) => `${v} ${k}`);
  return parts.length ? `answered ${parts.join(', ')}` : '';
}

export async function prepareFeed(database: Database, templates: CollectionTemplate[], total: number): Promise<CollectionFeed> {
  const at = new Date();
  const expires = new Date(at.getTime() + SESSION_TTL_MS);
  const per = Math.ceil(total / templates.length);
  const queues = [];
  for (const t of templates) queues.push({ t, sessions: (await cloneCheckoutSessions(database, t, per, at, expires)).reverse() });
  return new CollectionFeed(queues);
}

export interface LedgerCheck {
  acknowledged: number;
  acknowledged_completed: number;
  /** acknowledged COMPLETED, found COMPLETED with exactly one collection posting set */
  in_ledger_once: number;
  missing: number;
  not_completed_anymore: number;
  posting_sets_not_one: number;
  invariant_violations: InvariantViolation[];
  ok: boolean;
}

/** Every 200 COMPLETED the client saw is in the database exactly once, and the ledger invariants hold. */
export async function verifyCollections(database: Database, acked: Map<string, string>): Promise<LedgerCheck> {
  const completed = [...acked].filter(([, s]) => s === 'COMPLETED').map(([r]) => r);
  const found = new Map<string, { status: string; executions: number; sets: number }>();
  const CHUNK = 5_000;
  for (let i = 0; i < completed.length; i += CHUNK) {
    const refs = completed.slice(i, i + CHUNK);
    const got = await rows<{ reference_id: string; status: string; executions: number; sets: number }>(
      database.db,
      sql`select e.reference_id, min(e.status) as status, count(*)::int as executions,
                 sum((select count(*) from ledger_transactions t where t.execution_id = e.id and t.kind = 'collection'))::int as sets
          from executions e
          where e.operation_type = 'COLLECTION' and e.reference_id = any(${sqlArray(refs, 'text')})
          group by e.reference_id`,
    );
    for (const g of got) found.set(g.reference_id, { status: g.status, executions: Number(g.executions), sets: Number(g.sets) });
  }
  let once = 0;
  let missing = 0;
  let notCompleted = 0;
  let setsOff = 0;
  for (const ref of completed) {
    const f = found.get(ref);
    if (!f) missing++;
    else if (f.status !== 'COMPLETED' || f.executions !== 1) notCompleted++;
    else if (f.sets !== 1) setsOff++;
    else once++;
  }
  const invariant_violations = await checkInvariants(database);
  return {
    acknowledged: acked.size,
    acknowledged_completed: completed.length,
    in_ledger_once: once,
    missing,
    not_completed_anymore: notCompleted,
    posting_sets_not_one: setsOff,
    invariant_violations,
    ok: missing === 0 && notCompleted === 0 && setsOff === 0 && invariant_violations.length === 0,
  };
}

export async function countPostings(database: Database): Promise<number> {
  const [r] = await rows<{ n: number }>(database.db, sql`select count(*)::bigint::text as n from ledger_postings`);
  return Number(r!.n);
}

/**
 * History for the cost-growth measurement: `postings` ledger postings (half as many transactions)
 * between the sandbox funding account and the merchants' USD wallets, in pairs that cancel out —
 * every transaction balances, each account's postings sum to what they summed to before, so the
 * cached balances and every invariant still hold. Batched so no statement runs for minutes.
 */
export async function loadLedgerHistory(database: Database, postings: number, onProgress?: (done: number) => void): Promise<void> {
  const BATCH_TRANSACTIONS = 100_000;
  const total = Math.floor(postings / 4) * 2; // an even number of transactions: pairs cancel out
  for (let from = 0; from < total; from += BATCH_TRANSACTIONS) {
    const to = Math.min(total, from + BATCH_TRANSACTIONS) - 1;
    await database.transaction(async (tx) => {
      await tx.execute(sql`
        with w as (
          select array_agg(a.id order by a.id) as ids, array_agg(a.merchant_id order by a.id) as mids, array_agg(a.balance_minor order by a.id) as bals
          from ledger_accounts a where a.code = 'wallet_available' and a.currency = 'USD' and a.merchant_id is not null
        ), f as (
          select id, balance_minor, balance_mode from ledger_accounts where merchant_id is null and code = 'sandbox_funding' and currency = 'USD'
        ), g as (
          select k, ((k / 2) % cardinality(w.ids)) + 1 as wi, k % 2 as dir, (100 + (k / 2) % 1000)::bigint as amt
          from generate_series(${from}::int, ${to}::int) k, w
        ), t as (
          insert into ledger_transactions (merchant_id, execution_id, kind, description, created_at)
          select w.mids[g.wi], null, 'bench_history', 'bench history ' || g.k, now() - make_interval(secs => ${total}::int - g.k)
          from g, w
          returning id, description
        )
        insert into ledger_postings (transaction_id, account_id, currency, amount_minor, balance_after_minor, created_at)
        select t.id, x.account_id, 'USD', x.amount_minor, x.balance_after_minor, now()
        from t
        join g on g.k = split_part(t.description, ' ', 3)::int
        cross join w cross join f
        cross join lateral (values
          -- dir 0: funding → wallet; dir 1: wallet → funding (the pair cancels)
          (f.id, case g.dir when 0 then g.amt else -g.amt end,
           case when f.balance_mode = 'derived' then null else f.balance_minor + case g.dir when 0 then g.amt else 0 end end),
          (w.ids[g.wi], case g.dir when 0 then -g.amt else g.amt end, w.bals[g.wi] + case g.dir when 0 then g.amt else 0 end)
        ) as x(account_id, amount_minor, balance_after_minor)`);
    });
    onProgress?.((to + 1) * 2);
  }
  if (database.kind === 'postgres') await database.db.execute(sql`vacuum analyze ledger_postings, ledger_transactions`);
}
