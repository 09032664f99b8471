/**
 * The ledger underneath every wallet. `postTransaction` writes one balanced posting set and moves
 * the cached balances in the caller's database transaction, so the business row (an execution),
 * its postings and the balances commit together or not at all.
 */
import { sql } from 'drizzle-orm';
import { assertBalanced, type NormalSide, type Posting } from '../domain/ledger.js';
import { arrayLiteral, type Executor, rows } from '../store/db.js';
import { Once, run } from '../store/statement.js';

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
 * All are `derived`: every movement touches them, so a cached balance would make each one a single
 * hot row that serializes every payment; their balance is the sum of their postings instead.
 */
export const PlatformAccount = {
  sandboxFunding: { code: 'sandbox_funding', normal_side: 'debit', allow_negative: true, balance_mode: 'derived' },
  platformFeeRevenue: { code: 'platform_fee_revenue', normal_side: 'credit', allow_negative: false, balance_mode: 'derived' },
  fxRevenue: { code: 'fx_revenue', normal_side: 'credit', allow_negative: false, balance_mode: 'derived' },
  fxPosition: { code: 'fx_position', normal_side: 'debit', allow_negative: true, balance_mode: 'derived' },
  carrierClearing: (gateway: string): AccountSpec => ({ code: `carrier_clearing:${gateway}`, normal_side: 'debit', allow_negative: true, balance_mode: 'derived' }),
  gatewayFeesPayable: (gateway: string): AccountSpec => ({ code: `gateway_fees_payable:${gateway}`, normal_side: 'credit', allow_negative: false, balance_mode: 'derived' }),
} as const satisfies Record<string, AccountSpec | ((g: string) => AccountSpec)>;

/** Merchant-owned accounts: cached, guarded balances (O(1) reads, never below zero). */
export const MerchantAccount = {
  walletAvailable: { code: 'wallet_available', normal_side: 'credit', allow_negative: false, balance_mode: 'cached' },
  walletPending: { code: 'wallet_pending', normal_side: 'credit', allow_negative: false, balance_mode: 'cached' },
  /** What the merchant has sent to a counterparty's balance on the platform (transfers). */
  counterpartyBalance: (counterparty_id: number): AccountSpec => ({
    code: `counterparty_balance:${counterparty_id}`,
    normal_side: 'credit',
    allow_negative: false,
    balance_mode: 'cached',
  }),
} as const satisfies Record<string, AccountSpec | ((id: number) => AccountSpec)>;

