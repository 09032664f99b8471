/**
 * Queries for the merchant portal and the operator area: portal users and their cookie sessions,
 * and the portal's own reads (executions with filters, an execution's timeline). Merchant reads
 * are scoped by merchant_id like every other query.
 */
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Executor } from './db.js';
import { executionEvents, executions, portalSessions, portalUsers } from './schema.js';

export type PortalUserRow = typeof portalUsers.$inferSelect;
export type PortalSessionRow = typeof portalSessions.$inferSelect;

export async function insertPortalUser(ex: Executor, values: typeof portalUsers.$inferInsert): Promise<PortalUserRow | undefined> {
  const [row] = await ex.insert(portalUsers).values(values).onConflictDoNothing().returning();
  return row;
}

export async function findPortalUserByEmail(ex: Executor, email: string): Promise<PortalUserRow | undefined> {
  const [row] = await ex.select().from(portalUsers).where(sql`lower(${portalUsers.email}) = lower(${email})`);
  return row;
}

export async function findPortalUser(ex: Executor, id: number): Promise<PortalUserRow | undefined> {
  const [row] = await ex.select().from(portalUsers).where(eq(portalUsers.id, id));
  return row;
}

export async function listPortalUsers(ex: Executor, merchant_id: number): Promise<PortalUserRow[]> {
  return ex.select().from(portalUsers).where(eq(portalUsers.merchant_id, merchant_id)).orderBy(portalUsers.id);
}

/**
 * Count one failed sign-in in a single statement (concurrent guesses cannot lose a count); the
 * attempt that reaches `attempts_max` locks the account until `lock_until` and restarts the count.
 */
/**
 * Reserve one password check before the slow hash comparison (the counter goes up first, in one
 * statement), so concurrent guesses cannot all read the same count and all be checked. Undefined
 * when the account is locked or every attempt is in use.
 */
export async function reserveLoginAttempt(ex: Executor, id: number, attempts_max: number, now: Date): Promise<PortalUserRow | undefined> {
  const [row] = await ex
    .update(portalUsers)
    .set({ failed_logins: sql`${portalUsers.failed_logins} + 1`, updated_at: now })
    .where(
      and(
        eq(portalUsers.id, id),
        sql`${portalUsers.failed_logins} < ${attempts_max}`,
        sql`(${portalUsers.locked_until} is null or ${portalUsers.locked_until} <= ${now.toISOString()}::timestamptz)`,
      ),
    )
    .returning();
  return row;
}

/** A reserved check failed and used the last attempt: lock the account and start counting again. */
export async function lockLogin(ex: Executor, id: number, lock_until: Date, now: Date): Promise<void> {
  await ex.update(portalUsers).set({ failed_logins: 0, locked_until: lock_until, updated_at: now }).where(eq(portalUsers.id, id));
}

/** A reserved check passed: the failures in a row end. */
export async function clearFailedLogins(ex: Executor, id: number, now: Date): Promise<void> {
  await ex.update(portalUsers).set({ failed_logins: 0, locked_until: null, updated_at: now }).where(eq(portalUsers.id, id));
}

export async function recordLogin(ex: Executor, id: number, now: Date): Promise<void> {
  await ex.update(portalUsers).set({ failed_logins: 0, locked_until: null, last_login_at: now, updated_at: now }).where(eq(portalUsers.id, id));
}

export async function updatePassword(ex: Executor, id: number, password_hash: string, now: Date): Promise<void> {
  await ex.update(portalUsers).set({ password_hash, updated_at: now }).where(eq(portalUsers.id, id));
}

export async function insertSession(ex: Executor, values: typeof portalSessions.$inferInsert): Promise<void> {
  await ex.insert(portalSessions).values(values);
}

export async function findSessionWithUser(ex: Executor, token_hash: string): Promise<{ session: PortalSessionRow; user: PortalUserRow } | undefined> {
  const [row] = await ex
    .select({ session: portalSessions, user: portalUsers })
    .from(portalSessions)
    .innerJoin(portalUsers, eq(portalUsers.id, portalSessions.user_id))
    .where(eq(portalSessions.token_hash, token_hash));
  return row;
}

export async function touchSession(ex: Executor, token_hash: string, now: Date): Promise<void> {
  await ex.update(portalSessions).set({ last_seen_at: now }).where(eq(portalSessions.token_hash, token_hash));
}

export async function deleteSession(ex: Executor, token_hash: string): Promise<void> {
  await ex.delete(portalSessions).where(eq(portalSessions.token_hash, token_hash));
}

/** A user's sessions that ended (bounded housekeeping on each sign-in). */
export async function deleteEndedSessions(ex: Executor, user_id: number, now: Date, idle_before: Date): Promise<void> {
  await ex
    .delete(portalSessions)
    .where(and(eq(portalSessions.user_id, user_id), sql`(${portalSessions.expires_at} <= ${now} or ${portalSessions.last_seen_at} <= ${idle_before})`));
}

export async function deleteSessionsOfUser(ex: Executor, user_id: number): Promise<void> {
  await ex.delete(portalSessions).where(eq(portalSessions.user_id, user_id));
}

// ---------------------------------------------------------------------------------------------
// Portal reads
// ---------------------------------------------------------------------------------------------

export type ExecutionRow = typeof executions.$inferSelect;

export interface ExecutionFilter {
  status?: string | undefined;
  operation_type?: string | undefined;
  from?: Date | undefined; // created_at >= from
  to?: Date | undefined; // created_at < to
}

/** A merchant's executions, newest first, filtered; `before` is the last id of the previous page. */
export async function listExecutions(ex: Executor, merchant_id: number, filter: ExecutionFilter, page: { limit: number; before?: number | undefined }): Promise<ExecutionRow[]> {
  return ex
    .select()
    .from(executions)
    .where(
      and(
        eq(executions.merchant_id, merchant_id),
        filter.status === undefined ? undefined : eq(executions.status, filter.status),
        filter.operation_type === undefined ? undefined : eq(executions.operation_type, filter.operation_type),
        filter.from === undefined ? undefined : gte(executions.created_at, filter.from),
        filter.to === undefined ? undefined : lt(executions.created_at, filter.to),
        page.before === undefined ? undefined : lt(executions.id, page.before),
      ),
    )
    .orderBy(desc(executions.id))
    .limit(page.limit);
}

export async function findMerchantExecution(ex: Executor, merchant_id: number, id: number): Promise<ExecutionRow | undefined> {
  const [row] = await ex.select().from(executions).where(and(eq(executions.merchant_id, merchant_id), eq(executions.id, id)));
  return row;
}

export const TIMELINE_EVENTS_MAX = 200;

export async function listExecutionEvents(ex: Executor, merchant_id: number, execution_id: number) {
  return ex
    .select({ id: executionEvents.id, status: executionEvents.status, message: executionEvents.message, created_at: executionEvents.created_at })
    .from(executionEvents)
    .where(and(eq(executionEvents.merchant_id, merchant_id), eq(executionEvents.execution_id, execution_id)))
    .orderBy(executionEvents.id)
    .limit(TIMELINE_EVENTS_MAX);
}
