/** Queries for payment accounts. The account number is written here and read by executions only. */
import { and, eq, sql } from 'drizzle-orm';
import { type Executor, mapRow, type Tx } from './db.js';
import { paymentAccounts } from './schema.js';
import { Once, run } from './statement.js';

export type PaymentAccountRow = typeof paymentAccounts.$inferSelect;

let byId: Once | undefined;

/** Every collection and payout reads its account: built once. */
export async function findPaymentAccount(ex: Executor, merchant_id: number, id: number): Promise<PaymentAccountRow | undefined> {
  byId ??= new Once(() =>
    ex
      .select()
      .from(paymentAccounts)
      .where(and(eq(paymentAccounts.merchant_id, sql.placeholder('merchant_id')), eq(paymentAccounts.id, sql.placeholder('id')))),
  );
  const [raw] = await run(ex, byId.get(), { merchant_id, id });
  return raw ? mapRow(paymentAccounts, raw) : undefined;
}

/** A new account every time (cards: one account per card attempt). */
export async function insertPaymentAccount(tx: Tx, values: typeof paymentAccounts.$inferInsert): Promise<PaymentAccountRow> {
  const [row] = await tx.insert(paymentAccounts).values(values).returning();
  return row!;
}

/**
 * The account for this party + number + method + operation: the existing one, or a new one.
 * The partial unique index payment_accounts_reuse_key decides, so two concurrent requests for the
 * same wallet end with one account (the loser's insert does nothing and it reads the winner's row).
 */
export async function insertOrReusePaymentAccount(
  tx: Tx,
  values: typeof paymentAccounts.$inferInsert & { account_number: string },
): Promise<{ account: PaymentAccountRow; created: boolean }> {
  const [inserted] = await tx
    .insert(paymentAccounts)
    .values(values)
    .onConflictDoNothing({
      target: [paymentAccounts.merchant_id, paymentAccounts.party_id, paymentAccounts.method, paymentAccounts.account_number, paymentAccounts.operation_type],
      where: sql`account_number is not null and method <> 'CREDIT_CARD'`,
    })
    .returning();
  if (inserted) return { account: inserted, created: true };
  const [existing] = await tx
    .select()
    .from(paymentAccounts)
    .where(
      and(
        eq(paymentAccounts.merchant_id, values.merchant_id),
        eq(paymentAccounts.party_id, values.party_id),
        eq(paymentAccounts.method, values.method),
        eq(paymentAccounts.account_number, values.account_number),
        eq(paymentAccounts.operation_type, values.operation_type),
      ),
    );
  if (!existing) throw new Error('assertion: reused payment account not found after a conflict');
  return { account: existing, created: false };
}
