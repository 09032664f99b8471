/**
 * Reference rates, pure: which stored fee row is in force at an instant, and the exchange rate
 * between two currencies from the stored rates.
 *
 * Fee rows carry a window [effective_from, effective_to); the row in force at `at` is the one whose
 * window contains it (latest effective_from first, then the highest id, should windows ever overlap).
 * FX rows have no end: the latest effective_from ≤ at wins for each (base, quote) pair.
 *
 * FX resolution for base→quote, in this order:
 *   1. a direct base→quote row;
 *   2. the inverse of a quote→base row (`invertRate`, 10 decimals, half-up);
 *   3. triangulated through USD: (base→USD) × (USD→quote), each leg direct or inverse, the product
 *      rounded half-up to 10 decimals.
 * Every rate used has at most 10 decimals, the scale of `executions.fx_rate` (numeric(24,10)), so the
 * rate stored on a receipt reproduces the conversion exactly. The amount itself is converted once.
 */
import { type Decimal, decimalToScaled, parseDecimal } from './money.js';
import { invertRate, RATE_SCALE } from './pricing.js';

export const FX_PIVOT = 'USD';

export interface EffectiveWindow {
  readonly id: number;
  readonly effective_from: Date;
  readonly effective_to: Date | null;
}

export function isEffectiveAt(row: EffectiveWindow, at: Date): boolean {
  return row.effective_from.getTime() <= at.getTime() && (row.effective_to === null || at.getTime() < row.effective_to.getTime());
}

function later(a: { id: number; effective_from: Date }, b: { id: number; effective_from: Date }): boolean {
  const d = a.effective_from.getTime() - b.effective_from.getTime();
  return d > 0 || (d === 0 && a.id > b.id);
}

/** The row in force at `at` among `rows` (already narrowed to one key), or undefined. */
export function pickEffective<T extends EffectiveWindow>(rows: readonly T[], at: Date): T | undefined {
  let best: T | undefined;
  for (const r of rows) if (isEffectiveAt(r, at) && (!best || later(r, best))) best = r;
  return best;
}

/**
 * A platform tier rate for a method: the method's own row in force, else the row for any method
 * (payment_method null). `rows` are one tier's rows for one operation.
 */
export function pickTierRate<T extends EffectiveWindow & { readonly payment_method: string | null }>(rows: readonly T[], method: string, at: Date): T | undefined {
  return (
    pickEffective(
      rows.filter((r) => r.payment_method === method),
      at,
    ) ??
    pickEffective(
      rows.filter((r) => r.payment_method === null),
      at,
    )
  );
}

export interface FxRow {
  readonly id: number;
  readonly base_currency: string;
  readonly quote_currency: string;
  /** Exact decimal text (numeric(24,10)). */
  readonly rate: string;
  readonly effective_from: Date;
}

/** The latest rate base→quote stored with effective_from ≤ at. */
export function latestFxRow(rows: readonly FxRow[], base: string, quote: string, at: Date): FxRow | undefined {
  let best: FxRow | undefined;
  for (const r of rows) {
    if (r.base_currency !== base || r.quote_currency !== quote || r.effective_from.getTime() > at.getTime()) continue;
    if (!best || later(r, best)) best = r;
  }
  return best;
}

export type FxPath = 'direct' | 'inverse' | 'triangulated';

export interface FxResolution {
  /** Units of `quote` per unit of `base`, at most RATE_SCALE decimals, positive. */
  readonly rate: Decimal;
  readonly path: FxPath;
  /** The stored rows the rate comes from, in order of use. */
  readonly rows: readonly FxRow[];
}

/** Trailing zeros off, so "190.2500000000" and "190.25" are the same rate. */
function normalise(dec: Decimal): Decimal {
  let { digits, scale } = dec;
  while (scale > 0 && digits % 10n === 0n) {
    digits /= 10n;
    scale -= 1;
  }
  return { digits, scale };
}

function rateOf(row: FxRow): Decimal {
  const dec = parseDecimal(row.rate);
  if (!dec || dec.digits <= 0n) throw new Error(`assertion: stored FX rate ${row.id} is not a positive decimal`);
  return normalise(dec);
}

/** Multiply two rates exactly, then round half-up to RATE_SCALE decimals. */
export function multiplyRates(a: Decimal, b: Decimal): Decimal {
  const product: Decimal = { digits: a.digits * b.digits, scale: a.scale + b.scale };
  if (product.scale <= RATE_SCALE) return normalise(product);
  return normalise({ digits: decimalToScaled(product, RATE_SCALE), scale: RATE_SCALE });
}

function leg(rows: readonly FxRow[], base: string, quote: string, at: Date): FxResolution | undefined {
  const direct = latestFxRow(rows, base, quote, at);
  if (direct) return { rate: rateOf(direct), path: 'direct', rows: [direct] };
  const reverse = latestFxRow(rows, quote, base, at);
  if (reverse) return { rate: normalise(invertRate(rateOf(reverse))), path: 'inverse', rows: [reverse] };
  return undefined;
}

/** The rate base→quote at `at`, or undefined when the stored rates cannot give one. */
export function resolveFx(rows: readonly FxRow[], base: string, quote: string, at: Date): FxResolution | undefined {
  if (base === quote) throw new Error('assertion: no FX between a currency and itself');
  const single = leg(rows, base, quote, at);
  if (single) return usable(single);
  if (base === FX_PIVOT || quote === FX_PIVOT) return undefined;
  const first = leg(rows, base, FX_PIVOT, at);
  const second = leg(rows, FX_PIVOT, quote, at);
  if (!first || !second) return undefined;
  return usable({ rate: multiplyRates(first.rate, second.rate), path: 'triangulated', rows: [...first.rows, ...second.rows] });
}

/** A rate that rounded to zero at 10 decimals cannot convert anything: treat it as missing. */
function usable(r: FxResolution): FxResolution | undefined {
  return r.rate.digits > 0n ? r : undefined;
}

/** The currencies whose rows can matter for base→quote (direct, inverse, or through the pivot). */
export function fxCurrencies(base: string, quote: string): string[] {
  return [...new Set([base, quote, FX_PIVOT])];
}
