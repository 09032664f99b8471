/** Queries for executions and their status events. The unique (merchant, operation, reference_id) index is the idempotency key. */
import { and, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { arrayLiteral, columnList, type Executor, mapColumns, mapRow, rows } from './db.js';
import { executionEvents, executions } from './schema.js';
import { jsonValue, Once, recordColumnList, run, tableRecord } from './statement.js';

const p = sql.placeholder;

export type ExecutionRow = typeof executions.$inferSelect;
export type NewExecution = typeof executions.$inferInsert;

/**
 * What a status answer needs of an execution (the 12-field ExecutionResponse, its id for the
 * payment-intent header, its key, and when its next carrier check is due): 15 of the row's 45
 * columns. Polls of open executions read just these — parsing and mapping the other 30 was a
 * seventh of the server's time per poll (CPU profile at 12,000 polls/s).
 */
export const STATUS_COLUMNS = [
  'id',
  'merchant_id',
  'operation_type',
  'reference_id',
  'status',
  'payer_amount_minor',
  'payer_currency',
  'payee_amount_minor',
  'payee_currency',
  'provider_transaction_id',
  'gateway_message',
  'wallet_message',
  'client_secret',
  'requires_action',
  'next_check_at',
] as const satisfies readonly (keyof ExecutionRow)[];
export type ExecutionStatusRow = Pick<ExecutionRow, (typeof STATUS_COLUMNS)[number]>;

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

/** An execution's idempotency key: what a status poll names. */
export interface ReferenceKey {
  merchant_id: number;
  operation_type: string;
  /** Lower-cased. */
  reference_id: string;
}

/** Keys one statement looks up at most (status polls that arrive together, services/executions.ts). */
export const REFERENCE_KEYS_PER_STATEMENT_MAX = 256;

let byReferences: Once | undefined;

/**
 * Executions for many keys in one statement: in the keys' order, undefined where a key has none.
 * Each key is one index probe: the lateral subquery's `limit 1` keeps the plan a nested loop of
 * lookups whatever the table's size was when it was cached (as a join, a plan made while the table
 * was small hashes a scan of all of it), so it needs no transaction carrying `indexPlans`. With
 * statistics, the probe is the unique (merchant, operation, reference) index (EXPLAIN after 5,000
 * collections); planned on a never-analyzed, empty table it is (merchant_id, id) — as for the
 * single-key lookup above — until the table's first ANALYZE makes PostgreSQL plan it again.
 */
export async function findExecutionsByReference(ex: Executor, keys: readonly ReferenceKey[]): Promise<(ExecutionStatusRow | undefined)[]> {
  if (keys.length === 0) return [];
  if (keys.length > REFERENCE_KEYS_PER_STATEMENT_MAX) throw new Error('assertion: too many keys in one lookup');
  byReferences ??= new Once(
    () => sql`select k._ord, e.* from unnest(${p('merchant_ids')}::bigint[], ${p('operation_types')}::text[], ${p('reference_ids')}::text[])
                   with ordinality as k(merchant_id, operation_type, reference_id, _ord)
              cross join lateral (select ${columnList(executions, STATUS_COLUMNS, 'x')} from executions x
                                  where x.merchant_id = k.merchant_id and x.operation_type = k.operation_type and x.reference_id = k.reference_id
                                  limit 1) e`,
  );
  const found = await run<Record<string, unknown> & { _ord: bigint | number }>(ex, byReferences.get(), {
    merchant_ids: arrayLiteral(keys.map((k) => k.merchant_id)),
    operation_types: arrayLiteral(keys.map((k) => k.operation_type)),
    reference_ids: arrayLiteral(keys.map((k) => k.reference_id)),
  });
  const out: (ExecutionStatusRow | undefined)[] = new Array(keys.length).fill(undefined);
  for (const raw of found) {
    const i = Number(raw._ord) - 1;
    if (!(i >= 0 && i < keys.length) || out[i] !== undefined) throw new Error('assertion: a lookup row for no key, or two rows for one key');
    out[i] = mapColumns(executions, raw, STATUS_COLUMNS);
  }
  return out;
}

export async function findExecution(ex: Executor, id: number): Promise<ExecutionRow | undefined> {
  byId ??= new Once(() => ex.select().from(executions).where(eq(executions.id, p('id'))));
  const [raw] = await run(ex, byId.get(), { id });
  return raw ? mapRow(executions, raw) : undefined;
}

export async function updateExecution(ex: Executor, id: number, values: Partial<NewExecution>): Promise<void> {
  await ex.update(executions).set(values).where(eq(executions.id, id));
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

/** A collection's source, claimed ACTIVE → PROCESSING as it was read (same total) by the statement that starts the execution. */
export interface SourceClaim {
  id: number;
  merchant_id: number;
  source_type: string;
  total_amount_minor: bigint;
  /** Its `updated_at` as read, put back should the claim have to be undone in the same transaction. */
  updated_at: Date;
}

/**
 * Status notices travel as JSON arrays, one pg_notify per this many changes (a notification's
 * payload must stay under 8,000 bytes; a notice is at most ~150): a batch announces itself in one
 * or two notifications instead of one per execution (services/events.ts reads both forms).
 */
const NOTICES_PER_NOTIFY = 40;

/**
 * Only watched executions are announced: those a realtime key was issued for, until it expires
 * (store/status-watches.ts). Announcing every change made notifying commits wait for each other
 * (one database-wide lock, held across the WAL flush). No watched row, no pg_notify at all: the
 * grouped select over none has no group. Expiry is judged at the change's own time (the app's clock).
 */
const watched = (row: string, at: string) =>
  sql.raw(`exists (select 1 from status_watches w where w.merchant_id = ${row}.merchant_id and w.operation_type = ${row}.operation_type
                   and w.reference_id = ${row}.reference_id and w.expires_at > ${at})`);

/** Columns a new execution may leave out, with the values the table's defaults give them (created_at/updated_at are always given). */
const EXECUTION_DEFAULTS: Partial<NewExecution> = {
  fee_bearer: 'PAYER',
  platform_fee_minor: 0n,
  gateway_fee_minor: 0n,
  fx_fee_minor: 0n,
  refunded_minor: 0n,
  requires_action: false,
  check_attempts: 0,
};

let executionKeys: string[] | undefined;

/** A started execution as its row reads: every column from the values inserted (defaults filled in) and its id. */
function insertedRow(start: NewStart, id: number): ExecutionRow {
  executionKeys ??= Object.keys(getTableColumns(executions));
  const values = start.values as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const key of executionKeys) row[key] = values[key] ?? (EXECUTION_DEFAULTS as Record<string, unknown>)[key] ?? null;
  row.id = id;
  return row as ExecutionRow;
}

export interface NewStart {
  values: NewExecution;
  session_id: number;
  /** The first status event (written in the same statement). */
  event: { message: string; detail: unknown; at: Date };
  /** A collection's source to claim, and a card account's single attempt to take (both or nothing with the insert). */
  source?: SourceClaim | undefined;
  card_account_id?: number | undefined;
}

export interface StartResult {
  /** Undefined when nothing was inserted: the key belongs to another request, or a claim failed. */
  row: ExecutionRow | undefined;
  source_claimed: boolean;
  card_claimed: boolean;
}

let startStatement: Once | undefined;

/**
 * Start executions — one request's or a whole batch's — in ONE statement: each is inserted unless
 * its idempotency key exists and only if its claims succeed (a collection's source ACTIVE →
 * PROCESSING as read, a card account's one attempt); the inserted ones consume their sessions and
 * get their first status event and announcement. A claim that succeeded for an execution that was
 * not inserted (its key is another request's, or its other claim failed) is undone by the caller
 * with `undoClaims` in the same transaction. Starts in one call must not share a session, key,
 * source or card account (the caller puts those in separate rounds).
 */
export async function startExecutions(ex: Executor, starts: readonly NewStart[], channel: string): Promise<StartResult[]> {
  if (starts.length === 0) return [];
  startStatement ??= new Once(() => {
    const insertList = sql.raw(recordColumnList(executions));
    const selectList = sql.raw(recordColumnList(executions, 'r'));
    return sql`with r as materialized (
          select * from json_populate_recordset(null::executions, ${p('rows')}::json) with ordinality as r
        ), x as materialized (
          select * from json_to_recordset(${p('extras')}::json)
                 as x(_ord bigint, _session_id bigint, _src_id bigint, _src_merchant_id bigint, _src_type text, _src_total bigint,
                      _card_id bigint, _message text, _detail jsonb, _at timestamptz)
        ), src as (
          update payment_sources ps set status = 'PROCESSING', updated_at = x._at
          from x
          where ps.id = any(${p('src_ids')}::bigint[]) and ps.id = x._src_id and ps.merchant_id = x._src_merchant_id and ps.source_type = x._src_type
            and ps.status = 'ACTIVE' and ps.total_amount_minor = x._src_total
          returning ps.id
        ), card as (
          update payment_accounts pa set used_at = x._at from x
          where pa.id = any(${p('card_ids')}::bigint[]) and pa.id = x._card_id and pa.used_at is null returning pa.id
        ), e as (
          insert into executions (${insertList})
          select ${selectList} from r join x on x._ord = r.ordinality
          where (x._src_id is null or x._src_id in (select id from src)) and (x._card_id is null or x._card_id in (select id from card))
          order by r.ordinality
          on conflict (merchant_id, operation_type, reference_id) do nothing
          returning *
        ), s as (
          update sessions set status = 'USED', execution_id = e.id, used_at = e.created_at, updated_at = e.created_at
          from e where sessions.id = any(${p('session_ids')}::bigint[]) and sessions.id = e.session_id
          returning sessions.id
        ), ev as (
          insert into execution_events (execution_id, merchant_id, status, message, detail, created_at)
          select e.id, e.merchant_id, e.status, x._message, x._detail, x._at
          from e join r on r.merchant_id = e.merchant_id and r.operation_type = e.operation_type and r.reference_id = e.reference_id
                 join x on x._ord = r.ordinality
        ), n as (
          select pg_notify(${p('channel')}, json_agg(json_build_object('merchant_id', g.merchant_id, 'operation_type', g.operation_type,
                                                                   'reference_id', g.reference_id, 'status', g.status))::text)
          from (select e.*, (row_number() over () - 1) / ${sql.raw(String(NOTICES_PER_NOTIFY))} as chunk from e where ${watched('e', 'e.created_at')}) g group by g.chunk
        )
        select x._ord, e.id,
               coalesce(x._src_id in (select id from src), false) as _src_claimed,
               coalesce(x._card_id in (select id from card), false) as _card_claimed,
               (select count(*) from s)::int as _sessions, (select count(*) from n)::int as _notified
        from x join r on r.ordinality = x._ord
        left join e on e.merchant_id = r.merchant_id and e.operation_type = r.operation_type and e.reference_id = r.reference_id
        order by x._ord`;
  });
  // The rows and what goes with them travel as two JSON parameters, each parsed once.
  const records = starts.map((st) => {
    if (st.values.session_id !== st.session_id) throw new Error('assertion: a start names another session');
    return tableRecord(executions, st.values, EXECUTION_DEFAULTS);
  });
  const extras = starts.map((st, i) => ({
    _ord: i + 1,
    _session_id: st.session_id,
    _src_id: st.source?.id ?? null,
    _src_merchant_id: st.source?.merchant_id ?? null,
    _src_type: st.source?.source_type ?? null,
    _src_total: st.source ? st.source.total_amount_minor.toString() : null,
    _card_id: st.card_account_id ?? null,
    _message: st.event.message,
    _detail: st.event.detail,
    _at: st.event.at.toISOString(),
  }));
  // The target rows by id arrays as well as by the join: the planner then reads them through their
  // primary keys (a row estimate of 100 from a JSON function would otherwise pick a full scan).
  const raws = await run(ex, startStatement.get(), {
    rows: JSON.stringify(records),
    extras: JSON.stringify(extras),
    channel,
    src_ids: arrayLiteral(starts.flatMap((st) => (st.source ? [st.source.id] : []))),
    card_ids: arrayLiteral(starts.flatMap((st) => (st.card_account_id !== undefined ? [st.card_account_id] : []))),
    session_ids: arrayLiteral(starts.map((st) => st.session_id)),
  });
  if (raws.length !== starts.length) throw new Error('assertion: the start statement lost a row');
  // The row as inserted is the values sent and the id the database gave (nothing else of it is
  // computed by the database), so only the id travels back.
  const results = raws.map((raw, i) => ({
    row: raw.id === null || raw.id === undefined ? undefined : insertedRow(starts[i]!, Number(raw.id)),
    source_claimed: raw._src_claimed === true,
    card_claimed: raw._card_claimed === true,
  }));
  const inserted = results.filter((r) => r.row).length;
  if (inserted > 0 && Number(raws[0]!._sessions) !== inserted) throw new Error('assertion: an execution did not consume its session');
  return results;
}

/** Undo the claims of starts that were not inserted (same transaction: nothing of it was ever visible). */
export async function undoClaims(ex: Executor, start: NewStart, result: StartResult): Promise<void> {
  if (result.row) return;
  if (result.source_claimed && start.source) {
    await ex.execute(sql`update payment_sources set status = 'ACTIVE', updated_at = ${start.source.updated_at} where id = ${start.source.id} and status = 'PROCESSING'`);
  }
  if (result.card_claimed && start.card_account_id !== undefined) {
    await ex.execute(sql`update payment_accounts set used_at = null where id = ${start.card_account_id}`);
  }
}

/** The columns a status move writes: the whole after-state of each, so rows of any shape move in one statement. */
const MOVE_COLUMNS = [
  ['status', 'text'],
  ['provider_transaction_id', 'text'],
  ['gateway_message', 'text'],
  ['wallet_message', 'text'],
  ['requires_action', 'boolean'],
  ['client_secret', 'text'],
  ['carrier_status', 'text'],
  ['next_check_at', 'timestamptz'],
  ['check_attempts', 'int'],
  ['initiated_at', 'timestamptz'],
  ['completed_at', 'timestamptz'],
  ['failed_at', 'timestamptz'],
  ['updated_at', 'timestamptz'],
] as const satisfies readonly (readonly [keyof ExecutionRow, string])[];

const MOVABLE = new Set<string>(MOVE_COLUMNS.map(([c]) => c));

/**
 * A row as a move will leave it: `row` with `changes` applied. A move writes only its status
 * columns and answers with this row, so a change to any other column would be answered but never
 * written — refused here.
 */
export function afterMove(row: ExecutionRow, changes: Partial<NewExecution>): ExecutionRow {
  for (const key of Object.keys(changes)) {
    if ((changes as Record<string, unknown>)[key] !== undefined && !MOVABLE.has(key)) throw new Error(`assertion: a status move cannot change ${key}`);
  }
  return { ...row, ...changes } as ExecutionRow;
}

export interface Move {
  id: number;
  /** The statuses it may move from; a row in none of them (it moved meanwhile) is left alone. */
  from: readonly string[];
  /** The row as it is to be after the move (`afterMove`: only its status columns are written). */
  after: ExecutionRow;
  event: { message: string | null; detail: unknown };
  /** A settled collection's source: PROCESSING → PAID (paid) or back to ACTIVE. */
  source: { id: number; to: 'PAID' | 'ACTIVE'; paid: boolean } | null;
}

let moveStatement: Once | undefined;

/**
 * Move executions — one or a batch — out of their `from` statuses with their status events and
 * announcements, and their sources (a settled collection's invoice or order), in ONE statement.
 * Returns the moved rows (`source_moved` false when a source was not PROCESSING); a row that had
 * already moved is absent.
 */
export async function moveExecutions(ex: Executor, moves: readonly Move[], channel: string): Promise<(ExecutionRow & { source_moved: boolean })[]> {
  if (moves.length === 0) return [];
  moveStatement ??= new Once(() => {
    const defs = sql.raw(MOVE_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', '));
    const sets = sql.raw(MOVE_COLUMNS.map(([c]) => `${c} = x.${c}`).join(', '));
    return sql`with x as materialized (
          select * from json_to_recordset(${p('rows')}::json)
                 as x(id bigint, _from text, ${defs}, _message text, _detail jsonb, _source_id bigint, _source_to text, _source_paid boolean)
        ), m as (
          update executions e set ${sets}
          from x where e.id = any(${p('ids')}::bigint[]) and e.id = x.id and e.status = any(string_to_array(x._from, ','))
          returning e.*
        ), src as (
          update payment_sources ps set status = x._source_to, updated_at = x.updated_at,
                 paid_at = case when x._source_paid then x.updated_at else ps.paid_at end,
                 paid_execution_id = case when x._source_paid then x.id else ps.paid_execution_id end
          from x where ps.id = any(${p('source_ids')}::bigint[]) and ps.id = x._source_id and ps.status = 'PROCESSING' and x.id in (select id from m)
          returning ps.id
        ), ev as (
          insert into execution_events (execution_id, merchant_id, status, message, detail, created_at)
          select m.id, m.merchant_id, m.status, x._message, x._detail, x.updated_at from m join x on x.id = m.id
        ), n as (
          select pg_notify(${p('channel')}, json_agg(json_build_object('merchant_id', g.merchant_id, 'operation_type', g.operation_type,
                                                                   'reference_id', g.reference_id, 'status', g.status))::text)
          from (select m.*, (row_number() over () - 1) / ${sql.raw(String(NOTICES_PER_NOTIFY))} as chunk from m where ${watched('m', 'm.updated_at')}) g group by g.chunk
        )
        select m.id, coalesce(m.source_id in (select id from src), false) as _source_moved, (select count(*) from n)::int as _notified from m`;
  });
  const records = moves.map((mv) => {
    if (mv.after.id !== mv.id) throw new Error('assertion: a move names another row');
    const r: Record<string, unknown> = { id: mv.id, _from: mv.from.join(',') };
    for (const [c] of MOVE_COLUMNS) r[c] = jsonValue(mv.after[c] ?? null);
    r._message = mv.event.message;
    r._detail = mv.event.detail;
    r._source_id = mv.source?.id ?? null;
    r._source_to = mv.source?.to ?? null;
    r._source_paid = mv.source?.paid ?? false;
    return r;
  });
  const raws = await run(ex, moveStatement.get(), {
    rows: JSON.stringify(records),
    channel,
    ids: arrayLiteral(moves.map((mv) => mv.id)),
    source_ids: arrayLiteral(moves.flatMap((mv) => (mv.source ? [mv.source.id] : []))),
  });
  // A moved row is what the caller said it would be after the move (the columns written are exactly
  // its status columns; the others were read under the row lock): only ids travel back.
  const byId = new Map(moves.map((mv) => [mv.id, mv.after]));
  return raws.map((raw) => {
    const after = byId.get(Number(raw.id));
    if (!after) throw new Error('assertion: the move statement moved a row it was not given');
    return { ...after, source_moved: raw._source_moved === true };
  });
}

let lockForSettlement: Once | undefined;

/** Lock executions for settlement (in id order), with what settlement needs to know of their merchants. */
export async function lockExecutionsForSettlement(ex: Executor, ids: readonly number[]): Promise<Map<number, { row: ExecutionRow; webhooks_enabled: boolean }>> {
  lockForSettlement ??= new Once(
    () => sql`select e.*, m.webhooks_enabled as _webhooks from executions e join merchants m on m.id = e.merchant_id
              where e.id = any(${p('ids')}::bigint[]) order by e.id for update of e`,
  );
  const found = new Map<number, { row: ExecutionRow; webhooks_enabled: boolean }>();
  if (ids.length === 0) return found;
  for (const raw of await run(ex, lockForSettlement.get(), { ids: arrayLiteral(ids) })) {
    const row = mapRow(executions, raw);
    found.set(row.id, { row, webhooks_enabled: raw._webhooks === true });
  }
  return found;
}
