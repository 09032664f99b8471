/** Queries for sessions (payment intent before money moves). */
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { arrayLiteral, type Executor, mapRow, rows } from './db.js';
import type { PaymentAccountRow } from './payment-accounts.js';
import { paymentAccounts, paymentSources, sessions } from './schema.js';
import type { SourceRow } from './sources.js';
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
const SOURCE_PREFIX = '_ps_';
let accountColumnNames: string[] | undefined;
let sourceColumnNames: string[] | undefined;
const accountColumns = () => (accountColumnNames ??= Object.values(getTableColumns(paymentAccounts)).map((c) => c.name));
const sourceColumns = () => (sourceColumnNames ??= Object.values(getTableColumns(paymentSources)).map((c) => c.name));

/** The columns of a joined row, read back under their own names (undefined when the join found none). */
function joined<T extends typeof paymentAccounts | typeof paymentSources>(table: T, names: string[], prefix: string, raw: Record<string, unknown>): T['$inferSelect'] | null {
  const id = raw[`${prefix}id`];
  if (id === null || id === undefined) return null;
  return mapRow(table, Object.fromEntries(names.map((c) => [c, raw[`${prefix}${c}`]])));
}

export interface LockedSession {
  session: SessionRow;
  merchant_type: string;
  webhooks_enabled: boolean;
  account: PaymentAccountRow | null;
  source: SourceRow | null;
}

/**
 * Lock sessions for the executions that consume them — one request's, or a whole batch's — each
 * with its merchant's type and webhook flag, its source as it stands (a checkout's invoice or
 * order; not locked — a collection claims it in the statement that starts the execution) and,
 * when an account id is given, the merchant's payment account of that id (null when there is
 * none), in one round trip. Only the session rows are locked, in id order (two batches never wait
 * for each other in a cycle). A session that is not the merchant's is simply absent.
 */
export async function lockSessionsForExecution(
  ex: Executor,
  wanted: readonly { merchant_id: number; session_id: number; account_id: number | null }[],
): Promise<Map<number, LockedSession>> {
  lockForExecution ??= new Once(() => {
    const pa = sql.raw(accountColumns().map((c) => `pa."${c}" as "${ACCOUNT_PREFIX}${c}"`).join(', '));
    const ps = sql.raw(sourceColumns().map((c) => `ps."${c}" as "${SOURCE_PREFIX}${c}"`).join(', '));
    return sql`select s.*, m.type as _merchant_type, m.webhooks_enabled as _webhooks, ${pa}, ${ps}
        from unnest(${sql.placeholder('session_ids')}::bigint[], ${sql.placeholder('merchant_ids')}::bigint[], ${sql.placeholder('account_ids')}::bigint[])
             as r(session_id, merchant_id, account_id)
        join sessions s on s.id = r.session_id and s.merchant_id = r.merchant_id and s.id = any(${sql.placeholder('session_ids')}::bigint[])
        join merchants m on m.id = s.merchant_id
        left join payment_accounts pa on pa.id = r.account_id and pa.merchant_id = s.merchant_id
        left join payment_sources ps on ps.id = s.source_id and ps.merchant_id = s.merchant_id and ps.source_type = s.source_type
        order by s.id
        for update of s`;
  });
  const found = new Map<number, LockedSession>();
  if (wanted.length === 0) return found;
  const raws = await run(ex, lockForExecution.get(), {
    session_ids: arrayLiteral(wanted.map((w) => w.session_id)),
    merchant_ids: arrayLiteral(wanted.map((w) => w.merchant_id)),
    account_ids: arrayLiteral(wanted.map((w) => w.account_id ?? 0)), // ids start at 1: 0 joins nothing
  });
  for (const raw of raws) {
    const session = mapRow(sessions, raw);
    found.set(session.id, {
      session,
      merchant_type: String(raw._merchant_type),
      webhooks_enabled: raw._webhooks === true,
      account: joined(paymentAccounts, accountColumns(), ACCOUNT_PREFIX, raw),
      source: joined(paymentSources, sourceColumns(), SOURCE_PREFIX, raw),
    });
  }
  return found;
}
