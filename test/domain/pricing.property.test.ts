/**
 * price() against an independent model, over thousands of random cases: every minor unit is
 * accounted for, the payer amount is the single half-up rounding of the exact rational, fee-bearer
 * modes keep their promise, fees grow with the amount — in RWF (exponent 0) and USD/LRD/NGN (2).
 *
 * The model below shares no code with src/domain: its own rational arithmetic and its own
 * half-up rounding (floor((2n + d) / 2d)), so a bug in roundHalfUpDiv or convertMinor shows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Decimal } from '../../src/domain/money.js';
import { convertMinor, type FeeRule, type Price, price, PricingError, type PriceInput } from '../../src/domain/pricing.js';

const EXPONENT: Record<string, bigint> = { USD: 2n, LRD: 2n, NGN: 2n, RWF: 0n };
const CURRENCIES = Object.keys(EXPONENT);
export const RUNS = { conservation: 6000, monotone: 3000, rwfUsd: 3000 };

/** half-up of n/d for n ≥ 0, d > 0: the nearest integer, ties up. */
function halfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d);
}

function modelFee(amount: bigint, rule: FeeRule): bigint {
  return halfUp(amount * rule.percent_ppm, 1_000_000n) + rule.fixed_minor;
}

/** Exact payer amount as a rational, rounded once: gross × rate × 10^(e_to − e_from). */
function modelConvert(gross: bigint, from: string, to: string, rate: Decimal): bigint {
  const num = gross * rate.digits * 10n ** EXPONENT[to]!;
  const den = 10n ** BigInt(rate.scale) * 10n ** EXPONENT[from]!;
  return halfUp(num, den);
}

type Expected = { ok: true; payee: bigint; platform: bigint; gateway: bigint; fx: bigint; gross: bigint; payer: bigint } | { ok: false; problem: string };

function model(input: PriceInput): Expected {
  const B = input.base_minor;
  const platform = modelFee(B, input.platform);
  const gateway = modelFee(B, input.gateway);
  const markup = input.fx?.markup_ppm ?? 0n;
  let payee: bigint;
  let fx: bigint;
  let gross: bigint;
  if (input.fee_bearer === 'PAYER') {
    payee = B;
    fx = input.fx ? halfUp((B + platform + gateway) * markup, 1_000_000n) : 0n;
    gross = B + platform + gateway + fx;
  } else {
    gross = B;
    fx = input.fx ? halfUp(B * markup, 1_000_000n) : 0n;
    payee = B - platform - gateway - fx;
    if (payee <= 0n) return { ok: false, problem: 'fees_exceed_amount' };
  }
  const payer = input.fx ? modelConvert(gross, input.base_currency, input.payer_currency, input.fx.rate) : gross;
  if (payer <= 0n) return { ok: false, problem: 'converted_amount_zero' };
  return { ok: true, payee, platform, gateway, fx, gross, payer };
}

function attempt(input: PriceInput): Price | PricingError {
  try {
    return price(input);
  } catch (err) {
    if (err instanceof PricingError) return err;
    throw err;
  }
}

// ---- generators ---------------------------------------------------------------------------

const amount = fc.oneof(fc.bigInt(1n, 1_000n), fc.bigInt(1n, 10_000_000n), fc.bigInt(1n, 100_000_000_000_000n)); // up to 10^12 major units of a 2-decimal currency
const ppm = fc.oneof(fc.bigInt(0n, 50_000n), fc.bigInt(0n, 999_999n)); // 0–5 %, and anything under 100 %
const fixed = fc.oneof(fc.constant(0n), fc.bigInt(0n, 500n), fc.bigInt(0n, 1_000_000n));
const rule: fc.Arbitrary<FeeRule> = fc.record({ percent_ppm: ppm, fixed_minor: fixed });
/** Rates from 10^-10 to ~10^6, at most 10 decimals (what the store keeps). */
const rate: fc.Arbitrary<Decimal> = fc
  .record({ digits: fc.bigInt(1n, 10_000_000_000_000_000n), scale: fc.integer({ min: 0, max: 10 }) })
  .filter((r) => r.digits < 10n ** BigInt(r.scale + 7));
const bearer = fc.constantFrom('PAYER' as const, 'PAYEE' as const);

function priceInput(currencies: fc.Arbitrary<[string, string]>): fc.Arbitrary<PriceInput> {
  return fc.record({ base_minor: amount, pair: currencies, fee_bearer: bearer, platform: rule, gateway: rule, rate, markup_ppm: ppm }).map((r) => ({
    base_minor: r.base_minor,
    base_currency: r.pair[0],
    payer_currency: r.pair[1],
    fee_bearer: r.fee_bearer,
    platform: r.platform,
    gateway: r.gateway,
    fx: r.pair[0] === r.pair[1] ? null : { rate: r.rate, markup_ppm: r.markup_ppm },
  }));
}

