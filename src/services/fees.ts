/**
 * Fee and FX lookups: the reference rows in force at an instant, read either for one quote
 * (a few indexed queries) or from a short-lived in-process snapshot, and the read use cases behind
 * GET /v1/fees/*. Times come from the caller (ctx.clock), never from the database's now().
 */
import { notFound } from '../domain/errors.js';
import type { OperationType, OwnerType, PaymentMethod } from '../domain/enums.js';
import { CURRENCY_CODES, formatMinor } from '../domain/money.js';
import { type FxResolution, type FxRow, pickEffective, pickTierRate, resolveFx } from '../domain/rates.js';
import type { Database, Executor } from '../store/db.js';
import * as store from '../store/fees.js';
import type { Ctx } from './context.js';
import { getMerchant } from './merchants.js';

/** The reference rows a lookup reads, and the earliest instant they answer for. */
export interface ReferenceSnapshot {
  readonly gateway_fees: readonly store.GatewayFeeRow[];
  readonly tier_rates: readonly store.TierRateRow[];
  readonly fx_rates: readonly FxRow[];
  /** Lookups at instants before this one must read the database instead. */
  readonly covers_from: Date;
  /** Set when the snapshot holds only the rows for one instant (an uncached, targeted read). */
  readonly only_at?: Date;
}

/** What a targeted read narrows to (the full snapshot ignores it). */
export interface ReferenceNeed {
  readonly payment_method: string;
  readonly operation_type: string;
  readonly tier_id: number;
}

/** How far back a cached snapshot answers: a quote's `at` a little before the load still hits it. */
export const SNAPSHOT_LOOKBACK_MS = 24 * 60 * 60 * 1000;

/** Three indexed queries: the gateway fee, the tier's rates for the operation, the latest rate of each currency pair. */
export async function loadTargeted(ex: Executor, need: ReferenceNeed, at: Date): Promise<ReferenceSnapshot> {
  // One after another: `ex` may be a transaction, whose single connection runs one query at a time.
  const gateway_fees = await store.gatewayFeesAt(ex, at, { payment_method: need.payment_method, operation_type: need.operation_type });
  const tier_rates = await store.tierRatesAt(ex, at, { tier_id: need.tier_id, operation_type: need.operation_type });
  const fx_rates = await store.latestFxRates(ex, CURRENCY_CODES, at);
  return { gateway_fees, tier_rates, fx_rates, covers_from: at, only_at: at };
}

/** Every row in force from `at − lookback` on, including scheduled changes: answers any later instant. */
export async function loadSnapshot(ex: Executor, at: Date): Promise<ReferenceSnapshot> {
  const covers_from = new Date(at.getTime() - SNAPSHOT_LOOKBACK_MS);
  const gateway_fees = await store.gatewayFeesOpenFrom(ex, covers_from);
  const tier_rates = await store.tierRatesOpenFrom(ex, covers_from);
  const fx_base = await store.latestFxRates(ex, CURRENCY_CODES, covers_from);
  const fx_later = await store.fxRatesAfter(ex, covers_from);
  return { gateway_fees, tier_rates, fx_rates: [...fx_base, ...fx_later], covers_from };
}

/**
 * Fee and FX rows change rarely and are read on every quote, so an instance keeps one snapshot for
 * `ttl_ms` (≤ 5 s; 0 reads the database every time). A change made elsewhere shows within ttl_ms;
 * a change made through this process clears the snapshot at once. The snapshot loads through the
 * caller's executor, so a quote inside a transaction never waits on another connection.
 */
export class ReferenceCache {
  private snapshot: { data: ReferenceSnapshot; loaded_ms: number } | undefined;

  constructor(
    readonly ttl_ms: number,
    private readonly monotonic_ms: () => number = () => performance.now(),
  ) {}

  async view(ex: Executor, need: ReferenceNeed, at: Date): Promise<ReferenceSnapshot> {
    if (this.ttl_ms <= 0) return loadTargeted(ex, need, at);
    const held = this.snapshot;
    if (held && this.monotonic_ms() - held.loaded_ms < this.ttl_ms && at.getTime() >= held.data.covers_from.getTime()) return held.data;
    const data = await loadSnapshot(ex, at);
    this.snapshot = { data, loaded_ms: this.monotonic_ms() };
    return data;
  }

  private readonly tiers = new Map<string, { value: Awaited<ReturnType<typeof store.findOwnerTier>>; loaded_ms: number }>();
  private static readonly TIER_ENTRIES_MAX = 10_000;

  /** The owner's fee tier (assignment or default), held as long as the snapshot. */
  async ownerTier(ex: Executor, owner_type: string, owner_id: number): Promise<Awaited<ReturnType<typeof store.findOwnerTier>>> {
    if (this.ttl_ms <= 0) return store.findOwnerTier(ex, owner_type, owner_id);
    const key = `${owner_type}|${owner_id}`;
    const held = this.tiers.get(key);
    if (held && this.monotonic_ms() - held.loaded_ms < this.ttl_ms) return held.value;
    const value = await store.findOwnerTier(ex, owner_type, owner_id);
    if (this.tiers.size >= ReferenceCache.TIER_ENTRIES_MAX) this.tiers.clear();
    this.tiers.set(key, { value, loaded_ms: this.monotonic_ms() });
    return value;
  }

  clear(): void {
    this.snapshot = undefined;
    this.tiers.clear();
  }
}

/** No caching: every quote reads its rows (tests, and callers that must see a change at once). */
export const NO_CACHE = new ReferenceCache(0);

const caches = new WeakMap<Database, ReferenceCache>();

