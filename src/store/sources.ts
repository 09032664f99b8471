/**
 * Queries for payment sources (invoices and orders share `payment_sources`, told apart by
 * `source_type`) and their items. Every query is scoped to one merchant and one source type, so an
 * order id never answers on an invoice route.
 *
 * For the money core: `findSource`, `lockSource` (SELECT … FOR UPDATE) and `setSourceStatus` are the
 * calls an execution makes to move a source through start_payment / settle / payment_failed; decide
 * the move with `sourceTransition` from src/domain/sources.ts first.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { SourceStatus, SourceType } from '../domain/enums.js';
import type { ReceiptExecution } from '../domain/receipts.js';
import { type Executor, type Tx } from './db.js';
import { afterCursor, fetchCount, type Page, type PageArgs, toPage } from './paging.js';
import { documentCounters, executions, paymentAccounts, paymentSources, sourceItems } from './schema.js';

export type SourceRow = typeof paymentSources.$inferSelect;
export type ItemRow = typeof sourceItems.$inferSelect;
export type SourceInsert = typeof paymentSources.$inferInsert;

/**
 * The next document number of the year for this merchant and type: one upsert on the counter row,
 * inside the caller's transaction. Concurrent creates queue on that row's lock, so each gets its
 * own consecutive value; a rolled-back create gives its value back.
 */
export async function allocateSourceNumber(tx: Tx, merchant_id: number, source_type: SourceType, year: number): Promise<number> {
  const [row] = await tx
    .insert(documentCounters)
    .values({ merchant_id, source_type, year, last_value: 1 })
    .onConflictDoUpdate({
      target: [documentCounters.merchant_id, documentCounters.source_type, documentCounters.year],
      set: { last_value: sql`${documentCounters.last_value} + 1` },
    })
    .returning({ last_value: documentCounters.last_value });
  return row!.last_value;
}

export async function insertSource(tx: Tx, values: SourceInsert): Promise<SourceRow> {
  const [row] = await tx.insert(paymentSources).values(values).returning();
  return row!;
}

function sourceKey(merchant_id: number, source_type: SourceType, id: number) {
  return and(eq(paymentSources.merchant_id, merchant_id), eq(paymentSources.source_type, source_type), eq(paymentSources.id, id));
}

export async function findSource(ex: Executor, merchant_id: number, source_type: SourceType, id: number): Promise<SourceRow | undefined> {
  const [row] = await ex.select().from(paymentSources).where(sourceKey(merchant_id, source_type, id));
  return row;
}

/** The source, locked until the transaction ends: every change to a source or its items goes through here. */
export async function lockSource(tx: Tx, merchant_id: number, source_type: SourceType, id: number): Promise<SourceRow | undefined> {
  const [row] = await tx.select().from(paymentSources).where(sourceKey(merchant_id, source_type, id)).for('update');
  return row;
}

export async function findSourceByNumber(ex: Executor, merchant_id: number, source_type: SourceType, number: string): Promise<SourceRow | undefined> {
  const [row] = await ex
    .select()
    .from(paymentSources)
    .where(and(eq(paymentSources.merchant_id, merchant_id), eq(paymentSources.source_type, source_type), eq(paymentSources.number, number)));
  return row;
}

export async function listSources(
  ex: Executor,
  merchant_id: number,
  source_type: SourceType,
  filter: { currency?: string | undefined; status?: string | undefined },
  page: PageArgs,
): Promise<Page<SourceRow>> {
  const fetched = await ex
    .select()
    .from(paymentSources)
    .where(
      and(
        eq(paymentSources.merchant_id, merchant_id),
        eq(paymentSources.source_type, source_type),
        filter.currency === undefined ? undefined : eq(paymentSources.currency, filter.currency),
        filter.status === undefined ? undefined : eq(paymentSources.status, filter.status),
        afterCursor(paymentSources.id, page),
      ),
    )
    .orderBy(asc(paymentSources.id))
    .limit(fetchCount(page));
  return toPage(fetched, page);
}

export type SourceChanges = Partial<Omit<typeof paymentSources.$inferInsert, 'id' | 'merchant_id' | 'source_type' | 'number' | 'created_at'>>;

/** Change a source the caller has locked. */
export async function updateSource(tx: Tx, id: number, values: SourceChanges): Promise<SourceRow> {
  const [row] = await tx.update(paymentSources).set(values).where(eq(paymentSources.id, id)).returning();
  if (!row) throw new Error(`assertion: locked source ${id} vanished`);
  return row;
}

/**
 * Set a locked source's status (the caller has checked the move with `sourceTransition`).
 * Pass `at` (ctx.clock.now()) so updated_at follows the injected clock; `paid_at` and
 * `paid_execution_id` record the settling collection (receipts read them).
 */
