/**
 * The ledger's promises, checked against the stored data in one snapshot:
 *  1. every ledger transaction balances per currency;
 *  2. every cached balance equals the sum of its postings (derived accounts keep none: 0);
 *  3. no account that may not go negative is negative (cached: its balance; derived: its sum);
 *  4. every posting is in its account's currency.
 * Used by the admin command `ledger:check`, and by the tests after every integration test.
 */
import { sql } from 'drizzle-orm';
import { type Database, rows } from '../store/db.js';

export interface InvariantViolation {
  rule: string;
  detail: Record<string, unknown>;
}

const VIOLATIONS_PER_RULE_MAX = 20;

export const INVARIANT_QUERIES: { rule: string; query: ReturnType<typeof sql> }[] = [
  {
    rule: 'transaction_balances',
    query: sql`select transaction_id, currency, sum(amount_minor)::text as off_by
               from ledger_postings group by transaction_id, currency having sum(amount_minor) <> 0
               limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
  {
    rule: 'cached_balance_matches_postings',
    query: sql`select a.id as account_id, a.balance_minor::text as cached,
                      (coalesce(p.s, 0) * case a.normal_side when 'credit' then -1 else 1 end)::text as from_postings
               from ledger_accounts a
               left join (select account_id, sum(amount_minor) as s from ledger_postings group by account_id) p on p.account_id = a.id
               where (a.balance_mode = 'cached' and a.balance_minor <> coalesce(p.s, 0) * case a.normal_side when 'credit' then -1 else 1 end)
                  or (a.balance_mode = 'derived' and a.balance_minor <> 0)
               limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
  {
    rule: 'no_negative_balance',
    query: sql`select a.id as account_id, a.code, a.balance_mode, a.balance_minor::text as balance from ledger_accounts a
               where not a.allow_negative and (
                 (a.balance_mode = 'cached' and a.balance_minor < 0)
                 or (a.balance_mode = 'derived' and (select coalesce(sum(p.amount_minor), 0) * case a.normal_side when 'credit' then -1 else 1 end
                                                     from ledger_postings p where p.account_id = a.id) < 0))
               limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
  {
    rule: 'posting_currency_matches_account',
    query: sql`select p.id::text as posting_id, p.currency, a.currency as account_currency
               from ledger_postings p join ledger_accounts a on a.id = p.account_id
               where p.currency <> a.currency limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
  {
    // Every execution carries exactly the posting sets its operation and status call for
    // (domain/executions.ts EXPECTED_LEDGER_KINDS) — a completed collection has one, never two.
    rule: 'execution_posting_sets',
    // Each execution's kinds through the (execution_id, kind) index, one lookup per execution. Written
    // as a join to the grouped ledger_transactions, the planner took `limit` for a reason to start
    // fast — a nested loop over the materialized groups, since it expects most rows to fail the
    // check — and on a healthy ledger, where no row does, read groups × executions: past the 30 s
    // statement timeout at ~40,000 executions (bench (2)).
    query: sql`select x.execution_id, x.operation_type, x.status, x.kinds
               from (select e.id as execution_id, e.operation_type, e.status,
                            coalesce((select string_agg(t.kind, ',' order by t.kind) from ledger_transactions t where t.execution_id = e.id), '') as kinds
                     from executions e) x
               where (x.operation_type, x.status, x.kinds) not in (
                 ('COLLECTION', 'PENDING', ''), ('COLLECTION', 'PROCESSING', ''), ('COLLECTION', 'COMPLETED', 'collection'), ('COLLECTION', 'FAILED', ''),
                 ('PAYOUT', 'PENDING', 'payout_reserve'), ('PAYOUT', 'PROCESSING', 'payout_reserve'), ('PAYOUT', 'COMPLETED', 'payout_reserve,payout_settle'),
                 ('PAYOUT', 'FAILED', ''), ('PAYOUT', 'FAILED', 'payout_release,payout_reserve'),
                 ('TRANSFER', 'COMPLETED', 'transfer'), ('TRANSFER', 'FAILED', ''),
                 ('REFUND', 'PENDING', 'refund_reserve'), ('REFUND', 'PROCESSING', 'refund_reserve'), ('REFUND', 'COMPLETED', 'refund_reserve,refund_settle'),
                 ('REFUND', 'FAILED', ''), ('REFUND', 'FAILED', 'refund_release,refund_reserve'))
               limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
  {
    // A PAID source was paid by exactly one completed collection; a PROCESSING source has one open.
    rule: 'source_status_matches_collections',
    query: sql`select s.id as source_id, s.status, s.paid_execution_id
               from payment_sources s
               left join executions e on e.id = s.paid_execution_id
               where (s.status = 'PAID' and (e.id is null or e.status <> 'COMPLETED'))
                  or (s.status = 'PROCESSING' and not exists (
                        select 1 from executions o where o.source_id = s.id and o.operation_type = 'COLLECTION' and o.status in ('PENDING', 'PROCESSING')))
               limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
  {
    // Refunds reserved or done never exceed the collection they return money from.
    rule: 'refunds_within_original',
    query: sql`select id as execution_id, base_amount_minor::text as base, refunded_minor::text as refunded
               from executions where operation_type = 'COLLECTION' and refunded_minor > base_amount_minor
               limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
];

/** Extra rules other modules register (executions add theirs), checked in the same snapshot. */
const extraRules: { rule: string; query: ReturnType<typeof sql> }[] = [];
export function registerInvariant(rule: string, query: ReturnType<typeof sql>): void {
  if (!extraRules.some((r) => r.rule === rule)) extraRules.push({ rule, query });
}

export async function checkInvariants(database: Database): Promise<InvariantViolation[]> {
  return database.transaction(
    async (tx) => {
      const out: InvariantViolation[] = [];
      for (const { rule, query } of [...INVARIANT_QUERIES, ...extraRules]) {
        for (const detail of await rows<Record<string, unknown>>(tx, query)) out.push({ rule, detail: plain(detail) });
      }
      return out;
    },
    { isolation: 'repeatable read' },
  );
}

function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
}
