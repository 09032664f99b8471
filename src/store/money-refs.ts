/**
 * The rows of other resources the money core reads and moves: payment sources, payment accounts,
 * counterparties. (Their own modules own creation; these are the money core's reads and transitions.)
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from './db.js';
import { counterparties, paymentAccounts, paymentSources } from './schema.js';

export type SourceRow = typeof paymentSources.$inferSelect;
export type PaymentAccountRow = typeof paymentAccounts.$inferSelect;

export async function getSource(ex: Executor, merchant_id: number, source_type: string, id: number): Promise<SourceRow | undefined> {
  const [row] = await ex
    .select()
    .from(paymentSources)
    .where(and(eq(paymentSources.id, id), eq(paymentSources.merchant_id, merchant_id), eq(paymentSources.source_type, source_type)));
  return row;
}

export async function lockSourceRow(ex: Executor, merchant_id: number, source_type: string, id: number): Promise<SourceRow | undefined> {
  const [row] = await ex
    .select()
    .from(paymentSources)
    .where(and(eq(paymentSources.id, id), eq(paymentSources.merchant_id, merchant_id), eq(paymentSources.source_type, source_type)))
    .for('update');
  return row;
}

export async function moveSource(
  ex: Executor,
  id: number,
  from: string,
  to: string,
  at: Date,
  extra: { paid_at?: Date; paid_execution_id?: number } = {},
): Promise<boolean> {
  const res = await ex
    .update(paymentSources)
    .set({ status: to, updated_at: at, ...extra })
    .where(and(eq(paymentSources.id, id), eq(paymentSources.status, from)))
    .returning({ id: paymentSources.id });
  return res.length === 1;
}

export async function getPaymentAccount(ex: Executor, merchant_id: number, id: number): Promise<PaymentAccountRow | undefined> {
  const [row] = await ex
    .select()
    .from(paymentAccounts)
    .where(and(eq(paymentAccounts.id, id), eq(paymentAccounts.merchant_id, merchant_id)));
  return row;
}

/** A card account serves one attempt: claim it, or learn it was used. */
export async function claimCardAccount(ex: Executor, id: number, at: Date): Promise<boolean> {
  const res = await ex.execute(sql`update payment_accounts set used_at = ${at} where id = ${id} and used_at is null`);
  return Number((res as { rowCount?: number }).rowCount ?? (res as { affectedRows?: number }).affectedRows ?? 0) === 1;
}

export async function getCounterparty(ex: Executor, merchant_id: number, id: number) {
  const [row] = await ex
    .select()
    .from(counterparties)
    .where(and(eq(counterparties.id, id), eq(counterparties.merchant_id, merchant_id)));
  return row;
}