/** The instance's cache for this database, sized by PRICING_CACHE_TTL_MS. */
export function referenceCache(ctx: Ctx): ReferenceCache {
  let cache = caches.get(ctx.database);
  if (!cache) {
    cache = new ReferenceCache(ctx.config.pricing_cache_ttl_ms);
    caches.set(ctx.database, cache);
  }
  return cache;
}

function assertCovers(snap: ReferenceSnapshot, at: Date): void {
  if (at.getTime() < snap.covers_from.getTime() || (snap.only_at && snap.only_at.getTime() !== at.getTime())) {
    throw new Error('assertion: reference snapshot read outside the time it covers');
  }
}

/** The gateway's fee for a method and operation in force at `at`. */
export function gatewayFeeFor(snap: ReferenceSnapshot, gateway: string, method: string, operation: string, at: Date): store.GatewayFeeRow | undefined {
  assertCovers(snap, at);
  return pickEffective(
    snap.gateway_fees.filter((r) => r.provider_code === gateway && r.payment_method === method && r.operation_type === operation),
    at,
  );
}

/** A tier's platform rate for an operation and method in force at `at`, falling back to its any-method row. */
export function tierRateFor(snap: ReferenceSnapshot, tier_id: number, operation: string, method: string, at: Date): store.TierRateRow | undefined {
  assertCovers(snap, at);
  return pickTierRate(
    snap.tier_rates.filter((r) => r.tier_id === tier_id && r.operation_type === operation),
    method,
    at,
  );
}

/** base→quote at `at`: direct, inverse or through USD; undefined when no stored rate connects them. */
export function fxFor(snap: ReferenceSnapshot, base: string, quote: string, at: Date): FxResolution | undefined {
  assertCovers(snap, at);
  return resolveFx(snap.fx_rates, base, quote, at);
}

// ---------------------------------------------------------------------------------------------
// GET /v1/fees/* — read use cases and the JSON shapes they answer with.
// ---------------------------------------------------------------------------------------------

/**
 * A fixed fee as a decimal string at its currency's exponent ("0.30" USD, "300" RWF), like the
 * percentages ("2.9000"): a Pydantic Decimal over a numeric column serializes as a string.
 * No currency means no fixed part: "0".
 */
export function fixedFeeText(fixed_minor: bigint, currency: string | null): string {
  if (currency === null) {
    if (fixed_minor !== 0n) throw new Error('assertion: a fixed fee without a currency');
    return '0';
  }
  return formatMinor(fixed_minor, currency.trim());
}

export function tierJson(t: store.TierRow) {
  return { id: t.id, name: t.name, is_default: t.is_default, created_at: t.created_at, updated_at: t.updated_at };
}

export async function listGatewayFees(ctx: Ctx, filter: { payment_method?: string | undefined; operation_type?: string | undefined }) {
  const found = await store.gatewayFeesAt(ctx.database.db, ctx.clock.now(), filter);
  return found.map((r) => ({
    id: r.id,
    provider_id: r.provider_id,
    operation_type: r.operation_type as OperationType,
    payment_method: r.payment_method as PaymentMethod,
    percentage: r.percentage,
    created_at: r.created_at,
    updated_at: r.updated_at,
    fixed_fee: fixedFeeText(r.fixed_fee_minor, r.fixed_fee_currency),
    fixed_fee_currency: r.fixed_fee_currency,
    effective_from: r.effective_from,
    effective_to: r.effective_to,
  }));
}

export async function listPlatformRates(ctx: Ctx, filter: { operation_type?: string | undefined; fee_tier_name?: string | undefined }) {
  const found = await store.tierRatesAt(ctx.database.db, ctx.clock.now(), { operation_type: filter.operation_type, tier_name: filter.fee_tier_name });
  return found.map((r) => ({
    id: r.id,
    operation_type: r.operation_type as OperationType,
    payment_method: r.payment_method as PaymentMethod | null,
    percentage: r.percentage,
    fx_percentage: r.fx_percentage,
    effective_from: r.effective_from,
    created_at: r.created_at,
    fixed_fee: fixedFeeText(r.fixed_fee_minor, r.fixed_fee_currency),
    fixed_fee_currency: r.fixed_fee_currency,
    effective_to: r.effective_to,
    tier: tierJson(r.tier),
  }));
}

export async function listFeeTiers(ctx: Ctx) {
  return (await store.listTiers(ctx.database.db)).map(tierJson);
}

/** Who assigned a tier when nobody did: the owner is on the default tier from its creation. */
export const DEFAULT_ASSIGNER = 'system';

/**
 * The caller's own tier. Another owner (id or type) answers 404, as for any object the caller may
 * not see. Without an explicit assignment the default tier answers with id 0 (no assignment row
 * exists), assigned_at = the merchant's creation time and assigned_by "system".
 */
export async function getMerchantFeeTier(ctx: Ctx, caller_merchant_id: number, owner_type: OwnerType, owner_id: number) {
  if (owner_id !== caller_merchant_id) throw notFound();
  const merchant = await getMerchant(ctx, caller_merchant_id);
  if (!merchant || merchant.type !== owner_type) throw notFound();
  const found = await store.findOwnerTier(ctx.database.db, owner_type, owner_id);
  if (!found) throw notFound();
  const { tier, assignment } = found;
  return assignment
    ? { id: assignment.id, owner_type, owner_id, assigned_at: assignment.assigned_at, assigned_by: assignment.assigned_by, tier: tierJson(tier) }
    : { id: 0, owner_type, owner_id, assigned_at: merchant.created_at, assigned_by: DEFAULT_ASSIGNER, tier: tierJson(tier) };
}
