import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SANDBOX_CARDS, sandboxCard } from '../../src/domain/cards.js';
import { describeNumberingProblem, operatorOf } from '../../src/domain/numbering.js';

describe('numbering plans', () => {
  const cases: [string, string, string, string][] = [
    ['231771234567', 'LR', 'Orange', 'ORANGE_MONEY_LBR'],
    ['231776543210', 'LR', 'Orange', 'ORANGE_MONEY_LBR'],
    ['231886123456', 'LR', 'MTN', 'MTN_MOMO_LBR'],
    ['231555123456', 'LR', 'MTN', 'MTN_MOMO_LBR'],
    ['250781234567', 'RW', 'MTN', 'MTN_MOMO_RWA'],
    ['250791234567', 'RW', 'MTN', 'MTN_MOMO_RWA'],
    ['250721234567', 'RW', 'Airtel', 'AIRTEL_RWA'],
    ['250731234567', 'RW', 'Airtel', 'AIRTEL_RWA'],
  ];
  for (const [phone, country, carrier, method] of cases) {
    it(`${phone} → ${carrier} ${country}`, () => {
      const r = operatorOf(phone);
      assert.ok(r.ok);
      assert.equal(r.match.country, country);
      assert.equal(r.match.carrier, carrier);
      assert.equal(r.match.method, method);
      assert.deepEqual(r.match.currencies, country === 'LR' ? ['USD', 'LRD'] : ['RWF']);
    });
  }

  it('refuses other countries, wrong lengths and unallocated prefixes, naming the supported markets', () => {
    for (const [phone, problem] of [
      ['2348031234567', 'unknown_country'], // Nigeria: not a MoMo market here
      ['23177123456', 'wrong_length'],
      ['2317712345678', 'wrong_length'],
      ['231551234567', 'unknown_prefix'], // 55x other than 555 is not allocated to a mobile operator
      ['231330123456', 'unknown_prefix'], // West Africa Telecom: no mobile money
      ['250751234567', 'unknown_prefix'], // 75 was Rwandatel (revoked)
      ['250221234567', 'unknown_prefix'], // fixed line
    ] as const) {
      const r = operatorOf(phone);
      assert.ok(!r.ok, phone);
      assert.equal(r.problem, problem, phone);
      assert.match(describeNumberingProblem(r), /Liberia \+231.*Rwanda \+250/);
    }
  });
});

describe('sandbox cards', () => {
  it('knows the Stripe-style test ids with a behaviour for the sandbox', () => {
    assert.equal(sandboxCard('pm_card_visa')?.brand, 'visa');
    assert.equal(sandboxCard('pm_card_visa')?.behaviour, 'succeeds');
    assert.equal(sandboxCard('pm_card_amex')?.number, '378282246310005');
    assert.equal(sandboxCard('pm_card_visa_debit')?.funding, 'debit');
    assert.equal(sandboxCard('pm_card_chargeDeclined')?.behaviour, 'declined');
    assert.equal(sandboxCard('pm_card_chargeDeclinedInsufficientFunds')?.behaviour, 'insufficient_funds');
    assert.equal(sandboxCard('pm_card_threeDSecure2Required')?.behaviour, 'requires_3ds_then_succeeds');
    assert.equal(sandboxCard('pm_card_threeDSecureRequiredChargeDeclined')?.behaviour, 'requires_3ds_then_fails');
    assert.equal(sandboxCard('pm_card_gb')?.country, 'GB');
    assert.equal(sandboxCard('pm_card_nope'), undefined);
    assert.equal(sandboxCard('__proto__'), undefined);
  });

  it('has unique ids and test numbers that pass the Luhn check', () => {
    assert.equal(new Set(SANDBOX_CARDS.map((c) => c.id)).size, SANDBOX_CARDS.length);
    for (const c of SANDBOX_CARDS) {
      let sum = 0;
      [...c.number].reverse().forEach((d, i) => {
        let n = Number(d);
        if (i % 2 === 1) n = n * 2 > 9 ? n * 2 - 9 : n * 2;
        sum += n;
      });
      assert.equal(sum % 10, 0, `${c.id} ${c.number}`);
    }
  });
});
