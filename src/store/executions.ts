/** Queries for executions and their status events. The unique (merchant, operation, reference_id) index is the idempotency key. */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { type Executor, rows } from './db.js';
import { executionEvents, executions } from './schema.js';

export type ExecutionRow = typeof executions.$inferSelect;
export type NewExecution = typeof executions.$inferInsert;

/** Insert unless the idempotency key exists; returns undefined when another request owns the key. */
export async function insertExecution(ex: Executor, values: NewExecution): Promise<ExecutionRow | undefined> {
  const [row] = await ex
    .insert(executions)
    .values(values)
    .onConflictDoNothing({ target: [executions.merchant_id, executions.operation_type, executions.reference_id] })
    .returning();
  return row;
}

export async function findExecutionByReference(ex: Executor, merchant_id: number, operation_type: string, reference_id: string): Promise<ExecutionRow | undefined> {
  const [row] = await ex
    .select()
    .from(executions)
    .where(and(eq(executions.merchant_id, merchant_id), eq(executions.operation_type, operation_type), eq(executions.reference_id, reference_id)));
  return row;
}

export async function findExecution(ex: Executor, id: number): Promise<ExecutionRow | undefined> {
  const [row] = await ex.select().from(executions).where(eq(executions.id, id));
  return row;
}

export async function lockExecution(ex: Executor, id: number): Promise<ExecutionRow | undefined> {
  const [row] = await ex.select().from(executions).where(eq(executions.id, id)).for('update');
  return row;
}

/**
 * Move an execution only if it is still in one of `from`: the one writer that wins the update
 * applies the side effects (postings), so a duplicate callback or a racing poller moves nothing.
 */
export async function transitionExecution(
  ex: Executor,
  id: number,
  from: readonly string[],
  values: Partial<NewExecution>,
): Promise<ExecutionRow | undefined> {
  const [row] = await ex
    .update(executions)
    .set(values)
    .where(and(eq(executions.id, id), inArray(executions.status, [...from])))
    .returning();
  return row;
}

export async function updateExecution(ex: Executor, id: number, values: Partial<NewExecution>): Promise<void> {
  await ex.update(executions).set(values).where(eq(executions.id, id));
}

export async function insertEvent(
  ex: Executor,
  e: { execution_id: number; merchant_id: number; status: string; message?: string | null; detail?: unknown; at: Date },
): Promise<void> {
  await ex.insert(executionEvents).values({
    execution_id: e.execution_id,
    merchant_id: e.merchant_id,
    status: e.status,
    message: e.message ?? null,
    detail: (e.detail ?? null) as never,
    created_at: e.at,
  });
}

/**
 * Claim open executions whose next check is due, pushing their next check out by `lease_ms` so
 * another instance does not pick them at the same time (SKIP LOCKED: claimers never wait).
 */
export async function claimDueExecutions(ex: Executor, now: Date, lease_ms: number, limit: number): Promise<ExecutionRow[]> {
  const until = new Date(now.getTime() + lease_ms);
  const claimed = await rows<{ id: bigint }>(
    ex,
    sql`update executions set next_check_at = ${until}
        where id in (
          select id from executions
          where status in ('PENDING', 'PROCESSING') and next_check_at <= ${now}
          order by next_check_at
          limit ${limit}
          for update skip locked)
        returning id`,
  );
  if (claimed.length === 0) return [];
  return ex
    .select()
    .from(executions)
    .where(inArray(executions.id, claimed.map((r) => Number(r.id))));
}

/** Refunds reserved or done against a collection, adjusted atomically with a bound. */
export async function reserveRefundable(ex: Executor, collection_id: number, amount_minor: bigint, refundable_minor: bigint): Promise<boolean> {
  const updated = await rows<{ id: bigint }>(
    ex,
    sql`update executions set refunded_minor = refunded_minor + ${amount_minor}
        where id = ${collection_id} and refunded_minor + ${amount_minor} <= ${refundable_minor}
        returning id`,
  );
  return updated.length === 1;
}

export async function releaseRefundable(ex: Executor, collection_id: number, amount_minor: bigint): Promise<void> {
  await ex.execute(sql`update executions set refunded_minor = refunded_minor - ${amount_minor} where id = ${collection_id}`);
}

export async function findExecutionByCarrierKey(ex: Executor, carrier_key: string): Promise<ExecutionRow | undefined> {
  const [row] = await ex.select().from(executions).where(eq(executions.carrier_key, carrier_key));
  return row;
}

export interface EventRow {
  id: number;
  status: string;
  detail: unknown;
  created_at: Date;
}

/** An execution's status events after `after_id`, oldest first (bounded). */
export async function eventsAfter(ex: Executor, execution_id: number, after_id: number, limit = 50): Promise<EventRow[]> {
  return ex
    .select({ id: executionEvents.id, status: executionEvents.status, detail: executionEvents.detail, created_at: executionEvents.created_at })
    .from(executionEvents)
    .where(and(eq(executionEvents.execution_id, execution_id), sql`${executionEvents.id} > ${after_id}`))
    .orderBy(executionEvents.id)
    .limit(limit);
}
