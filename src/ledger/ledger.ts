/**
 * The ledger underneath every wallet. `postTransaction` writes one balanced posting set and moves
 * the cached balances in the caller's database transaction, so the business row (an execution),
 * its postings and the balances commit together or not at all.
 */
import { sql } from 'drizzle-orm';
import { assertBalanced, type NormalSide, type Posting } from '../domain/ledger.js';
import { type Executor, rows } from '../store/db.js';

export class InsufficientFunds extends Error {
  constructor(readonly account_id: number) {
    super(`insufficient funds in ledger account ${account_id}`);
    this.name = 'InsufficientFunds';
  }
}

/**
 * Platform accounts (merchant_id null). Codes are stable strings; the currency completes the key.
 *  carrier_clearing:<G>      what carrier G owes us (debit-normal; payouts and refunds draw it down)
 *  gateway_fees_payable:<G>  gateway fees G keeps from settlement
 *  platform_fee_revenue      our fee income
 *  fx_position / fx_revenue  currency conversion: the position nets to the FX trade, revenue is the markup
 *  sandbox_funding           where sandbox test balances come from
 */
export const PlatformAccount = {
  sandboxFunding: { code: 'sandbox_funding', normal_side: 'debit', allow_negative: true },
  platformFeeRevenue: { code: 'platform_fee_revenue', normal_side: 'credit', allow_negative: false },
  fxRevenue: { code: 'fx_revenue', normal_side: 'credit', allow_negative: false },
  fxPosition: { code: 'fx_position', normal_side: 'debit', allow_negative: true },
  carrierClearing: (gateway: string): AccountSpec => ({ code: `carrier_clearing:${gateway}`, normal_side: 'debit', allow_negative: true }),
  gatewayFeesPayable: (gateway: string): AccountSpec => ({ code: `gateway_fees_payable:${gateway}`, normal_side: 'credit', allow_negative: false }),
} as const satisfies Record<string, AccountSpec | ((g: string) => AccountSpec)>;

/** Merchant-owned accounts beyond the two wallet accounts. */
export const MerchantAccount = {
  walletAvailable: { code: 'wallet_available', normal_side: 'credit', allow_negative: false },
  walletPending: { code: 'wallet_pending', normal_side: 'credit', allow_negative: false },
  /** What the merchant has sent to a counterparty's balance on the platform (transfers). */
  counterpartyBalance: (counterparty_id: number): AccountSpec => ({ code: `counterparty_balance:${counterparty_id}`, normal_side: 'credit', allow_negative: false }),
} as const satisfies Record<string, AccountSpec | ((id: number) => AccountSpec)>;

export interface AccountSpec {
  code: string;
  normal_side: NormalSide;
  allow_negative: boolean;
}

/** Find or create an account; safe under concurrency (the unique key decides). */
export async function ensureAccount(
  ex: Executor,
  merchant_id: number | null,
  spec: AccountSpec,
  currency: string,
  at: Date,
): Promise<number> {
  const inserted = await rows<{ id: bigint }>(
    ex,
    sql`insert into ledger_accounts (merchant_id, code, currency, normal_side, allow_negative, balance_minor, created_at)
        values (${merchant_id}, ${spec.code}, ${currency}, ${spec.normal_side}, ${spec.allow_negative}, 0, ${at})
        on conflict on constraint ledger_accounts_owner_code_currency_key do nothing
        returning id`,
  );
  if (inserted[0]) return Number(inserted[0].id);
  const found = await rows<{ id: bigint }>(
    ex,
    sql`select id from ledger_accounts
        where merchant_id is not distinct from ${merchant_id} and code = ${spec.code} and currency = ${currency}`,
  );
  if (!found[0]) throw new Error(`assertion: ledger account ${spec.code}/${currency} vanished`);
  return Number(found[0].id);
}

export interface PostInput {
  merchant_id: number | null;
  execution_id?: number | null;
  kind: string;
  description?: string;
  postings: readonly Posting[];
  at: Date;
}

/**
 * Apply a balanced posting set. Accounts are updated in id order (a stable lock order, so two
 * transactions touching the same accounts cannot deadlock), each update refusing to take a
 * non-negative account below zero. On refusal it throws InsufficientFunds; the caller runs this
 * inside a savepoint when it wants to record the failure instead of aborting.
 */
