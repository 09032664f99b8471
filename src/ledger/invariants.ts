/**
 * The ledger's promises, checked against the stored data in one snapshot:
 *  1. every ledger transaction balances per currency;
 *  2. every cached balance equals the sum of its postings;
 *  3. no account that may not go negative is negative;
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
               where a.balance_minor <> coalesce(p.s, 0) * case a.normal_side when 'credit' then -1 else 1 end
               limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
  {
    rule: 'no_negative_balance',
    query: sql`select id as account_id, code, balance_minor::text as balance from ledger_accounts
               where not allow_negative and balance_minor < 0 limit ${VIOLATIONS_PER_RULE_MAX}`,
  },
  {
    rule: 'posting_currency_matches_account',
    query: sql`select p.id::text as posting_id, p.currency, a.currency as account_currency
               from ledger_postings p join ledger_accounts a on a.id = p.account_id
               where p.currency <> a.currency limit ${VIOLATIONS_PER_RULE_MAX}`,
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
