/** Queries for executions and their status events. The unique (merchant, operation, reference_id) index is the idempotency key. */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { type Executor, mapRow, rows } from './db.js';
import { executionEvents, executions } from './schema.js';
import { Once, placeholders, run, Shaped } from './statement.js';

const p = sql.placeholder;

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

let byReference: Once | undefined;
let byId: Once | undefined;

/** The status poll's statement (the hottest read): built once. */
export async function findExecutionByReference(ex: Executor, merchant_id: number, operation_type: string, reference_id: string): Promise<ExecutionRow | undefined> {
  byReference ??= new Once(() =>
    ex
      .select()
      .from(executions)
      .where(and(eq(executions.merchant_id, p('merchant_id')), eq(executions.operation_type, p('operation_type')), eq(executions.reference_id, p('reference_id')))),
  );
  const [raw] = await run(ex, byReference.get(), { merchant_id, operation_type, reference_id });
  return raw ? mapRow(executions, raw) : undefined;
}

export async function findExecution(ex: Executor, id: number): Promise<ExecutionRow | undefined> {
  byId ??= new Once(() => ex.select().from(executions).where(eq(executions.id, p('id'))));
  const [raw] = await run(ex, byId.get(), { id });
  return raw ? mapRow(executions, raw) : undefined;
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

// ---------------------------------------------------------------------------------------------
// The money path's statements: each one does several writes that belong together (a round trip
// saved is latency saved for every payment), and reads like the steps it replaces.
// ---------------------------------------------------------------------------------------------

const starts = new Shaped();

/** A collection's source, claimed ACTIVE → PROCESSING as it was read (same total) by the statement that starts the execution. */
export interface SourceClaim {
  id: number;
  merchant_id: number;
  source_type: string;
  total_amount_minor: bigint;
}

/**
 * Insert a new execution (unless its idempotency key exists) and, in the same statement, consume
 * its session, log + announce its first status and — for a collection — claim its source.
 * Undefined when another request owns the key. `source_claimed` false means the source was no
 * longer ACTIVE as read: the caller refuses, and its transaction's rollback undoes the rest.
 */
export async function startExecution(
  ex: Executor,
  values: NewExecution,
  session_id: number,
  event: { message: string; detail: unknown; at: Date },
  channel: string,
  claim?: SourceClaim,
): Promise<(ExecutionRow & { source_claimed: boolean }) | undefined> {
  const { shape, set } = placeholders(values);
  const statement = starts.get(`${shape}|${claim ? 'claim' : ''}`, () => {
    const insert = ex
      .insert(executions)
      .values(set as unknown as NewExecution)
      .onConflictDoNothing({ target: [executions.merchant_id, executions.operation_type, executions.reference_id] })
      .returning();
    const claimSource = claim
      ? sql`src as (update payment_sources set status = 'PROCESSING', updated_at = ${p('_at')}
                    where id = ${p('_src_id')} and merchant_id = ${p('_src_merchant_id')} and source_type = ${p('_src_type')}
                      and status = 'ACTIVE' and total_amount_minor = ${p('_src_total')}::bigint returning id),`
      : sql``;
    return sql`with ${claimSource} e as (${insert.getSQL()}),
         s as (update sessions set status = 'USED', execution_id = (select id from e), used_at = ${p('_at')}, updated_at = ${p('_at')}
               where id = ${p('_session_id')} and exists (select 1 from e) returning id),
         ev as (insert into execution_events (execution_id, merchant_id, status, message, detail, created_at)
                select e.id, e.merchant_id, e.status, ${p('_message')}, ${p('_detail')}::jsonb, ${p('_at')} from e),
         n as (select pg_notify(${p('_channel')}, json_build_object('merchant_id', e.merchant_id, 'operation_type', e.operation_type,
                                                              'reference_id', e.reference_id, 'status', e.status)::text) from e)
       select e.*, (select count(*) from s)::int as _sessions, (select count(*) from n)::int as _notified,
              ${claim ? sql`(select count(*) from src)::int` : sql`1`} as _claimed from e`;
  });
  const [raw] = await run(ex, statement, {
    ...values,
    _at: event.at,
    _session_id: session_id,
    _message: event.message,
    _detail: JSON.stringify(event.detail),
    _channel: channel,
    ...(claim ? { _src_id: claim.id, _src_merchant_id: claim.merchant_id, _src_type: claim.source_type, _src_total: claim.total_amount_minor } : {}),
  });
  if (!raw) return undefined;
  if (Number(raw._sessions) !== 1) throw new Error('assertion: the execution did not consume its session');
  return Object.assign(mapRow(executions, raw), { source_claimed: Number(raw._claimed) === 1 });
}

const moves = new Shaped();

/**
 * Move an execution out of one of `from` with its status event and announcement — one statement.
 * When it settles a collection (COMPLETED), its source moves PROCESSING → PAID in the same
 * statement; when a collection fails, back to ACTIVE. Undefined when it had already moved.
 */
export async function moveExecution(
  ex: Executor,
  id: number,
  from: readonly string[],
  values: Partial<NewExecution> & { status: string; updated_at: Date },
  event: { message: string | null; detail: unknown },
  source: { id: number; from: 'PROCESSING'; to: 'PAID' | 'ACTIVE'; paid: boolean } | null,
  channel: string,
): Promise<ExecutionRow | undefined> {
  const { shape, set } = placeholders(values);
  const sourceShape = source ? (source.paid ? 'paid' : 'source') : 'none';
  const statement = moves.get(`${shape}|${from.length}|${sourceShape}`, () => {
    const update = ex
      .update(executions)
      .set(set as unknown as Partial<NewExecution>)
      .where(and(eq(executions.id, p('_id')), inArray(executions.status, from.map((_, i) => p(`_from${i}`)))))
      .returning();
    const sourceMove = source
      ? sql`, src as (update payment_sources set status = ${p('_source_to')}, updated_at = ${p('_at')}
                    ${source.paid ? sql`, paid_at = ${p('_at')}, paid_execution_id = ${p('_id')}` : sql``}
                    where id = ${p('_source_id')} and status = ${p('_source_from')} and exists (select 1 from x) returning id)`
      : sql``;
    return sql`with x as (${update.getSQL()})${sourceMove},
         ev as (insert into execution_events (execution_id, merchant_id, status, message, detail, created_at)
                select x.id, x.merchant_id, x.status, ${p('_message')}, ${p('_detail')}::jsonb, ${p('_at')} from x),
         n as (select pg_notify(${p('_channel')}, json_build_object('merchant_id', x.merchant_id, 'operation_type', x.operation_type,
                                                              'reference_id', x.reference_id, 'status', x.status)::text) from x)
       select x.*, ${source ? sql`(select count(*) from src)::int` : sql`1`} as _source_moved, (select count(*) from n)::int as _notified from x`;
  });
  const fromValues = Object.fromEntries(from.map((f, i) => [`_from${i}`, f]));
  const [raw] = await run(ex, statement, {
    ...values,
    ...fromValues,
    _id: id,
    _at: values.updated_at,
    _message: event.message,
    _detail: JSON.stringify(event.detail),
    _channel: channel,
    ...(source ? { _source_to: source.to, _source_id: source.id, _source_from: source.from } : {}),
  });
  if (!raw) return undefined;
  return Object.assign(mapRow(executions, raw), { source_moved: Number(raw._source_moved) === 1 });
}

/** Lock an execution for settlement, with what settlement needs to know of its merchant. */
let lockForSettlement: Once | undefined;

export async function lockExecutionForSettlement(ex: Executor, id: number): Promise<{ row: ExecutionRow; webhooks_enabled: boolean } | undefined> {
  lockForSettlement ??= new Once(() => sql`select e.*, m.webhooks_enabled as _webhooks from executions e join merchants m on m.id = e.merchant_id where e.id = ${p('id')} for update of e`);
  const [raw] = await run(ex, lockForSettlement.get(), { id });
  return raw ? { row: mapRow(executions, raw), webhooks_enabled: raw._webhooks === true } : undefined;
}
