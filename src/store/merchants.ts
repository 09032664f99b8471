/** Queries for merchants, their API keys and wallets. */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { type Executor, rows } from './db.js';
import { apiKeys, merchants, wallets } from './schema.js';

export type MerchantRow = typeof merchants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type WalletRow = typeof wallets.$inferSelect;

export async function insertMerchant(ex: Executor, values: typeof merchants.$inferInsert): Promise<MerchantRow> {
  const [row] = await ex.insert(merchants).values(values).returning();
  return row!;
}

export async function findMerchant(ex: Executor, id: number): Promise<MerchantRow | undefined> {
  const [row] = await ex.select().from(merchants).where(eq(merchants.id, id));
  return row;
}

export async function updateMerchant(ex: Executor, id: number, values: Partial<typeof merchants.$inferInsert>): Promise<MerchantRow | undefined> {
  const [row] = await ex.update(merchants).set(values).where(eq(merchants.id, id)).returning();
  return row;
}

/**
 * Reserve one passcode check before the (slow) hash comparison: the counter goes up first, in one
 * statement, so concurrent guesses cannot all read the same count and all be checked. Undefined
 * when no passcode is set, the merchant is locked, or every attempt is in use (a concurrent miss is setting the lock).
 */
export async function reservePasscodeAttempt(ex: Executor, id: number, now: Date, attempts_max: number): Promise<MerchantRow | undefined> {
  const [row] = await ex
    .update(merchants)
    .set({ passcode_failed_attempts: sql`${merchants.passcode_failed_attempts} + 1` })
    .where(
      and(
        eq(merchants.id, id),
        sql`${merchants.passcode_hash} is not null`,
        sql`${merchants.passcode_failed_attempts} < ${attempts_max}`,
        sql`(${merchants.passcode_locked_until} is null or ${merchants.passcode_locked_until} <= ${now.toISOString()}::timestamptz)`,
      ),
    )
    .returning();
  return row;
}

export async function listMerchants(ex: Executor, limit: number): Promise<MerchantRow[]> {
  return ex.select().from(merchants).orderBy(merchants.id).limit(limit);
}

export async function countMerchants(ex: Executor): Promise<number> {
  const [row] = await rows<{ n: number }>(ex, sql`select count(*)::int as n from merchants`);
  return Number(row?.n ?? 0);
}

export async function insertApiKey(ex: Executor, values: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
  const [row] = await ex.insert(apiKeys).values(values).returning();
  return row!;
}

export async function findApiKeyByClientId(ex: Executor, client_id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await ex.select().from(apiKeys).where(eq(apiKeys.client_id, client_id));
  return row;
}

export async function listApiKeys(ex: Executor, merchant_id: number): Promise<ApiKeyRow[]> {
  return ex.select().from(apiKeys).where(eq(apiKeys.merchant_id, merchant_id)).orderBy(apiKeys.id);
}

export async function revokeApiKey(ex: Executor, client_id: string, at: Date): Promise<ApiKeyRow | undefined> {
  const [row] = await ex
    .update(apiKeys)
    .set({ revoked_at: at })
    .where(and(eq(apiKeys.client_id, client_id), isNull(apiKeys.revoked_at)))
    .returning();
  return row;
}

/** What a bearer token needs checked on every request: the key is live and who it belongs to. */
export interface AuthRow {
  api_key_id: number;
  revoked: boolean;
  merchant_id: number;
  verification_status: string;
}

export async function findAuthContext(ex: Executor, api_key_id: number): Promise<AuthRow | undefined> {
  const [row] = await rows<{ api_key_id: bigint; revoked: boolean; merchant_id: bigint; verification_status: string }>(
    ex,
    sql`select k.id as api_key_id, (k.revoked_at is not null) as revoked, m.id as merchant_id, m.verification_status
        from api_keys k join merchants m on m.id = k.merchant_id where k.id = ${api_key_id}`,
  );
  if (!row) return undefined;
  return { api_key_id: Number(row.api_key_id), revoked: row.revoked, merchant_id: Number(row.merchant_id), verification_status: row.verification_status };
}

export async function insertWallet(ex: Executor, values: typeof wallets.$inferInsert): Promise<WalletRow> {
  const [row] = await ex.insert(wallets).values(values).returning();
  return row!;
}

export async function findWalletByCurrency(ex: Executor, merchant_id: number, currency: string): Promise<WalletRow | undefined> {
  const [row] = await ex
    .select()
    .from(wallets)
    .where(and(eq(wallets.merchant_id, merchant_id), eq(wallets.currency, currency)));
  return row;
}
