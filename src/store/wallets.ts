/** Queries for wallets and their ledger entries (balances are read from the cached ledger rows: O(1)). */
import { sql } from 'drizzle-orm';
import { type Executor, rows } from './db.js';

export interface WalletView {
  id: number;
  merchant_id: number;
  currency: string;
  status: string;
  available_account_id: number;
  pending_account_id: number;
  available_minor: bigint;
  pending_minor: bigint;
  created_at: Date;
  updated_at: Date;
}

const WALLET_SELECT = sql`select w.id, w.merchant_id, w.currency, w.status, w.available_account_id, w.pending_account_id,
         a.balance_minor as available_minor, p.balance_minor as pending_minor, w.created_at, w.updated_at
  from wallets w
  join ledger_accounts a on a.id = w.available_account_id
  join ledger_accounts p on p.id = w.pending_account_id`;

function toView(r: Record<string, unknown>): WalletView {
  return {
    id: Number(r.id),
    merchant_id: Number(r.merchant_id),
    currency: String(r.currency),
    status: String(r.status),
    available_account_id: Number(r.available_account_id),
    pending_account_id: Number(r.pending_account_id),
    available_minor: BigInt(r.available_minor as bigint),
    pending_minor: BigInt(r.pending_minor as bigint),
    created_at: new Date(r.created_at as Date),
    updated_at: new Date(r.updated_at as Date),
  };
}

export async function listWallets(ex: Executor, merchant_id: number): Promise<WalletView[]> {
  return (await rows(ex, sql`${WALLET_SELECT} where w.merchant_id = ${merchant_id} order by w.id`)).map(toView);
}

export async function findWallet(ex: Executor, merchant_id: number, id: number): Promise<WalletView | undefined> {
  const [r] = await rows(ex, sql`${WALLET_SELECT} where w.merchant_id = ${merchant_id} and w.id = ${id}`);
  return r ? toView(r) : undefined;
}

export async function findWalletForCurrency(ex: Executor, merchant_id: number, currency: string): Promise<WalletView | undefined> {
  const [r] = await rows(ex, sql`${WALLET_SELECT} where w.merchant_id = ${merchant_id} and w.currency = ${currency}`);
  return r ? toView(r) : undefined;
}

export interface EntryRow {
  id: bigint;
  transaction_id: number;
  account_id: number;
  balance: 'available' | 'pending';
  kind: string;
  description: string;
  amount_minor: bigint; // change to the wallet balance: > 0 money in, < 0 money out
  balance_after_minor: bigint;
  reference_id: string | null;
  operation_type: string | null;
  created_at: Date;
}

/** A wallet's ledger entries, newest first, paged by posting id. */
export async function listWalletEntries(
  ex: Executor,
  wallet: WalletView,
  opts: { limit: number; starting_after?: bigint | undefined },
): Promise<EntryRow[]> {
  const cursor = opts.starting_after !== undefined ? sql`and p.id < ${opts.starting_after}` : sql``;
  const list = await rows<Record<string, unknown>>(
    ex,
    sql`select p.id, p.transaction_id, p.account_id, p.amount_minor, p.balance_after_minor, p.created_at,
               t.kind, t.description, e.reference_id, e.operation_type
        from ledger_postings p
        join ledger_transactions t on t.id = p.transaction_id
        left join executions e on e.id = t.execution_id
        where p.account_id in (${wallet.available_account_id}, ${wallet.pending_account_id}) ${cursor}
        order by p.id desc
        limit ${opts.limit}`,
  );
  return list.map((r) => ({
    id: BigInt(r.id as bigint),
    transaction_id: Number(r.transaction_id),
    account_id: Number(r.account_id),
    balance: Number(r.account_id) === wallet.available_account_id ? 'available' : 'pending',
    kind: String(r.kind),
    description: String(r.description),
    // Wallet accounts are credit-normal: a credit (negative posting) is money in.
    amount_minor: -BigInt(r.amount_minor as bigint),
    balance_after_minor: BigInt(r.balance_after_minor as bigint),
    reference_id: (r.reference_id as string | null) ?? null,
    operation_type: (r.operation_type as string | null) ?? null,
    created_at: new Date(r.created_at as Date),
  }));
}
