/**
 * Pricing, pure: fees and FX for one money movement, in integer minor units.
 *
 * Rounding rule (every currency): a percentage or a conversion that falls between two minor units
 * rounds half-up (ties away from zero) to the currency's exponent — USD/LRD/NGN cents, RWF whole
 * francs — and each quantity is rounded exactly once. Nothing is created or lost:
 *
 *   gross_base = payee + platform_fee + gateway_fee + fx_fee            (exact, base currency)
 *   payer      = gross_base                       when payer currency = base currency
 *   payer      = convert(gross_base, rate)        otherwise (the single FX rounding)
 *
 * The base currency is the one the movement is denominated in: the invoice/order currency for a
 * collection (the merchant's wallet is credited in it), the wallet currency for a payout or
 * transfer. The payer currency is what the payer pays in (a collection's `currency`).
 *
 * fee_bearer PAYER: payee = base amount; the fees ride on top of it.
 * fee_bearer PAYEE: gross_base = base amount; the fees come out of the payee's share.
 * FX fee: the tier's fx markup on the amount converted (PAYER: base + platform + gateway; PAYEE: base).
 */
import type { FeeBearer } from './enums.js';
import { type Decimal, exponentOf, formatDecimal, parseDecimal, roundHalfUpDiv } from './money.js';

export const PPM = 1_000_000n; // fees as parts per million of the amount (4-decimal percent)

export interface FeeRule {
  /** Percentage as parts per million (2.5 % → 25_000n). */
  readonly percent_ppm: bigint;
  /** Fixed part, already in the base currency (the caller converts a fixed fee set in another currency). */
  readonly fixed_minor: bigint;
}

export const NO_FEE: FeeRule = { percent_ppm: 0n, fixed_minor: 0n };

export interface FxRule {
  /** Units of the payer currency per one unit of the base currency (major units), exact. */
  readonly rate: Decimal;
  /** FX markup as parts per million. */
  readonly markup_ppm: bigint;
}

export interface PriceInput {
  readonly base_minor: bigint;
  readonly base_currency: string;
  readonly payer_currency: string;
  readonly fee_bearer: FeeBearer;
  readonly platform: FeeRule;
  readonly gateway: FeeRule;
  /** Required exactly when payer_currency differs from base_currency. */
  readonly fx: FxRule | null;
}

export interface Price {
  readonly payer_minor: bigint;
  readonly payer_currency: string;
  readonly payee_minor: bigint;
  readonly payee_currency: string; // = base currency
  readonly platform_fee_minor: bigint; // base currency
  readonly gateway_fee_minor: bigint; // base currency
  readonly fx_fee_minor: bigint; // base currency (0 without FX)
  readonly gross_base_minor: bigint; // what the payer's money is worth in the base currency
  readonly fx: { readonly rate: string; readonly from: string; readonly to: string } | null;
}

export type PriceProblem = 'fees_exceed_amount' | 'converted_amount_zero' | 'fx_rate_missing' | 'fx_rate_unexpected';

export class PricingError extends Error {
  constructor(readonly problem: PriceProblem) {
    super(problem);
    this.name = 'PricingError';
  }
}

/** percent text ("2.5", "0.0125") → parts per million; undefined when it has more than 4 decimals or is out of [0, 100). */
export function percentToPpm(percent: string): bigint | undefined {
  const dec = parseDecimal(percent);
  if (!dec || dec.digits < 0n || dec.scale > 4) return undefined;
  const ppm = dec.scale <= 4 ? dec.digits * 10n ** BigInt(4 - dec.scale) : 0n;
  return ppm < 100n * 10_000n ? ppm : undefined;
}

export function ppmToPercent(ppm: bigint): string {
  return formatDecimal({ digits: ppm, scale: 4 });
}

/** round_half_up(amount × ppm / 10^6) */
export function percentOf(amount_minor: bigint, percent_ppm: bigint): bigint {
  if (amount_minor < 0n || percent_ppm < 0n) throw new Error('assertion: percentOf takes non-negative values');
  return roundHalfUpDiv(amount_minor * percent_ppm, PPM);
}

export function feeOf(amount_minor: bigint, rule: FeeRule): bigint {
  if (rule.fixed_minor < 0n) throw new Error('assertion: negative fixed fee');
  return percentOf(amount_minor, rule.percent_ppm) + rule.fixed_minor;
}

/**
 * Convert minor units of `from` into minor units of `to` at `rate` (to per from, major units):
 * to_minor = round_half_up(from_minor × rate × 10^(exp_to − exp_from)).
 */
export function convertMinor(amount_minor: bigint, from: string, to: string, rate: Decimal): bigint {
  if (rate.digits <= 0n) throw new Error('assertion: FX rate must be positive');
  const shift = exponentOf(to) - exponentOf(from) - rate.scale;
  const numerator = amount_minor * rate.digits * (shift > 0 ? 10n ** BigInt(shift) : 1n);
  const denominator = shift < 0 ? 10n ** BigInt(-shift) : 1n;
  return roundHalfUpDiv(numerator, denominator);
}

export function price(input: PriceInput): Price {
  const { base_minor: B, base_currency, payer_currency } = input;
  if (B <= 0n) throw new Error('assertion: price of a non-positive amount');
  const crossCurrency = payer_currency !== base_currency;
  if (crossCurrency && !input.fx) throw new PricingError('fx_rate_missing');
  if (!crossCurrency && input.fx) throw new PricingError('fx_rate_unexpected');

  const platform = feeOf(B, input.platform);
  const gateway = feeOf(B, input.gateway);
  let payee: bigint;
  let fxFee = 0n;
  let gross: bigint;
  if (input.fee_bearer === 'PAYER') {
    payee = B;
    if (input.fx) fxFee = percentOf(B + platform + gateway, input.fx.markup_ppm);
    gross = payee + platform + gateway + fxFee;
  } else {
    gross = B;
    if (input.fx) fxFee = percentOf(B, input.fx.markup_ppm);
    payee = B - platform - gateway - fxFee;
    if (payee <= 0n) throw new PricingError('fees_exceed_amount');
  }
  const payer = input.fx ? convertMinor(gross, base_currency, payer_currency, input.fx.rate) : gross;
  if (payer <= 0n) throw new PricingError('converted_amount_zero');

  // Paired assertion: the parts add up to the whole, in the base currency, exactly.
  if (payee + platform + gateway + fxFee !== gross) throw new Error('assertion: pricing lost or created a minor unit');
  if (!input.fx && payer !== gross) throw new Error('assertion: same-currency payer amount differs from gross');

  return {
    payer_minor: payer,
    payer_currency,
    payee_minor: payee,
    payee_currency: base_currency,
    platform_fee_minor: platform,
    gateway_fee_minor: gateway,
    fx_fee_minor: fxFee,
    gross_base_minor: gross,
    fx: input.fx ? { rate: formatDecimal(input.fx.rate), from: base_currency, to: payer_currency } : null,
  };
}

/** The rate from→to given a stored rate in either direction (inverting keeps 10 significant decimals, half-up). */
export const RATE_SCALE = 10;
export function invertRate(rate: Decimal): Decimal {
  if (rate.digits <= 0n) throw new Error('assertion: FX rate must be positive');
  const digits = roundHalfUpDiv(10n ** BigInt(RATE_SCALE + rate.scale), rate.digits);
  return { digits, scale: RATE_SCALE };
}
