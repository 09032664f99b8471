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

/** Posting sets in one statement at most (a settlement batch posts one set per execution). */
export const POSTING_SETS_PER_STATEMENT_MAX = 256;

/**
 * Apply balanced posting sets in ONE statement: move every cached balance they touch — once per
 * account, by the sum of its lines, so a hot wallet row is updated once however many sets touch
 * it — refusing to take a guarded account below zero at any line (the running balance is checked
 * in the sets' order, not only the final one); record each set as a ledger transaction with its
 * lines, each cached account's line carrying its running balance after it. Derived accounts get
 * their lines only — no row lock.
 *
 * All or nothing per statement: when a guarded balance would go short nothing is recorded and
 * InsufficientFunds is thrown; the balance updates of the statement may have run, so a caller
 * that wants to carry on (record the failure) runs this inside a savepoint, and one that does not
 * lets its transaction roll back. Callers that post several sets pass only sets that cannot
 * legitimately go short (settlement moves money that a hold or the carrier already secured).
 *
 * Locks: the cached accounts are locked in id order before they are updated, so two transactions
 * posting to the same wallets never wait for each other in a cycle — with the lock an update of a
 * non-key column takes anyway (no key update), so the foreign-key checks of other transactions'
 * postings on the account (key share) do not wait for it.
 */
let postStatement: Once | undefined;

export async function postTransactions(ex: Executor, inputs: readonly PostInput[]): Promise<{ transaction_ids: number[] }> {
  if (inputs.length === 0) return { transaction_ids: [] };
  if (inputs.length > POSTING_SETS_PER_STATEMENT_MAX) throw new Error('assertion: too many posting sets in one statement');
  const set_nos: number[] = [];
  const ids: number[] = [];
  const currencies: string[] = [];
  const amounts: bigint[] = [];
  const sets: { set_no: number; merchant_id: number | null; execution_id: number | null; kind: string; description: string; created_at: string }[] = [];
  inputs.forEach((input, i) => {
    assertBalanced(input.postings);
    const seen = new Set<number>();
    for (const p of input.postings) {
      if (seen.has(p.account_id)) throw new Error('assertion: one line per account in a posting set');
      seen.add(p.account_id);
      set_nos.push(i + 1);
      ids.push(p.account_id);
      currencies.push(p.currency);
      amounts.push(p.amount_minor);
    }
    sets.push({ set_no: i + 1, merchant_id: input.merchant_id, execution_id: input.execution_id ?? null, kind: input.kind, description: input.description ?? '', created_at: input.at.toISOString() });
  });
  const ph = sql.placeholder;
  postStatement ??= new Once(
    () => sql`with l as materialized (
          select * from unnest(${ph('set_nos')}::int[], ${ph('ids')}::bigint[], ${ph('currencies')}::text[], ${ph('amounts')}::bigint[])
                 with ordinality as l(set_no, account_id, currency, amount_minor, ord)
        ), sets as materialized (
          select * from json_to_recordset(${ph('sets')}::json)
                 as s(set_no int, merchant_id bigint, execution_id bigint, kind text, description text, created_at timestamptz)
        ), acc as materialized (
          select a.id, a.currency, a.balance_mode, a.normal_side from ledger_accounts a where a.id = any(${ph('accounts')}::bigint[])
        ), sl as materialized (
          select l.ord, l.account_id, case acc.normal_side when 'debit' then l.amount_minor else -l.amount_minor end as delta
          from l join acc on acc.id = l.account_id and acc.currency = l.currency where acc.balance_mode = 'cached'
        ), lk as materialized (
          select a.id, a.balance_minor, a.allow_negative from ledger_accounts a
          where a.id = any(${ph('accounts')}::bigint[]) and a.id in (select account_id from sl) order by a.id for no key update
        ), run as materialized (
          select sl.ord, sl.account_id, lk.allow_negative,
                 lk.balance_minor + sum(sl.delta) over (partition by sl.account_id order by sl.ord) as after_minor
          from sl join lk on lk.id = sl.account_id
        ), ok as materialized (
          select (select count(*) from l join acc on acc.id = l.account_id and acc.currency = l.currency) = ${ph('lines')}
             and not exists (select 1 from run where not run.allow_negative and run.after_minor < 0) as yes
        ), upd as (
          update ledger_accounts a set balance_minor = d.after_minor
          from (select distinct on (account_id) account_id, after_minor from run order by account_id, ord desc) d, ok
          where ok.yes and a.id = any(${ph('accounts')}::bigint[]) and a.id = d.account_id
          returning a.id
        ), tid as materialized (
          select s.set_no, nextval(pg_get_serial_sequence('ledger_transactions', 'id')) as id from sets s, ok where ok.yes
        ), t as (
          insert into ledger_transactions (id, merchant_id, execution_id, kind, description, created_at) overriding system value
          select tid.id, s.merchant_id, s.execution_id, s.kind, s.description, s.created_at from tid join sets s using (set_no)
          returning id
        ), p as (
          insert into ledger_postings (transaction_id, account_id, currency, amount_minor, balance_after_minor, created_at)
          select tid.id, l.account_id, l.currency, l.amount_minor, run.after_minor, s.created_at
          from l join tid using (set_no) join sets s using (set_no) left join run on run.ord = l.ord
          order by l.ord
        )
        select (select array_agg(id order by set_no) from tid)::text as transaction_ids,
               (select count(*)::int from acc) as accounts,
               (select count(*)::int from l join acc on acc.id = l.account_id and acc.currency = l.currency) as lines,
               (select count(*)::int from upd) as updated,
               (select count(distinct account_id)::int from sl) as cached,
               (select count(*)::int from t) as recorded,
               (select run.account_id from run where not run.allow_negative and run.after_minor < 0 order by run.ord limit 1) as short_account`,
  );
  const [r] = await run<{ transaction_ids: string | null; lines: number; updated: number; cached: number; recorded: number; short_account: bigint | number | null }>(ex, postStatement.get(), {
    set_nos: arrayLiteral(set_nos),
    ids: arrayLiteral(ids),
    accounts: arrayLiteral([...new Set(ids)]),
    currencies: arrayLiteral(currencies),
    amounts: arrayLiteral(amounts),
    sets: JSON.stringify(sets),
    lines: ids.length,
  });
  if (!r) throw new Error('assertion: posting statement returned nothing');
  if (Number(r.lines) !== ids.length) throw new Error('assertion: posting to a missing account or in the wrong currency');
  if (r.short_account !== null) throw new InsufficientFunds(Number(r.short_account));
  if (r.transaction_ids === null || Number(r.recorded) !== inputs.length || Number(r.updated) !== Number(r.cached)) {
    throw new Error('assertion: posting statement recorded a partial result');
  }
  const transaction_ids = r.transaction_ids.replace(/[{}]/g, '').split(',').map(Number);
  if (transaction_ids.length !== inputs.length || transaction_ids.some((id) => !Number.isSafeInteger(id))) throw new Error('assertion: posting statement ids');
  return { transaction_ids };
}

/** One balanced posting set (see postTransactions). */
export async function postTransaction(ex: Executor, input: PostInput): Promise<{ transaction_id: number }> {
  const { transaction_ids } = await postTransactions(ex, [input]);
  return { transaction_id: transaction_ids[0]! };
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
