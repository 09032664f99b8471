import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FxRow, isEffectiveAt, latestFxRow, multiplyRates, pickEffective, pickTierRate, resolveFx } from '../../src/domain/rates.js';

const T = (iso: string) => new Date(iso);
const JAN = T('2026-01-01T00:00:00Z');
const FEB = T('2026-02-01T00:00:00Z');
const MAR = T('2026-03-01T00:00:00Z');

describe('effective windows', () => {
  const rows = [
    { id: 1, effective_from: JAN, effective_to: FEB, v: 'jan' },
    { id: 2, effective_from: FEB, effective_to: null, v: 'feb-on' },
    { id: 3, effective_from: MAR, effective_to: null, v: 'scheduled' },
  ];

  it('treats the window as [from, to): the start is in, the end is out', () => {
    assert.equal(isEffectiveAt(rows[0]!, JAN), true);
    assert.equal(isEffectiveAt(rows[0]!, FEB), false);
    assert.equal(isEffectiveAt(rows[1]!, FEB), true);
  });

  it('picks the row in force, the latest start winning when windows overlap', () => {
    assert.equal(pickEffective(rows, T('2025-12-31T23:59:59Z')), undefined);
    assert.equal(pickEffective(rows, T('2026-01-15T00:00:00Z'))?.v, 'jan');
    assert.equal(pickEffective(rows, FEB)?.v, 'feb-on');
    assert.equal(pickEffective(rows, T('2026-03-02T00:00:00Z'))?.v, 'scheduled');
    // Same start: the higher id (written later) wins.
    assert.equal(pickEffective([...rows, { id: 9, effective_from: MAR, effective_to: null, v: 'rewritten' }], MAR)?.v, 'rewritten');
  });

  it("falls back from the method's own tier rate to the any-method row", () => {
    const tier = [
      { id: 1, payment_method: null, effective_from: JAN, effective_to: null, pct: '1.5' },
      { id: 2, payment_method: 'CREDIT_CARD', effective_from: JAN, effective_to: FEB, pct: '1.0' },
    ];
    assert.equal(pickTierRate(tier, 'CREDIT_CARD', T('2026-01-10T00:00:00Z'))?.pct, '1.0');
    assert.equal(pickTierRate(tier, 'MTN_MOMO_LBR', T('2026-01-10T00:00:00Z'))?.pct, '1.5');
    // The card row closed in February: cards fall back to the any-method rate.
    assert.equal(pickTierRate(tier, 'CREDIT_CARD', FEB)?.pct, '1.5');
    assert.equal(pickTierRate(tier, 'WALLET', T('2025-06-01T00:00:00Z')), undefined);
  });
});

describe('FX resolution', () => {
  const fx = (id: number, base: string, quote: string, rate: string, from = JAN): FxRow => ({ id, base_currency: base, quote_currency: quote, rate, effective_from: from });
  const rows = [fx(1, 'USD', 'LRD', '189.7500000000'), fx(2, 'USD', 'RWF', '1445.0000000000'), fx(3, 'USD', 'LRD', '190.25', MAR)];

  it('uses the latest direct rate at the instant', () => {
    assert.equal(latestFxRow(rows, 'USD', 'LRD', FEB)?.id, 1);
    assert.equal(latestFxRow(rows, 'USD', 'LRD', MAR)?.id, 3);
    const r = resolveFx(rows, 'USD', 'LRD', FEB)!;
    assert.equal(r.path, 'direct');
    assert.deepEqual(r.rate, { digits: 18975n, scale: 2 });
  });

  it('inverts the reverse rate at 10 decimals, half-up', () => {
    const r = resolveFx(rows, 'LRD', 'USD', FEB)!;
    assert.equal(r.path, 'inverse');
    assert.deepEqual(r.rate, { digits: 52700922n, scale: 10 }); // 1/189.75 = 0.00527009222…
    assert.deepEqual(r.rows.map((x) => x.id), [1]);
  });

  it('triangulates through USD when no pair connects the two', () => {
    const r = resolveFx(rows, 'LRD', 'RWF', FEB)!;
    assert.equal(r.path, 'triangulated');
    // (1/189.75 at 10 dp) × 1445 = 0.0052700922 × 1445 = 7.615283229 (exact within 10 dp)
    assert.deepEqual(r.rate, { digits: 7615283229n, scale: 9 });
    assert.deepEqual(r.rows.map((x) => x.id), [1, 2]);
    assert.equal(resolveFx(rows, 'RWF', 'NGN', FEB), undefined);
    assert.equal(resolveFx(rows, 'USD', 'NGN', FEB), undefined);
  });

  it('prefers a direct row over the inverse of the other direction', () => {
    const both = [...rows, fx(10, 'LRD', 'USD', '0.0053')];
    const r = resolveFx(both, 'LRD', 'USD', FEB)!;
    assert.equal(r.path, 'direct');
    assert.deepEqual(r.rate, { digits: 53n, scale: 4 });
  });

  it('ignores rates that take effect later', () => {
    assert.equal(resolveFx([fx(1, 'USD', 'LRD', '190', MAR)], 'USD', 'LRD', FEB), undefined);
  });

  it('rounds a product of rates half-up to 10 decimals', () => {
    assert.deepEqual(multiplyRates({ digits: 15n, scale: 10 }, { digits: 5n, scale: 1 }), { digits: 8n, scale: 10 }); // 7.5e-10 → 8e-10
    assert.deepEqual(multiplyRates({ digits: 2n, scale: 0 }, { digits: 25n, scale: 1 }), { digits: 5n, scale: 0 });
  });
});
