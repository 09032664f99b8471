/**
 * Queries for fees, fee tiers and FX rates (and the one payment-source read pricing needs).
 * Typed through drizzle so numerics read back as exact strings, amounts as bigint and times as Date
 * on both engines. Every read takes the instant `at` from the caller's clock, never now().
 */
import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from './db.js';
import { feeTierRates, feeTiers, fxRates, gatewayFees, merchantFeeTiers, paymentSources, providers } from './schema.js';

export type ProviderRow = typeof providers.$inferSelect;
export type GatewayFeeRow = typeof gatewayFees.$inferSelect & { provider_code: string };
export type TierRow = typeof feeTiers.$inferSelect;
export type TierRateRow = typeof feeTierRates.$inferSelect;
export type TierRateWithTier = TierRateRow & { tier: TierRow };
export type FxRateRow = typeof fxRates.$inferSelect;
export type AssignmentRow = typeof merchantFeeTiers.$inferSelect;

const gatewayColumns = {
  id: gatewayFees.id,
  provider_id: gatewayFees.provider_id,
  operation_type: gatewayFees.operation_type,
  payment_method: gatewayFees.payment_method,
  percentage: gatewayFees.percentage,
  fixed_fee_minor: gatewayFees.fixed_fee_minor,
  fixed_fee_currency: gatewayFees.fixed_fee_currency,
  effective_from: gatewayFees.effective_from,
  effective_to: gatewayFees.effective_to,
  created_at: gatewayFees.created_at,
  updated_at: gatewayFees.updated_at,
  provider_code: providers.code,
};

/** Rows whose window [effective_from, effective_to) contains `at`. */
function effectiveAt(table: typeof gatewayFees | typeof feeTierRates, at: Date): SQL {
  return and(lte(table.effective_from, at), or(isNull(table.effective_to), gt(table.effective_to, at)))!;
}

/** Rows still in force at or after `from` (current and scheduled ones): the cache's snapshot. */
function openFrom(table: typeof gatewayFees | typeof feeTierRates, from: Date): SQL {
  return or(isNull(table.effective_to), gt(table.effective_to, from))!;
}

export async function gatewayFeesAt(
  ex: Executor,
  at: Date,
  filter: { payment_method?: string | undefined; operation_type?: string | undefined } = {},
): Promise<GatewayFeeRow[]> {
  const conds = [effectiveAt(gatewayFees, at)];
  if (filter.payment_method) conds.push(eq(gatewayFees.payment_method, filter.payment_method));
  if (filter.operation_type) conds.push(eq(gatewayFees.operation_type, filter.operation_type));
  return ex
    .select(gatewayColumns)
    .from(gatewayFees)
    .innerJoin(providers, eq(providers.id, gatewayFees.provider_id))
    .where(and(...conds))
    .orderBy(asc(gatewayFees.payment_method), asc(gatewayFees.operation_type), asc(gatewayFees.id));
}

export async function gatewayFeesOpenFrom(ex: Executor, from: Date): Promise<GatewayFeeRow[]> {
  return ex.select(gatewayColumns).from(gatewayFees).innerJoin(providers, eq(providers.id, gatewayFees.provider_id)).where(openFrom(gatewayFees, from));
}

/** Every row ever written for one gateway fee key, oldest first (the admin edits this timeline). */
export async function gatewayFeeTimeline(ex: Executor, key: { provider_id: number; payment_method: string; operation_type: string }) {
  return ex
    .select()
    .from(gatewayFees)
    .where(and(eq(gatewayFees.provider_id, key.provider_id), eq(gatewayFees.payment_method, key.payment_method), eq(gatewayFees.operation_type, key.operation_type)))
    .orderBy(asc(gatewayFees.effective_from), asc(gatewayFees.id));
}

export async function closeGatewayFee(ex: Executor, id: number, effective_to: Date, at: Date): Promise<void> {
  await ex.update(gatewayFees).set({ effective_to, updated_at: at }).where(eq(gatewayFees.id, id));
}

export async function insertGatewayFee(ex: Executor, values: typeof gatewayFees.$inferInsert) {
  const [row] = await ex.insert(gatewayFees).values(values).returning();
  return row!;
}

export async function tierRatesAt(
  ex: Executor,
  at: Date,
  filter: { tier_id?: number | undefined; tier_name?: string | undefined; operation_type?: string | undefined } = {},
): Promise<TierRateWithTier[]> {
  const conds = [effectiveAt(feeTierRates, at)];
  if (filter.tier_id !== undefined) conds.push(eq(feeTierRates.tier_id, filter.tier_id));
  if (filter.tier_name !== undefined) conds.push(eq(feeTiers.name, filter.tier_name));
  if (filter.operation_type) conds.push(eq(feeTierRates.operation_type, filter.operation_type));
  const found = await ex
    .select({ rate: feeTierRates, tier: feeTiers })
    .from(feeTierRates)
    .innerJoin(feeTiers, eq(feeTiers.id, feeTierRates.tier_id))
    .where(and(...conds))
    .orderBy(asc(feeTiers.id), asc(feeTierRates.operation_type), asc(feeTierRates.payment_method), asc(feeTierRates.id));
  return found.map(({ rate, tier }) => ({ ...rate, tier }));
}

