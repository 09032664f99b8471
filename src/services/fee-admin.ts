/**
 * Operator changes to fees, tiers and FX rates (the admin CLI). A change takes effect from its
 * `from` instant (default: now): the row in force then is closed at `from` and the new row opens
 * there, running until the next scheduled row if any, all in one transaction under one advisory
 * lock, so the timeline of a fee never overlaps and a quote sees either the old or the new rate.
 * Every value is validated exactly: percentages with at most 4 decimals, amounts in their currency.
 */
import { sql } from 'drizzle-orm';
import { invalid, notFound } from '../domain/errors.js';
import { GATEWAY_OF_METHOD, OPERATION_TYPES, type OperationType, PAYMENT_METHODS, type PaymentMethod } from '../domain/enums.js';
import { CURRENCY_CODES, currencyInfo, formatDecimal, formatMinor, parseAmountMinor, parseDecimal } from '../domain/money.js';
import { percentToPpm, ppmToPercent, RATE_SCALE } from '../domain/pricing.js';
import { isEffectiveAt } from '../domain/rates.js';
import type { Tx } from '../store/db.js';
import * as store from '../store/fees.js';
import { findMerchant } from '../store/merchants.js';
import type { Ctx } from './context.js';
import { fixedFeeText, referenceCache } from './fees.js';

const FEES_LOCK_KEY = 7_426_911_003; // arbitrary, stable: "dollr fee changes"
export const ADMIN_ACTOR = 'admin-cli';
const RATE_INTEGER_DIGITS_MAX = 14; // numeric(24,10)
const TIER_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function percentText(value: string, field: string): string {
  const ppm = percentToPpm(value);
  if (ppm === undefined) throw invalid([field], `${field} must be a percentage from 0 to under 100 with at most 4 decimals, e.g. 2.9 (got ${value})`);
  return ppmToPercent(ppm);
}

function operationOf(value: string): OperationType {
  if (!(OPERATION_TYPES as readonly string[]).includes(value)) throw invalid(['operation'], `operation must be one of ${OPERATION_TYPES.join(', ')}`);
  return value as OperationType;
}

function methodOf(value: string): PaymentMethod {
  if (!(PAYMENT_METHODS as readonly string[]).includes(value)) throw invalid(['method'], `method must be one of ${PAYMENT_METHODS.join(', ')}`);
  return value as PaymentMethod;
}

function currencyOf(value: string, field: string): string {
  if (!currencyInfo(value)) throw invalid([field], `${field} must be one of USD, LRD, RWF, NGN (got ${value})`);
  return value;
}

export interface FixedFeeInput {
  amount?: string | undefined;
  currency?: string | undefined;
}

/** "--fixed 0.30 --fixed-currency USD" → 30n USD; no --fixed (or 0) → no fixed part. */
function fixedFee(input: FixedFeeInput): { fixed_fee_minor: bigint; fixed_fee_currency: string | null } {
  if (input.amount === undefined || input.amount === '') {
    if (input.currency) throw invalid(['fixed'], '--fixed-currency needs --fixed AMOUNT');
    return { fixed_fee_minor: 0n, fixed_fee_currency: null };
  }
  const dec = parseDecimal(input.amount);
  if (dec && dec.digits === 0n) return { fixed_fee_minor: 0n, fixed_fee_currency: null };
  if (!input.currency) throw invalid(['fixed_currency'], '--fixed needs --fixed-currency CUR');
  const currency = currencyOf(input.currency, 'fixed_currency');
  const parsed = parseAmountMinor(input.amount, currency);
  if (!parsed.ok) throw invalid(['fixed'], `--fixed ${input.amount} is not a valid ${currency} amount (${parsed.problem})`);
  return { fixed_fee_minor: parsed.amount_minor, fixed_fee_currency: currency };
}

/** --from ISO-8601 with a zone (default now). */
export function parseFrom(value: string | undefined, now: Date): Date {
  if (value === undefined || value === '') return now;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw invalid(['from'], `--from must be an ISO-8601 time with a zone, e.g. 2026-03-01T00:00:00Z (got ${value})`);
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw invalid(['from'], `--from ${value} is not a valid time`);
  return at;
}

/**
 * Put a new row into a key's timeline at `from`: close the row in force then, and end the new row
 * where the next scheduled row starts. Returns when the new row ends (null: open-ended).
 */
