/** Wallet reads: balances come from the ledger's cached account rows (O(1)), entries are cursor-paged postings. */
import { type EntryRow, findWallet, listWallets, listWalletEntries, type WalletView } from '../store/wallets.js';
import type { AuthContext } from './auth.js';
import type { Ctx } from './context.js';

export function listMerchantWallets(ctx: Ctx, auth: AuthContext): Promise<WalletView[]> {
  return listWallets(ctx.database.db, auth.merchant_id);
}

export function getWallet(ctx: Ctx, auth: AuthContext, wallet_id: number): Promise<WalletView | undefined> {
  return findWallet(ctx.database.db, auth.merchant_id, wallet_id);
}

export async function walletEntries(
  ctx: Ctx,
  auth: AuthContext,
  wallet_id: number,
  page: { limit: number; starting_after?: bigint | undefined },
): Promise<{ wallet: WalletView; entries: EntryRow[] } | undefined> {
  const wallet = await findWallet(ctx.database.db, auth.merchant_id, wallet_id);
  if (!wallet) return undefined;
  return { wallet, entries: await listWalletEntries(ctx.database.db, wallet, page) };
}
