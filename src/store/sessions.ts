/** Queries for sessions (payment intent before money moves). */
import { and, type Column, eq, getTableColumns, sql } from 'drizzle-orm';
import { arrayLiteral, type Executor, mapRow } from './db.js';
import type { PaymentAccountRow } from './payment-accounts.js';
import { paymentAccounts, paymentSources, sessions } from './schema.js';
import type { SourceRow } from './sources.js';
import { Once, run } from './statement.js';

export type SessionRow = typeof sessions.$inferSelect;

export async function insertSession(ex: Executor, values: typeof sessions.$inferInsert): Promise<SessionRow> {
  const [row] = await ex.insert(sessions).values(values).returning();
  return row!;
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

/** What an execution's plan reads of its payment account and source (the lock statement reads only these). */
const LOCKED_ACCOUNT_KEYS = ['id', 'is_active', 'operation_type', 'method', 'account_number', 'used_at'] as const;
const LOCKED_SOURCE_KEYS = ['id', 'status', 'number', 'source_type', 'currency', 'total_amount_minor', 'fee_bearer', 'updated_at'] as const;
export type LockedAccount = Pick<PaymentAccountRow, (typeof LOCKED_ACCOUNT_KEYS)[number]>;
export type LockedSource = Pick<SourceRow, (typeof LOCKED_SOURCE_KEYS)[number]>;

type Picked = { key: string; name: string; column: Column }[];
const picked = new WeakMap<object, Picked>();
function pick(table: typeof paymentAccounts | typeof paymentSources, keys: readonly string[]): Picked {
  let p = picked.get(table);
  if (!p) {
    const cols = getTableColumns(table) as Record<string, Column>;
    picked.set(table, (p = keys.map((key) => ({ key, name: cols[key]!.name, column: cols[key]! }))));
  }
  return p;
}
const selectList = (cols: Picked, alias: string, prefix: string) => cols.map((c) => `${alias}."${c.name}" as "${prefix}${c.name}"`).join(', ');

/** The picked columns of a joined row, through each column's own mapping (null when the join found none). */
function joined<T>(cols: Picked, prefix: string, raw: Record<string, unknown>): T | null {
  const id = raw[`${prefix}id`];
  if (id === null || id === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const { key, name, column } of cols) {
    const v = raw[`${prefix}${name}`];
    out[key] = v === null || v === undefined ? null : column.mapFromDriverValue(v);
  }
  return out as T;
}

export interface LockedSession {
  session: SessionRow;
  merchant_type: string;
  webhooks_enabled: boolean;
  account: LockedAccount | null;
  source: LockedSource | null;
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
  // Rows are reached by their primary keys only. The owner checks are written `is not distinct
  // from` (the same test on these non-null columns) because no index serves that form: with a
  // plain `=` a generic plan made while the tables were small could reach sessions through
  // (merchant_id) and filter the wanted ids out of every session the merchant ever had — seen in
  // bench:probe on one busy merchant, 450 rows read per session locked, growing without bound.
  lockForExecution ??= new Once(() => {
    const pa = sql.raw(selectList(pick(paymentAccounts, LOCKED_ACCOUNT_KEYS), 'pa', ACCOUNT_PREFIX));
    const ps = sql.raw(selectList(pick(paymentSources, LOCKED_SOURCE_KEYS), 'ps', SOURCE_PREFIX));
    return sql`select s.*, m.type as _merchant_type, m.webhooks_enabled as _webhooks, ${pa}, ${ps}
        from unnest(${sql.placeholder('session_ids')}::bigint[], ${sql.placeholder('merchant_ids')}::bigint[], ${sql.placeholder('account_ids')}::bigint[])
             as r(session_id, merchant_id, account_id)
        join sessions s on s.id = r.session_id and s.id = any(${sql.placeholder('session_ids')}::bigint[])
                        and s.merchant_id is not distinct from r.merchant_id
        join merchants m on m.id = s.merchant_id
        left join payment_accounts pa on pa.id = r.account_id and pa.merchant_id is not distinct from s.merchant_id
        left join payment_sources ps on ps.id = s.source_id and ps.merchant_id is not distinct from s.merchant_id
                                     and ps.source_type is not distinct from s.source_type
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
      account: joined<LockedAccount>(pick(paymentAccounts, LOCKED_ACCOUNT_KEYS), ACCOUNT_PREFIX, raw),
      source: joined<LockedSource>(pick(paymentSources, LOCKED_SOURCE_KEYS), SOURCE_PREFIX, raw),
    });
  }
  return found;
}