async function splice<T extends { id: number; effective_from: Date; effective_to: Date | null }>(
  timeline: readonly T[],
  from: Date,
  close: (id: number) => Promise<void>,
): Promise<Date | null> {
  for (const row of timeline) if (isEffectiveAt(row, from)) await close(row.id);
  const next = timeline.find((r) => r.effective_from.getTime() > from.getTime());
  return next ? next.effective_from : null;
}

async function locked<T>(ctx: Ctx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const out = await ctx.database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${FEES_LOCK_KEY})`);
    return fn(tx);
  });
  referenceCache(ctx).clear(); // this process sees its own change at once; others within their TTL
  return out;
}

export interface SetGatewayFeeInput extends FixedFeeInput {
  provider: string;
  method: string;
  operation: string;
  percent: string;
  from?: string | undefined;
}

export async function setGatewayFee(ctx: Ctx, input: SetGatewayFeeInput) {
  const method = methodOf(input.method);
  const operation_type = operationOf(input.operation);
  if (GATEWAY_OF_METHOD[method] !== input.provider) {
    throw invalid(['provider'], `invalid combination: ${method} is carried by ${GATEWAY_OF_METHOD[method]}, not ${input.provider}`);
  }
  const percentage = percentText(input.percent, 'percent');
  const fixed = fixedFee(input);
  const now = ctx.clock.now();
  const from = parseFrom(input.from, now);
  return locked(ctx, async (tx) => {
    const provider = await store.findProviderByCode(tx, input.provider);
    if (!provider) throw invalid(['provider'], `unknown provider ${input.provider}`);
    const key = { provider_id: provider.id, payment_method: method, operation_type };
    const effective_to = await splice(await store.gatewayFeeTimeline(tx, key), from, (id) => store.closeGatewayFee(tx, id, from, now));
    const row = await store.insertGatewayFee(tx, { ...key, percentage, ...fixed, effective_from: from, effective_to, created_at: now, updated_at: now });
    return { id: row.id, provider: input.provider, method, operation: operation_type, percentage, fixed_fee: fixedFeeText(row.fixed_fee_minor, row.fixed_fee_currency), fixed_fee_currency: row.fixed_fee_currency, effective_from: from, effective_to };
  });
}

export async function createTier(ctx: Ctx, name: string, opts: { is_default?: boolean } = {}) {
  if (!TIER_NAME_RE.test(name)) throw invalid(['name'], 'tier name must be 1–64 lowercase letters, digits, _ or -, e.g. growth');
  const now = ctx.clock.now();
  return locked(ctx, async (tx) => {
    if (await store.findTierByName(tx, name)) throw invalid(['name'], `fee tier ${name} already exists`);
    if (opts.is_default) await store.clearDefaultTier(tx, now);
    return store.insertTier(tx, { name, is_default: Boolean(opts.is_default), created_at: now, updated_at: now });
  });
}

/** Make an existing tier the default (owners without an assignment move with it). */
export async function makeDefaultTier(ctx: Ctx, name: string) {
  const now = ctx.clock.now();
  return locked(ctx, async (tx) => {
    const tier = await store.findTierByName(tx, name);
    if (!tier) throw notFound();
    await store.clearDefaultTier(tx, now);
    await store.setDefaultTier(tx, tier.id, now);
    return { ...tier, is_default: true, updated_at: now };
  });
}

export interface SetTierRateInput extends FixedFeeInput {
  tier: string;
  operation: string;
  method?: string | undefined; // omitted: any method
  percent: string;
  fx_percent: string;
  from?: string | undefined;
}

export async function setTierRate(ctx: Ctx, input: SetTierRateInput) {
  const operation_type = operationOf(input.operation);
  const payment_method = input.method === undefined || input.method === '' ? null : methodOf(input.method);
  const percentage = percentText(input.percent, 'percent');
  const fx_percentage = percentText(input.fx_percent, 'fx_percent');
  const fixed = fixedFee(input);
  const now = ctx.clock.now();
  const from = parseFrom(input.from, now);
  return locked(ctx, async (tx) => {
    const tier = await store.findTierByName(tx, input.tier);
    if (!tier) throw invalid(['tier'], `unknown fee tier ${input.tier}; create it with fees:tier:create`);
    const key = { tier_id: tier.id, operation_type, payment_method };
    const effective_to = await splice(await store.tierRateTimeline(tx, key), from, (id) => store.closeTierRate(tx, id, from, now));
    const row = await store.insertTierRate(tx, { ...key, percentage, fx_percentage, ...fixed, effective_from: from, effective_to, created_at: now, updated_at: now });
    return { id: row.id, tier: tier.name, operation: operation_type, method: payment_method, percentage, fx_percentage, fixed_fee: fixedFeeText(row.fixed_fee_minor, row.fixed_fee_currency), fixed_fee_currency: row.fixed_fee_currency, effective_from: from, effective_to };
  });
}

export async function assignTier(ctx: Ctx, merchant_id: number, tier_name: string, assigned_by = ADMIN_ACTOR) {
  const now = ctx.clock.now();
  return locked(ctx, async (tx) => {
    const merchant = await findMerchant(tx, merchant_id);
    if (!merchant) throw notFound();
    const tier = await store.findTierByName(tx, tier_name);
    if (!tier) throw invalid(['tier'], `unknown fee tier ${tier_name}`);
    const row = await store.upsertAssignment(tx, { owner_type: merchant.type, owner_id: merchant.id, tier_id: tier.id, assigned_at: now, assigned_by });
    return { id: row.id, owner_type: row.owner_type, owner_id: row.owner_id, tier: tier.name, assigned_at: row.assigned_at, assigned_by: row.assigned_by };
  });
}

export interface SetFxInput {
  base: string;
  quote: string;
  rate: string;
  from?: string | undefined;
}

/** A new rate base→quote from `from` on; earlier rates stay for history and for quotes at earlier times. */
export async function setFxRate(ctx: Ctx, input: SetFxInput, actor = ADMIN_ACTOR) {
  const base = currencyOf(input.base, 'base');
  const quote = currencyOf(input.quote, 'quote');
  if (base === quote) throw invalid(['quote'], 'base and quote must differ');
  const dec = parseDecimal(input.rate);
  if (!dec || dec.digits <= 0n) throw invalid(['rate'], `rate must be a positive decimal (got ${input.rate})`);
  if (dec.scale > RATE_SCALE) throw invalid(['rate'], `rate has at most ${RATE_SCALE} decimals (got ${input.rate})`);
  if ((dec.digits / 10n ** BigInt(dec.scale)).toString().length > RATE_INTEGER_DIGITS_MAX) throw invalid(['rate'], 'rate is too large');
  const now = ctx.clock.now();
  const from = parseFrom(input.from, now);
  return locked(ctx, async (tx) => {
    const row = await store.insertFxRate(tx, { base_currency: base, quote_currency: quote, rate: formatDecimal(dec), effective_from: from, created_by: actor, created_at: now });
    return { id: row.id, base, quote, rate: row.rate, effective_from: row.effective_from };
  });
}

/** Current rate of every stored pair, and scheduled ones. */
export async function listFx(ctx: Ctx) {
  const at = ctx.clock.now();
  const db = ctx.database.db;
  const [current, scheduled] = await Promise.all([store.latestFxRates(db, CURRENCY_CODES, at), store.fxRatesAfter(db, at)]);
  const view = (r: store.FxRateRow) => ({ id: r.id, base: r.base_currency, quote: r.quote_currency, rate: r.rate, effective_from: r.effective_from, created_by: r.created_by });
  return { at, current: current.map(view), scheduled: scheduled.map(view) };
}

/** Gateway fees and platform rates in force now, tiers, assignments aside. */
export async function listFees(ctx: Ctx) {
  const at = ctx.clock.now();
  const db = ctx.database.db;
  const [gateway, platform, tiers] = await Promise.all([store.gatewayFeesAt(db, at), store.tierRatesAt(db, at), store.listTiers(db)]);
  return {
    at,
    tiers: tiers.map((t) => ({ id: t.id, name: t.name, is_default: t.is_default })),
    gateway: gateway.map((g) => ({
      id: g.id,
      provider: g.provider_code,
      method: g.payment_method,
      operation: g.operation_type,
      percentage: g.percentage,
      fixed: g.fixed_fee_currency ? `${formatMinor(g.fixed_fee_minor, g.fixed_fee_currency)} ${g.fixed_fee_currency}` : null,
      effective_from: g.effective_from,
      effective_to: g.effective_to,
    })),
    platform: platform.map((r) => ({
      id: r.id,
      tier: r.tier.name,
      operation: r.operation_type,
      method: r.payment_method ?? 'any',
      percentage: r.percentage,
      fx_percentage: r.fx_percentage,
      fixed: r.fixed_fee_currency ? `${formatMinor(r.fixed_fee_minor, r.fixed_fee_currency)} ${r.fixed_fee_currency}` : null,
      effective_from: r.effective_from,
      effective_to: r.effective_to,
    })),
  };
}
