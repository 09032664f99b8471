import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMinor, minorToJsonNumber, parseAmountMinor, parseDecimal } from '../../src/domain/money.js';
import { convertMinor, percentToPpm, price } from '../../src/domain/pricing.js';

describe('money', () => {
  it('parses decimal text exactly, including exponents', () => {
    assert.deepEqual(parseDecimal('250.10'), { digits: 2501n, scale: 1 });
    assert.deepEqual(parseDecimal('2.5e2'), { digits: 250n, scale: 0 });
    assert.deepEqual(parseDecimal('-0'), { digits: 0n, scale: 0 });
    assert.equal(parseDecimal('1e400'), undefined);
    assert.equal(parseDecimal('abc'), undefined);
    assert.equal(parseDecimal('.5'), undefined);
  });

  it('refuses what a currency cannot represent', () => {
    assert.deepEqual(parseAmountMinor('250.10', 'USD'), { ok: true, amount_minor: 25010n });
    assert.deepEqual(parseAmountMinor('250.001', 'USD'), { ok: false, problem: 'too_many_decimals' });
    assert.deepEqual(parseAmountMinor('10.0000000000000001', 'USD'), { ok: false, problem: 'too_many_decimals' });
    assert.deepEqual(parseAmountMinor('1500', 'RWF'), { ok: true, amount_minor: 1500n });
    assert.deepEqual(parseAmountMinor('1500.5', 'RWF'), { ok: false, problem: 'too_many_decimals' });
    assert.deepEqual(parseAmountMinor('0', 'USD'), { ok: false, problem: 'not_positive' });
    assert.deepEqual(parseAmountMinor('-0', 'USD'), { ok: false, problem: 'not_positive' });
    assert.deepEqual(parseAmountMinor('1e13', 'USD'), { ok: false, problem: 'too_large' });
  });

  it('renders amounts as the docs show them', () => {
    assert.equal(formatMinor(25010n, 'USD'), '250.10');
    assert.equal(formatMinor(5n, 'USD'), '0.05');
    assert.equal(formatMinor(1500n, 'RWF'), '1500');
    assert.equal(minorToJsonNumber(25010n, 'USD'), 250.1);
    assert.equal(JSON.stringify(minorToJsonNumber(99999999999999n, 'USD')), '999999999999.99');
  });
});

describe('pricing', () => {
  it('keeps every minor unit in both fee-bearer modes', () => {
    const common = { base_minor: 10000n, base_currency: 'USD', payer_currency: 'USD', platform: { percent_ppm: percentToPpm('1.5')!, fixed_minor: 0n }, gateway: { percent_ppm: percentToPpm('2')!, fixed_minor: 10n }, fx: null };
    const payer = price({ ...common, fee_bearer: 'PAYER' });
    assert.equal(payer.payee_minor, 10000n);
    assert.equal(payer.payer_minor, 10000n + 150n + 210n);
    const payee = price({ ...common, fee_bearer: 'PAYEE' });
    assert.equal(payee.payer_minor, 10000n);
    assert.equal(payee.payee_minor, 10000n - 150n - 210n);
  });

  it('converts once, half-up', () => {
    assert.equal(convertMinor(10000n, 'USD', 'LRD', { digits: 1925n, scale: 1 }), 1925000n);
    assert.equal(convertMinor(1n, 'LRD', 'USD', { digits: 52n, scale: 4 }), 0n);
    assert.equal(convertMinor(100n, 'USD', 'RWF', { digits: 14255n, scale: 1 }), 1426n);
  });
});
