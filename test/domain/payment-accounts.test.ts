import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isReusableAccount, paymentAccountCountry, paymentAccountProblems, paymentAccountView } from '../../src/domain/payment-accounts.js';

const locs = (r: Parameters<typeof paymentAccountProblems>[0]) => paymentAccountProblems(r).items.map((i) => i.loc.join('.')).sort();

describe('payment account rules', () => {
  it('accepts the documented combinations', () => {
    assert.deepEqual(locs({ method: 'MTN_MOMO_LBR', provider: 'PAWAPAY', country_code: 'LR', account_number: '231771234567' }), []);
    assert.deepEqual(locs({ method: 'MTN_MOMO_LBR', provider: 'MTN_MOMO_LBR', country_code: null, account_number: '231771234567' }), []);
    assert.deepEqual(locs({ method: 'AIRTEL_RWA', provider: 'PAWAPAY', country_code: 'RW', account_number: '250731234567' }), []);
    assert.deepEqual(locs({ method: 'CREDIT_CARD', provider: 'STRIPE', country_code: null, account_number: null }), []);
    assert.deepEqual(locs({ method: 'WALLET', provider: 'PLATFORM', country_code: null, account_number: null }), []);
  });

  it('refuses each broken rule on its field', () => {
    const bad = paymentAccountProblems({ method: 'MTN_MOMO_LBR', provider: 'STRIPE', country_code: 'RW', account_number: '+231' });
    assert.deepEqual(bad.items.map((i) => i.loc.join('.')).sort(), ['body.country_code', 'body.insensitive_account_number', 'body.provider']);
    assert.match(bad.items.find((i) => i.loc[1] === 'provider')!.msg, /^invalid combination: method MTN_MOMO_LBR goes through provider PAWAPAY or MTN_MOMO_LBR/);
    assert.deepEqual(locs({ method: 'ORANGE_MONEY_RWA', provider: 'PAWAPAY', country_code: null, account_number: null }), ['body.insensitive_account_number']);
    assert.deepEqual(locs({ method: 'CREDIT_CARD', provider: 'STRIPE', country_code: null, account_number: '4242424242424242' }), ['body.insensitive_account_number']);
    assert.deepEqual(locs({ method: 'CREDIT_CARD', provider: 'PAWAPAY', country_code: null, account_number: null }), ['body.provider']);
    assert.deepEqual(locs({ method: 'WALLET', provider: 'MTN_MOMO_LBR', country_code: null, account_number: null }), ['body.provider']);
  });

  it('fills the country of mobile money, reuses all but cards, and never shows the number', () => {
    assert.equal(paymentAccountCountry('MTN_MOMO_RWA', null), 'RW');
    assert.equal(paymentAccountCountry('CREDIT_CARD', null), null);
    assert.equal(paymentAccountCountry('CREDIT_CARD', 'US'), 'US');
    assert.equal(isReusableAccount('MTN_MOMO_LBR', '231771234567'), true);
    assert.equal(isReusableAccount('CREDIT_CARD', null), false);
    assert.equal(isReusableAccount('WALLET', null), false);
    const at = new Date();
    const view = paymentAccountView({ id: 1, account_name: 'a', provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', party_id: 2, is_active: true, country_code: 'LR', created_at: at, updated_at: at, account_number: '231771234567' } as never);
    assert.deepEqual(Object.keys(view).sort(), ['account_name', 'country_code', 'created_at', 'id', 'is_active', 'method', 'party_id', 'provider', 'updated_at']);
  });
});