export interface AccountSpec {
  code: string;
  normal_side: NormalSide;
  allow_negative: boolean;
  balance_mode: 'cached' | 'derived';
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
    sql`insert into ledger_accounts (merchant_id, code, currency, normal_side, allow_negative, balance_mode, balance_minor, created_at)
        values (${merchant_id}, ${spec.code}, ${currency}, ${spec.normal_side}, ${spec.allow_negative}, ${spec.balance_mode}, 0, ${at})
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

export interface WalletAccounts {
  id: number;
  available_account_id: number;
  pending_account_id: number;
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
 * Apply a balanced posting set in ONE statement: move every cached balance it touches (each update
 * refusing to take a guarded account below zero), record the transaction and its lines with each
 * cached account's balance after it. Derived accounts get their lines only — no row lock.
 * When a guarded balance is short nothing is recorded and InsufficientFunds is thrown; the other
 * balance updates of the statement may have run, so a caller that wants to carry on (record the
 * failure) runs this inside a savepoint, and one that does not lets its transaction roll back.
 */
let postStatement: Once | undefined;

export async function postTransaction(ex: Executor, input: PostInput): Promise<{ transaction_id: number }> {
  assertBalanced(input.postings);
  const seen = new Set<number>();
  for (const p of input.postings) {
    if (seen.has(p.account_id)) throw new Error('assertion: one line per account in a posting set');
    seen.add(p.account_id);
  }
  const ph = sql.placeholder;
  postStatement ??= new Once(
    () => sql`with l as (
          select * from unnest(${ph('ids')}::bigint[], ${ph('currencies')}::text[], ${ph('amounts')}::bigint[]) as l(account_id, currency, amount_minor)
        ), acc as (
          select a.id, a.balance_mode, a.currency from ledger_accounts a join l on l.account_id = a.id and l.currency = a.currency
        ), upd as (
          update ledger_accounts a
          set balance_minor = a.balance_minor + (case a.normal_side when 'debit' then l.amount_minor else -l.amount_minor end)
          from l
          where a.id = l.account_id and a.currency = l.currency and a.balance_mode = 'cached'
            and (a.allow_negative or a.balance_minor + (case a.normal_side when 'debit' then l.amount_minor else -l.amount_minor end) >= 0)
          returning a.id, a.balance_minor
        ), ok as (
          select (select count(*) from acc) = ${ph('lines')}
             and (select count(*) from upd) = (select count(*) from acc where balance_mode = 'cached') as yes
        ), t as (
          insert into ledger_transactions (merchant_id, execution_id, kind, description, created_at)
          select ${ph('merchant_id')}::bigint, ${ph('execution_id')}::bigint, ${ph('kind')}, ${ph('description')}, ${ph('at')}::timestamptz
          from ok where ok.yes
          returning id
        ), p as (
          insert into ledger_postings (transaction_id, account_id, currency, amount_minor, balance_after_minor, created_at)
          select t.id, l.account_id, l.currency, l.amount_minor, upd.balance_minor, ${ph('at')}::timestamptz
          from t cross join l left join upd on upd.id = l.account_id
        )
        select (select id from t) as transaction_id,
               (select count(*)::int from acc) as lines,
               (select count(*)::int from acc where balance_mode = 'cached') as cached,
               (select count(*)::int from upd) as updated,
               (select acc.id from acc where acc.balance_mode = 'cached' and acc.id not in (select id from upd) limit 1) as short_account`,
  );
  const [r] = await run<{ transaction_id: bigint | null; lines: number; cached: number; updated: number; short_account: bigint | null }>(ex, postStatement.get(), {
    ids: arrayLiteral(input.postings.map((p) => p.account_id)),
    currencies: arrayLiteral(input.postings.map((p) => p.currency)),
    amounts: arrayLiteral(input.postings.map((p) => p.amount_minor)),
    lines: input.postings.length,
    merchant_id: input.merchant_id,
    execution_id: input.execution_id ?? null,
    kind: input.kind,
    description: input.description ?? '',
    at: input.at,
  });
  if (!r) throw new Error('assertion: posting statement returned nothing');
  if (Number(r.lines) !== input.postings.length) throw new Error('assertion: posting to a missing account or in the wrong currency');
  if (r.transaction_id === null) throw new InsufficientFunds(Number(r.short_account));
  return { transaction_id: Number(r.transaction_id) };
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

  private readonly wallets = new Map<string, WalletAccounts>();

  /** A merchant's wallet in a currency: its id and two ledger accounts never change, so they are cached. */
  async wallet(ex: Executor, merchant_id: number, currency: string): Promise<WalletAccounts> {
    const key = `${merchant_id}|${currency}`;
    const hit = this.wallets.get(key);
    if (hit) return hit;
    const [r] = await rows<{ id: bigint; available_account_id: bigint; pending_account_id: bigint }>(
      ex,
      sql`select id, available_account_id, pending_account_id from wallets where merchant_id = ${merchant_id} and currency = ${currency}`,
    );
    if (!r) throw new Error(`assertion: merchant ${merchant_id} has no ${currency} wallet`);
    const w = { id: Number(r.id), available_account_id: Number(r.available_account_id), pending_account_id: Number(r.pending_account_id) };
    if (this.wallets.size >= AccountBook.ENTRIES_MAX) this.wallets.clear();
    this.wallets.set(key, w);
    return w;
  }
}