export async function postTransaction(ex: Executor, input: PostInput): Promise<{ transaction_id: number }> {
  assertBalanced(input.postings);
  const byAccount = new Map<number, { currency: string; amount_minor: bigint }>();
  for (const p of input.postings) {
    const cur = byAccount.get(p.account_id);
    if (cur && cur.currency !== p.currency) throw new Error('assertion: one account, two currencies');
    byAccount.set(p.account_id, { currency: p.currency, amount_minor: (cur?.amount_minor ?? 0n) + p.amount_minor });
  }
  const finalBalance = new Map<number, bigint>();
  const normalSide = new Map<number, NormalSide>();
  for (const account_id of [...byAccount.keys()].sort((a, b) => a - b)) {
    const { currency, amount_minor } = byAccount.get(account_id)!;
    const updated = await rows<{ balance_minor: bigint; normal_side: NormalSide }>(
      ex,
      sql`update ledger_accounts
          set balance_minor = balance_minor + (case normal_side when 'debit' then ${amount_minor}::bigint else -${amount_minor}::bigint end)
          where id = ${account_id} and currency = ${currency}
            and (allow_negative or balance_minor + (case normal_side when 'debit' then ${amount_minor}::bigint else -${amount_minor}::bigint end) >= 0)
          returning balance_minor, normal_side`,
    );
    if (!updated[0]) {
      const exists = await rows<{ currency: string }>(ex, sql`select currency from ledger_accounts where id = ${account_id}`);
      if (!exists[0] || exists[0].currency !== currency) throw new Error(`assertion: posting to missing account ${account_id} in ${currency}`);
      throw new InsufficientFunds(account_id);
    }
    finalBalance.set(account_id, BigInt(updated[0].balance_minor));
    normalSide.set(account_id, updated[0].normal_side);
  }
  // balance_after for each line: walk the lines backwards from each account's final balance.
  const after: bigint[] = new Array(input.postings.length);
  const running = new Map(finalBalance);
  for (let i = input.postings.length - 1; i >= 0; i--) {
    const p = input.postings[i]!;
    const bal = running.get(p.account_id)!;
    after[i] = bal;
    const delta = normalSide.get(p.account_id) === 'debit' ? p.amount_minor : -p.amount_minor;
    running.set(p.account_id, bal - delta);
  }
  const accountIds = input.postings.map((p) => p.account_id);
  const currencies = input.postings.map((p) => p.currency);
  const amounts = input.postings.map((p) => p.amount_minor.toString());
  const afters = after.map((b) => b.toString());
  const inserted = await rows<{ id: bigint }>(
    ex,
    sql`with t as (
          insert into ledger_transactions (merchant_id, execution_id, kind, description, created_at)
          values (${input.merchant_id}, ${input.execution_id ?? null}, ${input.kind}, ${input.description ?? ''}, ${input.at})
          returning id
        ), p as (
          insert into ledger_postings (transaction_id, account_id, currency, amount_minor, balance_after_minor, created_at)
          select t.id, l.account_id, l.currency, l.amount_minor, l.balance_after_minor, ${input.at}::timestamptz
          from t, unnest(${sqlArray(accountIds, 'bigint')}, ${sqlArray(currencies, 'text')}, ${sqlArray(amounts, 'bigint')}, ${sqlArray(afters, 'bigint')})
               as l(account_id, currency, amount_minor, balance_after_minor)
        )
        select id from t`,
  );
  return { transaction_id: Number(inserted[0]!.id) };
}

/** A typed array parameter that reads the same on node-postgres and PGlite. */
export function sqlArray(values: readonly (string | number)[], type: 'bigint' | 'text' | 'int') {
  return sql`${`{${values.map((v) => (type === 'text' ? `"${String(v).replace(/["\\]/g, '\\$&')}"` : String(v))).join(',')}}`}::${sql.raw(type)}[]`;
}

/**
 * Account ids by (owner, code, currency), cached per process. Only ids of rows that already
 * existed are cached: an account created inside a transaction that later rolls back must not
 * leave a dangling id behind. Lookups run on the caller's executor, so inside a transaction they
 * never wait for a second connection (the embedded database has only one).
 */
export class AccountBook {
  private readonly ids = new Map<string, number>();
  private static readonly ENTRIES_MAX = 100_000;

  async id(ex: Executor, merchant_id: number | null, spec: AccountSpec, currency: string, at: Date): Promise<number> {
    const key = `${merchant_id ?? '-'}|${spec.code}|${currency}`;
    const hit = this.ids.get(key);
    if (hit !== undefined) return hit;
    const found = await rows<{ id: bigint }>(
      ex,
      sql`select id from ledger_accounts where merchant_id is not distinct from ${merchant_id} and code = ${spec.code} and currency = ${currency}`,
    );
    if (found[0]) {
      if (this.ids.size >= AccountBook.ENTRIES_MAX) this.ids.clear();
      this.ids.set(key, Number(found[0].id));
      return Number(found[0].id);
    }
    return ensureAccount(ex, merchant_id, spec, currency, at);
  }

  platform(ex: Executor, spec: AccountSpec, currency: string, at: Date): Promise<number> {
    return this.id(ex, null, spec, currency, at);
  }
}
