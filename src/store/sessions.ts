/** Queries for sessions (payment intent before money moves). */
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { type Executor, mapRow, rows } from './db.js';
import type { PaymentAccountRow } from './payment-accounts.js';
import { paymentAccounts, sessions } from './schema.js';
import { Once, run } from './statement.js';

export type SessionRow = typeof sessions.$inferSelect;

export async function insertSession(ex: Executor, values: typeof sessions.$inferInsert): Promise<SessionRow> {
  const [row] = await ex.insert(sessions).values(values).returning();
  return row!;
}

/** Lock a merchant's session for the execution that consumes it (serializes racing executes). */
export async function lockSession(ex: Executor, merchant_id: number, id: number): Promise<SessionRow | undefined> {
  const [row] = await ex
    .select()
    .from(sessions)
    .where(and(eq(sessions.id, id), eq(sessions.merchant_id, merchant_id)))
    .for('update');
  return row;
}

export async function markSessionUsed(ex: Executor, id: number, execution_id: number, at: Date): Promise<void> {
  await ex.update(sessions).set({ status: 'USED', execution_id, used_at: at, updated_at: at }).where(eq(sessions.id, id));
}

/** Sessions past their expiry that were never used (the expiry job marks them EXPIRED). */
export async function expireSessions(ex: Executor, now: Date, limit: number): Promise<number> {
  const res = await ex.execute(
    sql`update sessions set status = 'EXPIRED', updated_at = ${now}
        where id in (select id from sessions where status = 'ACTIVE' and expires_at <= ${now} order by expires_at limit ${limit})`,
  );
  return Number((res as unknown as { rowCount?: number; affectedRows?: number }).rowCount ?? (res as { affectedRows?: number }).affectedRows ?? 0);
}

export async function findSession(ex: Executor, merchant_id: number, id: number): Promise<SessionRow | undefined> {
  const [row] = await ex
    .select()
    .from(sessions)
    .where(and(eq(sessions.id, id), eq(sessions.merchant_id, merchant_id)));
  return row;
}

let lockForExecution: Once | undefined;
const ACCOUNT_PREFIX = '_pa_';
let accountColumnNames: string[] | undefined;
const accountColumns = () => (accountColumnNames ??= Object.values(getTableColumns(paymentAccounts)).map((c) => c.name));

/**
 * Lock a session for the execution that consumes it, with its merchant's type and webhook flag
 * and — when `account_id` is given — the merchant's payment account of that id (null when there
 * is none), in one round trip. Only the session row is locked.
 */
export async function lockSessionForExecution(
  ex: Executor,
  merchant_id: number,
  id: number,
  account_id: number | null = null,
): Promise<{ session: SessionRow; merchant_type: string; webhooks_enabled: boolean; account: PaymentAccountRow | null } | undefined> {
  lockForExecution ??= new Once(() => {
    const pa = sql.raw(accountColumns().map((c) => `pa."${c}" as "${ACCOUNT_PREFIX}${c}"`).join(', '));
    return sql`select s.*, m.type as _merchant_type, m.webhooks_enabled as _webhooks, ${pa}
        from sessions s join merchants m on m.id = s.merchant_id
        left join payment_accounts pa on pa.id = ${sql.placeholder('account_id')}::bigint and pa.merchant_id = s.merchant_id
        where s.id = ${sql.placeholder('id')} and s.merchant_id = ${sql.placeholder('merchant_id')}
        for update of s`;
  });
  const [raw] = await run(ex, lockForExecution.get(), { id, merchant_id, account_id });
  if (!raw) return undefined;
  let account: PaymentAccountRow | null = null;
  if (raw[`${ACCOUNT_PREFIX}id`] !== null && raw[`${ACCOUNT_PREFIX}id`] !== undefined) {
    account = mapRow(paymentAccounts, Object.fromEntries(accountColumns().map((c) => [c, raw[`${ACCOUNT_PREFIX}${c}`]])));
  }
  return { session: mapRow(sessions, raw), merchant_type: String(raw._merchant_type), webhooks_enabled: raw._webhooks === true, account };
}