export async function tierRatesOpenFrom(ex: Executor, from: Date): Promise<TierRateRow[]> {
  return ex.select().from(feeTierRates).where(openFrom(feeTierRates, from));
}

export async function tierRateTimeline(ex: Executor, key: { tier_id: number; operation_type: string; payment_method: string | null }) {
  return ex
    .select()
    .from(feeTierRates)
    .where(
      and(
        eq(feeTierRates.tier_id, key.tier_id),
        eq(feeTierRates.operation_type, key.operation_type),
        key.payment_method === null ? isNull(feeTierRates.payment_method) : eq(feeTierRates.payment_method, key.payment_method),
      ),
    )
    .orderBy(asc(feeTierRates.effective_from), asc(feeTierRates.id));
}

export async function closeTierRate(ex: Executor, id: number, effective_to: Date, at: Date): Promise<void> {
  await ex.update(feeTierRates).set({ effective_to, updated_at: at }).where(eq(feeTierRates.id, id));
}

export async function insertTierRate(ex: Executor, values: typeof feeTierRates.$inferInsert) {
  const [row] = await ex.insert(feeTierRates).values(values).returning();
  return row!;
}

export async function listTiers(ex: Executor): Promise<TierRow[]> {
  return ex.select().from(feeTiers).orderBy(asc(feeTiers.id));
}

export async function findTierByName(ex: Executor, name: string): Promise<TierRow | undefined> {
  const [row] = await ex.select().from(feeTiers).where(eq(feeTiers.name, name));
  return row;
}

export async function insertTier(ex: Executor, values: typeof feeTiers.$inferInsert): Promise<TierRow> {
  const [row] = await ex.insert(feeTiers).values(values).returning();
  return row!;
}

/** Clear the default flag everywhere (before another tier takes it; the partial unique index allows one). */
export async function clearDefaultTier(ex: Executor, at: Date): Promise<void> {
  await ex.update(feeTiers).set({ is_default: false, updated_at: at }).where(eq(feeTiers.is_default, true));
}

export async function setDefaultTier(ex: Executor, id: number, at: Date): Promise<void> {
  await ex.update(feeTiers).set({ is_default: true, updated_at: at }).where(eq(feeTiers.id, id));
}

/**
 * The tier an owner is priced on, in one indexed query: its assignment's tier, else the default tier.
 * `assignment` is null when the owner falls back to the default.
 */
export async function findOwnerTier(ex: Executor, owner_type: string, owner_id: number): Promise<{ tier: TierRow; assignment: AssignmentRow | null } | undefined> {
  const found = await ex
    .select({ tier: feeTiers, assignment: merchantFeeTiers })
    .from(feeTiers)
    .leftJoin(merchantFeeTiers, and(eq(merchantFeeTiers.tier_id, feeTiers.id), eq(merchantFeeTiers.owner_type, owner_type), eq(merchantFeeTiers.owner_id, owner_id)))
    .where(or(eq(feeTiers.is_default, true), isNotNull(merchantFeeTiers.id)))
    .orderBy(sql`${merchantFeeTiers.id} is null`, asc(feeTiers.id))
    .limit(1);
  return found[0];
}

export async function upsertAssignment(ex: Executor, values: typeof merchantFeeTiers.$inferInsert): Promise<AssignmentRow> {
  const [row] = await ex
    .insert(merchantFeeTiers)
    .values(values)
    .onConflictDoUpdate({
      target: [merchantFeeTiers.owner_type, merchantFeeTiers.owner_id],
      set: { tier_id: values.tier_id, assigned_at: values.assigned_at, assigned_by: values.assigned_by },
    })
    .returning();
  return row!;
}

/**
 * The latest rate of each ordered pair among `currencies` with effective_from ≤ at: one index seek
 * per pair (LATERAL … LIMIT 1), however long the rate history grows.
 */
export async function latestFxRates(ex: Executor, currencies: readonly string[], at: Date): Promise<FxRateRow[]> {
  const pairs: SQL[] = [];
  for (const b of currencies) for (const q of currencies) if (b !== q) pairs.push(sql`(${b}, ${q})`);
  if (pairs.length === 0) return [];
  const latestIds = sql`(select r.id from (values ${sql.join(pairs, sql`, `)}) as p(b, q)
    cross join lateral (
      select f.id from fx_rates f
      where f.base_currency = p.b and f.quote_currency = p.q and f.effective_from <= ${at}
      order by f.effective_from desc, f.id desc limit 1
    ) r)`;
  return ex.select().from(fxRates).where(inArray(fxRates.id, latestIds));
}

/** Rates that take effect after `after` (scheduled changes), oldest first. */
export async function fxRatesAfter(ex: Executor, after: Date): Promise<FxRateRow[]> {
  return ex.select().from(fxRates).where(gt(fxRates.effective_from, after)).orderBy(asc(fxRates.effective_from), asc(fxRates.id));
}

export async function insertFxRate(ex: Executor, values: typeof fxRates.$inferInsert): Promise<FxRateRow> {
  const [row] = await ex.insert(fxRates).values(values).returning();
  return row!;
}

export async function listProviders(ex: Executor): Promise<ProviderRow[]> {
  return ex.select().from(providers).orderBy(asc(providers.id));
}

export async function findProviderByCode(ex: Executor, code: string): Promise<ProviderRow | undefined> {
  const [row] = await ex.select().from(providers).where(eq(providers.code, code));
  return row;
}