const anyPair = fc.tuple(fc.constantFrom(...CURRENCIES), fc.constantFrom(...CURRENCIES)) as fc.Arbitrary<[string, string]>;
const rwfUsd = fc.constantFrom<[string, string]>(['RWF', 'USD'], ['USD', 'RWF'], ['RWF', 'RWF'], ['USD', 'USD']);

function checkAgainstModel(input: PriceInput): void {
  const got = attempt(input);
  const want = model(input);
  if (!want.ok) {
    assert.ok(got instanceof PricingError, `expected ${want.problem}, got a price`);
    assert.equal(got.problem, want.problem);
    return;
  }
  assert.ok(!(got instanceof PricingError), `unexpected ${got instanceof PricingError ? got.problem : ''}`);
  const p = got as Price;
  // Nothing created or lost, in the base currency, exactly.
  assert.equal(p.payee_minor + p.platform_fee_minor + p.gateway_fee_minor + p.fx_fee_minor, p.gross_base_minor);
  assert.equal(p.payee_minor, want.payee);
  assert.equal(p.platform_fee_minor, want.platform);
  assert.equal(p.gateway_fee_minor, want.gateway);
  assert.equal(p.fx_fee_minor, want.fx);
  assert.equal(p.gross_base_minor, want.gross);
  assert.equal(p.payer_minor, want.payer);
  if (input.fee_bearer === 'PAYER') assert.equal(p.payee_minor, input.base_minor);
  else assert.equal(p.gross_base_minor, input.base_minor);
  if (input.fx) {
    // Exactly one rounding: the payer amount is convertMinor(gross), and that is the half-up of the exact rational.
    assert.equal(p.payer_minor, convertMinor(p.gross_base_minor, input.base_currency, input.payer_currency, input.fx.rate));
    assert.equal(p.payee_currency, input.base_currency);
    assert.equal(p.payer_currency, input.payer_currency);
  } else {
    assert.equal(p.payer_minor, p.gross_base_minor);
    assert.equal(p.fx_fee_minor, 0n);
    assert.equal(p.fx, null);
  }
}

describe('price() properties', () => {
  it(`matches the independent model and conserves every minor unit (${RUNS.conservation} cases, all currency pairs)`, () => {
    fc.assert(fc.property(priceInput(anyPair), checkAgainstModel), { numRuns: RUNS.conservation });
  });

  it(`holds for RWF (exponent 0) against USD (exponent 2) in both directions (${RUNS.rwfUsd} cases)`, () => {
    fc.assert(fc.property(priceInput(rwfUsd), checkAgainstModel), { numRuns: RUNS.rwfUsd });
  });

  it(`fees and the payer amount never fall when the amount grows (${RUNS.monotone} cases)`, () => {
    fc.assert(
      fc.property(priceInput(anyPair), fc.bigInt(0n, 1_000_000n), (input, extra) => {
        const small = attempt(input);
        const big = attempt({ ...input, base_minor: input.base_minor + extra });
        if (small instanceof PricingError || big instanceof PricingError) return; // refusals are covered by the model test
        assert.ok(small.platform_fee_minor <= big.platform_fee_minor);
        assert.ok(small.gateway_fee_minor <= big.gateway_fee_minor);
        assert.ok(small.fx_fee_minor <= big.fx_fee_minor);
        assert.ok(small.gross_base_minor <= big.gross_base_minor);
        assert.ok(small.payer_minor <= big.payer_minor);
        if (input.fee_bearer === 'PAYER') assert.ok(small.payee_minor <= big.payee_minor);
      }),
      { numRuns: RUNS.monotone },
    );
  });

  it('rounds half-up on exact ties, once', () => {
    // 0.5 of a minor unit rounds up: 1 RWF at 0.005 USD/RWF → 0.5 cent → 1 cent.
    assert.equal(convertMinor(1n, 'RWF', 'USD', { digits: 5n, scale: 3 }), 1n);
    // 2.5 % of 1 cent is 0.025 cent → 0; of 20 cents → 0.5 → 1 (ties up).
    const p = price({ base_minor: 20n, base_currency: 'USD', payer_currency: 'USD', fee_bearer: 'PAYER', platform: { percent_ppm: 25_000n, fixed_minor: 0n }, gateway: { percent_ppm: 0n, fixed_minor: 0n }, fx: null });
    assert.equal(p.platform_fee_minor, 1n);
  });
});