export async function setSourceStatus(
  tx: Tx,
  id: number,
  status: SourceStatus,
  extra: { at?: Date; paid_at?: Date | null; paid_execution_id?: number | null } = {},
): Promise<SourceRow> {
  const values: SourceChanges = { status };
  const at = extra.at ?? extra.paid_at ?? undefined;
  if (at) values.updated_at = at;
  if (extra.paid_at !== undefined) values.paid_at = extra.paid_at;
  if (extra.paid_execution_id !== undefined) values.paid_execution_id = extra.paid_execution_id;
  return updateSource(tx, id, values);
}

/**
 * Move a source from one status to another only if it is still in `from` (the money core's
 * transitions: a duplicate settlement or a racing failure cannot move it twice). True if it moved.
 */
export async function moveSourceStatus(
  tx: Tx,
  id: number,
  from: SourceStatus,
  to: SourceStatus,
  at: Date,
  extra: { paid_at?: Date; paid_execution_id?: number } = {},
): Promise<boolean> {
  const moved = await tx
    .update(paymentSources)
    .set({ status: to, updated_at: at, ...extra })
    .where(and(eq(paymentSources.id, id), eq(paymentSources.status, from)))
    .returning({ id: paymentSources.id });
  return moved.length === 1;
}

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

export async function listItems(ex: Executor, source_id: number): Promise<ItemRow[]> {
  return ex.select().from(sourceItems).where(eq(sourceItems.source_id, source_id)).orderBy(asc(sourceItems.id));
}

export async function insertItems(tx: Tx, values: (typeof sourceItems.$inferInsert)[]): Promise<ItemRow[]> {
  if (values.length === 0) return [];
  return tx.insert(sourceItems).values(values).returning();
}

export async function updateItem(
  tx: Tx,
  id: number,
  values: Partial<Pick<typeof sourceItems.$inferInsert, 'name' | 'qty' | 'unit_amount_minor' | 'updated_at'>>,
): Promise<ItemRow> {
  const [row] = await tx.update(sourceItems).set(values).where(eq(sourceItems.id, id)).returning();
  if (!row) throw new Error(`assertion: item ${id} vanished`);
  return row;
}

export async function deleteItem(tx: Tx, id: number): Promise<void> {
  await tx.delete(sourceItems).where(eq(sourceItems.id, id));
}

// ---------------------------------------------------------------------------------------------
// Receipts: the collection that paid a source, with the name on the account it was paid from
// ---------------------------------------------------------------------------------------------

export async function findPayingExecution(
  ex: Executor,
  merchant_id: number,
  execution_id: number,
): Promise<{ execution: ReceiptExecution; account_name: string | null } | undefined> {
  const [row] = await ex
    .select({
      id: executions.id,
      source_id: executions.source_id,
      payer_amount_minor: executions.payer_amount_minor,
      payer_currency: executions.payer_currency,
      payee_amount_minor: executions.payee_amount_minor,
      payee_currency: executions.payee_currency,
      platform_fee_minor: executions.platform_fee_minor,
      platform_currency: executions.platform_currency,
      gateway_fee_minor: executions.gateway_fee_minor,
      gateway_currency: executions.gateway_currency,
      fx_fee_minor: executions.fx_fee_minor,
      fx_rate: executions.fx_rate,
      fx_currency_from: executions.fx_currency_from,
      fx_currency_to: executions.fx_currency_to,
      provider: executions.provider,
      method: executions.method,
      provider_transaction_id: executions.provider_transaction_id,
      completed_at: executions.completed_at,
      account_name: paymentAccounts.account_name,
    })
    .from(executions)
    .leftJoin(paymentAccounts, and(eq(paymentAccounts.id, executions.payment_account_id), eq(paymentAccounts.merchant_id, executions.merchant_id)))
    .where(and(eq(executions.merchant_id, merchant_id), eq(executions.id, execution_id)));
  if (!row) return undefined;
  const { account_name, ...execution } = row;
  return { execution, account_name };
}

// ---------------------------------------------------------------------------------------------
// Invariants (checked after every integration test and by `admin ledger:check`)
// ---------------------------------------------------------------------------------------------

const VIOLATIONS_MAX = 20;

export const SOURCE_INVARIANTS: { rule: string; query: ReturnType<typeof sql> }[] = [
  {
    rule: 'source_total_equals_items',
    query: sql`select s.id as source_id, s.total_amount_minor::text as total,
                      coalesce(sum(i.qty::bigint * i.unit_amount_minor), 0)::text as items_sum
               from payment_sources s left join source_items i on i.source_id = s.id
               group by s.id
               having s.total_amount_minor <> coalesce(sum(i.qty::bigint * i.unit_amount_minor), 0)
               limit ${VIOLATIONS_MAX}`,
  },
  {
    rule: 'source_item_matches_source',
    query: sql`select i.id as item_id, i.source_id, i.currency, s.currency as source_currency
               from source_items i join payment_sources s on s.id = i.source_id
               where i.currency <> s.currency or i.merchant_id <> s.merchant_id
               limit ${VIOLATIONS_MAX}`,
  },
];

