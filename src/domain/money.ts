/**
 * Money is exact: amounts live as bigint minor units next to an ISO-4217 code.
 * A JS `number` never carries an amount through arithmetic; numbers only appear
 * at the JSON edge, where we render a decimal string as the docs show it.
 *
 * Rounding rule (one for all currencies): any computed amount that falls between
 * two minor units is rounded half-up (away from zero on .5) to the currency's exponent.
 * Fee splits never round twice: the remainder of a split goes to the last share,
 * so the parts always add up to the whole.
 */

export interface CurrencyInfo {
  readonly code: string;
  readonly exponent: number; // digits after the decimal point
  readonly name: string;
}

/** Currencies this server can hold. USD/LRD (Liberia), RWF (Rwanda), NGN appears in the spec examples. */
export const CURRENCIES: Readonly<Record<string, CurrencyInfo>> = Object.freeze({
  USD: { code: 'USD', exponent: 2, name: 'US Dollar' },
  LRD: { code: 'LRD', exponent: 2, name: 'Liberian Dollar' },
  RWF: { code: 'RWF', exponent: 0, name: 'Rwandan Franc' },
  NGN: { code: 'NGN', exponent: 2, name: 'Nigerian Naira' },
});

export const CURRENCY_CODES: readonly string[] = Object.keys(CURRENCIES);

/** Largest amount accepted in any request, in major units (keeps every amount exact as a JSON double). */
export const AMOUNT_MAJOR_MAX = 1_000_000_000_000n; // 10^12

export function currencyInfo(code: string): CurrencyInfo | undefined {
  return Object.prototype.hasOwnProperty.call(CURRENCIES, code) ? CURRENCIES[code] : undefined;
}

export function exponentOf(code: string): number {
  const info = currencyInfo(code);
  if (!info) throw new Error(`assertion: unknown currency ${code}`);
  return info.exponent;
}

export interface Money {
  readonly amount_minor: bigint;
  readonly currency: string;
}

export function money(amount_minor: bigint, currency: string): Money {
  exponentOf(currency);
  return { amount_minor, currency };
}

/** An exact decimal: value = digits / 10^scale. */
export interface Decimal {
  readonly digits: bigint;
  readonly scale: number;
}

const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const EXPONENT_ABS_MAX = 40; // anything beyond is not an amount; refuse before building huge bigints

/** Parse JSON-number / query text into an exact decimal. Returns undefined for anything that is not a finite decimal. */
export function parseDecimal(text: string): Decimal | undefined {
  if (text.length > 64) return undefined;
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const [, sign, intPart, fracPart = '', expPart] = m;
  const exp = expPart === undefined ? 0 : Number(expPart);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > EXPONENT_ABS_MAX) return undefined;
  let digits = BigInt((intPart ?? '') + fracPart);
  let scale = fracPart.length - exp;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  // Normalise trailing zeros so 250.10 and 250.1 compare equal.
  while (scale > 0 && digits % 10n === 0n) {
    digits /= 10n;
    scale -= 1;
  }
  if (sign === '-') digits = -digits;
  return { digits, scale };
}

export type AmountProblem = 'not_a_number' | 'not_positive' | 'too_many_decimals' | 'too_large';

/**
 * Convert decimal text into minor units of `currency`, refusing what the currency cannot represent.
 * `-0` and `0` are not positive; `10.001` USD has too many decimals; `1e400` is not a number we take.
 */
export function parseAmountMinor(
  text: string,
  currency: string,
): { ok: true; amount_minor: bigint } | { ok: false; problem: AmountProblem } {
  const exponent = exponentOf(currency);
  const dec = parseDecimal(text);
  if (!dec) return { ok: false, problem: 'not_a_number' };
  if (dec.digits <= 0n) return { ok: false, problem: 'not_positive' };
  if (dec.scale > exponent) return { ok: false, problem: 'too_many_decimals' };
  const amount_minor = dec.digits * 10n ** BigInt(exponent - dec.scale);
  if (amount_minor > AMOUNT_MAJOR_MAX * 10n ** BigInt(exponent)) return { ok: false, problem: 'too_large' };
  return { ok: true, amount_minor };
}

/** "250.10" for 25010n USD; "1500" for 1500n RWF. Always shows the currency's full exponent. */
export function formatMinor(amount_minor: bigint, currency: string): string {
  const exponent = exponentOf(currency);
  const negative = amount_minor < 0n;
  const abs = negative ? -amount_minor : amount_minor;
  if (exponent === 0) return (negative ? '-' : '') + abs.toString();
  const s = abs.toString().padStart(exponent + 1, '0');
  return (negative ? '-' : '') + s.slice(0, -exponent) + '.' + s.slice(-exponent);
}

/**
 * The JSON number the docs show for an amount (execution and receipt amounts are numbers).
 * Converting the decimal *string* gives the double nearest to it, whose shortest printed form
 * is that same decimal, so a client reading the number reads the exact amount back.
 */
export function minorToJsonNumber(amount_minor: bigint, currency: string): number {
  const limit = 2n ** 53n;
  if (amount_minor > limit || amount_minor < -limit) {
    throw new Error(`assertion: amount ${amount_minor} beyond exact JSON range`);
  }
  return Number(formatMinor(amount_minor, currency));
}

/** Round digits/10^shift to an integer, half away from zero. */
export function roundHalfUpDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new Error('assertion: denominator must be positive');
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  const q = abs / denominator;
  const r = abs % denominator;
  const rounded = r * 2n >= denominator ? q + 1n : q;
  return negative ? -rounded : rounded;
}

/** Rescale a decimal value to an integer count of 10^-exponent units, rounding half-up. */
export function decimalToScaled(dec: Decimal, exponent: number): bigint {
  const shift = exponent - dec.scale;
  if (shift >= 0) return dec.digits * 10n ** BigInt(shift);
  return roundHalfUpDiv(dec.digits, 10n ** BigInt(-shift));
}

export function formatDecimal(dec: Decimal): string {
  const negative = dec.digits < 0n;
  const abs = negative ? -dec.digits : dec.digits;
  if (dec.scale <= 0) return (negative ? '-' : '') + (abs * 10n ** BigInt(-dec.scale)).toString();
  const s = abs.toString().padStart(dec.scale + 1, '0');
  return (negative ? '-' : '') + s.slice(0, -dec.scale) + '.' + s.slice(-dec.scale);
}

/**
 * The 422 message and type for an amount its currency cannot hold — one wording whether the schema
 * (`x-money`) or a use case (an amount checked against a stored currency) finds the problem.
 */
export function describeAmountProblem(problem: AmountProblem, currency: string, text: string): { msg: string; type: string } {
  switch (problem) {
    case 'too_many_decimals': {
      const exponent = exponentOf(currency);
      const msg =
        exponent === 0 ? `${currency} amounts are whole numbers; ${text} has decimals` : `ensure that there are no more than ${exponent} decimal places for ${currency}`;
      return { msg, type: 'value_error.decimal.max_places' };
    }
    case 'not_positive':
      return { msg: 'ensure this value is greater than 0', type: 'value_error.number.not_gt' };
    case 'too_large':
      return { msg: 'amount is larger than this server accepts', type: 'value_error.number.not_le' };
    case 'not_a_number':
      return { msg: 'value is not a valid decimal', type: 'type_error.decimal' };
  }
}
