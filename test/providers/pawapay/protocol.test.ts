/** pawaPay v2 wire mapping: pure functions, checked exhaustively where the domain is small. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MOMO_METHODS, type PaymentMethod } from '../../../src/domain/enums.js';
import { AMOUNT_MAJOR_MAX, exponentOf } from '../../../src/domain/money.js';
import {
  buildInitiation,
  failureText,
  fromPawapayAmount,
  PAYMENT_STATUSES,
  phoneNumberOf,
  providerOf,
  readInitiationResponse,
  readPayment,
  readStatusResponse,
  resultFromInitiation,
  resultFromPayment,
  resultFromStatus,
  toPawapayAmount,
} from '../../../src/providers/pawapay/protocol.js';
import type { CarrierRequest } from '../../../src/providers/types.js';

const ID = '3f2a6c1e-8b4d-4c2a-9e1f-0a1b2c3d4e5f';
const DEPOSIT = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

function request(over: Partial<CarrierRequest> = {}): CarrierRequest {
  return { operation: 'collection', idempotency_key: ID, amount_minor: 1230n, currency: 'USD', method: 'MTN_MOMO_LBR', msisdn: '231881234001', description: 'COLLECTION x', ...over };
}

describe('pawaPay protocol: amounts', () => {
  it('formats minor units at the currency exponent, exactly', () => {
    assert.equal(toPawapayAmount(1230n, 'USD'), '12.30');
    assert.equal(toPawapayAmount(5n, 'USD'), '0.05');
    assert.equal(toPawapayAmount(100_000n, 'LRD'), '1000.00');
    assert.equal(toPawapayAmount(1553n, 'RWF'), '1553');
    assert.equal(toPawapayAmount(1n, 'RWF'), '1');
    // beyond 2^53 a float would round; bigint text does not
    assert.equal(toPawapayAmount(9_007_199_254_740_993n, 'USD'), '90071992547409.93');
    assert.throws(() => toPawapayAmount(0n, 'USD'), /positive/);
    assert.throws(() => toPawapayAmount(-5n, 'USD'), /positive/);
    assert.throws(() => toPawapayAmount(5n, 'XXX'), /unknown currency/);
  });

  it('reads pawaPay amounts back exactly, refusing what the currency cannot hold', () => {
    assert.equal(fromPawapayAmount('12.3', 'USD'), 1230n);
    assert.equal(fromPawapayAmount('12.30', 'USD'), 1230n);
    assert.equal(fromPawapayAmount('1553', 'RWF'), 1553n);
    assert.equal(fromPawapayAmount('1553.00', 'RWF'), 1553n, 'trailing zeros are allowed');
    assert.equal(fromPawapayAmount('1553.5', 'RWF'), undefined);
    assert.equal(fromPawapayAmount('12.345', 'USD'), undefined);
    assert.equal(fromPawapayAmount('0', 'USD'), undefined);
    assert.equal(fromPawapayAmount('abc', 'USD'), undefined);
    assert.equal(fromPawapayAmount(12.3, 'USD'), undefined, 'a JSON number is not a pawaPay amount');
    assert.equal(fromPawapayAmount('12', 'XXX'), undefined);
  });

  it('round-trips every amount in every currency', () => {
    // every amount a request may carry: up to 10^12 major units (AMOUNT_MAJOR_MAX)
    const amounts = fc.constantFrom('USD', 'LRD', 'RWF', 'NGN').chain((currency) =>
      fc.tuple(fc.bigInt(1n, AMOUNT_MAJOR_MAX * 10n ** BigInt(exponentOf(currency))), fc.constant(currency)),
    );
    fc.assert(
      fc.property(amounts, ([minor, currency]) => {
        assert.equal(fromPawapayAmount(toPawapayAmount(minor, currency), currency), minor);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('pawaPay protocol: requests', () => {
  it('maps our methods to pawaPay providers and numbers to MSISDNs', () => {
    for (const m of MOMO_METHODS) assert.equal(providerOf(m), m);
    assert.equal(providerOf('CREDIT_CARD' as PaymentMethod), undefined);
    assert.equal(providerOf('WALLET' as PaymentMethod), undefined);
    assert.equal(phoneNumberOf('231881234001'), '231881234001');
    assert.equal(phoneNumberOf('+250 78 345-6789'), '250783456789');
    assert.equal(phoneNumberOf('0881234001'), undefined, 'a national number lacks the country code');
    assert.equal(phoneNumberOf('2318812340011234'), undefined, 'E.164 has at most 15 digits');
    assert.equal(phoneNumberOf(undefined), undefined);
  });

  it('builds the documented v2 bodies for deposits, payouts and refunds', () => {
    assert.deepEqual(buildInitiation(request()), {
      ok: true,
      path: '/v2/deposits',
      body: { depositId: ID, amount: '12.30', currency: 'USD', payer: { type: 'MMO', accountDetails: { phoneNumber: '231881234001', provider: 'MTN_MOMO_LBR' } } },
    });
    assert.deepEqual(buildInitiation(request({ operation: 'payout', amount_minor: 1500n, currency: 'RWF', method: 'AIRTEL_RWA', msisdn: '250731234001' })), {
      ok: true,
      path: '/v2/payouts',
      body: { payoutId: ID, amount: '1500', currency: 'RWF', recipient: { type: 'MMO', accountDetails: { phoneNumber: '250731234001', provider: 'AIRTEL_RWA' } } },
    });
    assert.deepEqual(buildInitiation(request({ operation: 'refund', original_key: DEPOSIT, amount_minor: 500n })), {
      ok: true,
      path: '/v2/refunds',
      body: { refundId: ID, depositId: DEPOSIT, amount: '5.00', currency: 'USD' },
    });
  });

  it('fails without calling out when the request cannot be expressed', () => {
    const bad = [
      [request({ operation: 'refund' }), 'INVALID_PARAMETER'],
      [request({ method: 'CREDIT_CARD' }), 'INVALID_PROVIDER'],
      [request({ msisdn: '12' }), 'INVALID_PHONE_NUMBER'],
      [request({ msisdn: undefined }), 'INVALID_PHONE_NUMBER'],
    ] as const;
    for (const [req, code] of bad) {
      const built = buildInitiation(req);
      assert.equal(built.ok, false);
      if (!built.ok) {
        assert.equal(built.result.state, 'failed');
        assert.equal(built.result.failure_code, code);
        assert.match(built.result.message!, new RegExp(`^${code}: `));
      }
    }
    assert.throws(() => buildInitiation(request({ idempotency_key: 'not-a-uuid' })), /UUID/);
  });
});

describe('pawaPay protocol: answers', () => {
  it('maps initiation statuses: ACCEPTED in flight, REJECTED failed, DUPLICATE_IGNORED read again', () => {
    assert.deepEqual(resultFromInitiation({ status: 'ACCEPTED' }, ID), {
      state: 'accepted', provider_transaction_id: ID, message: 'Accepted by pawaPay; waiting for the operator', retry_after_ms: 5000,
    });
    const rejected = resultFromInitiation({ status: 'REJECTED', failureReason: { failureCode: 'INVALID_PHONE_NUMBER', failureMessage: 'bad number' } }, ID);
    assert.deepEqual(rejected, { state: 'failed', failure_code: 'INVALID_PHONE_NUMBER', message: 'INVALID_PHONE_NUMBER: bad number' });
    assert.equal(resultFromInitiation({ status: 'REJECTED' }, ID)?.failure_code, 'UNKNOWN_ERROR');
    assert.equal(resultFromInitiation({ status: 'DUPLICATE_IGNORED' }, ID), undefined);
    assert.equal(readInitiationResponse({ status: 'MAYBE' }), undefined);
    assert.equal(readInitiationResponse('ACCEPTED'), undefined);
    assert.deepEqual(readInitiationResponse({ depositId: ID, status: 'REJECTED', failureReason: { failureCode: 'X', failureMessage: 7 } }), { status: 'REJECTED', failureReason: { failureCode: 'X' } });
  });

  it('maps every payment status: only COMPLETED and FAILED are final', () => {
    for (const status of PAYMENT_STATUSES) {
      const r = resultFromPayment({ depositId: ID, status, amount: '1', currency: 'USD' });
      const expected = status === 'COMPLETED' ? 'completed' : status === 'FAILED' ? 'failed' : 'accepted';
      assert.equal(r.state, expected, status);
    }
    assert.equal(resultFromPayment({ depositId: ID, status: 'COMPLETED', amount: '1', currency: 'USD', providerTransactionId: 'MP123' }).provider_transaction_id, 'MP123');
    assert.equal(resultFromPayment({ depositId: ID, status: 'COMPLETED', amount: '1', currency: 'USD' }).provider_transaction_id, ID);
    const failed = resultFromPayment({ payoutId: ID, status: 'FAILED', amount: '1', currency: 'USD', failureReason: { failureCode: 'RECIPIENT_NOT_FOUND' } });
    assert.equal(failed.failure_code, 'RECIPIENT_NOT_FOUND');
    assert.equal(failed.message, 'RECIPIENT_NOT_FOUND: The recipient mobile-money account does not exist');
    assert.equal(resultFromPayment({ depositId: ID, status: 'FAILED', amount: '1', currency: 'USD' }).failure_code, 'UNKNOWN_ERROR');
  });

  it('reads status answers strictly', () => {
    assert.deepEqual(resultFromStatus(readStatusResponse({ status: 'NOT_FOUND' })!), { state: 'not_found', message: 'pawaPay has no record of this payment' });
    const found = readStatusResponse({ status: 'FOUND', data: { depositId: ID, status: 'COMPLETED', amount: '12.30', currency: 'USD', providerTransactionId: 'MP1', extra: true } });
    assert.equal(found?.data?.status, 'COMPLETED');
    assert.equal(resultFromStatus(found!).state, 'completed');
    assert.equal(readStatusResponse({ status: 'FOUND' }), undefined, 'FOUND without data');
    assert.equal(readStatusResponse({ status: 'FOUND', data: { depositId: ID, status: 'DONE' } }), undefined, 'unknown status');
    assert.equal(readStatusResponse({ status: 'FOUND', data: { depositId: 'x', status: 'COMPLETED' } }), undefined, 'not a UUID');
    assert.equal(readStatusResponse([]), undefined);
  });

  it('tells the operation of a callback by its id field', () => {
    assert.equal(readPayment({ depositId: ID, status: 'COMPLETED' })?.operation, 'collection');
    assert.equal(readPayment({ payoutId: ID, status: 'FAILED' })?.operation, 'payout');
    assert.equal(readPayment({ refundId: ID, depositId: DEPOSIT, status: 'COMPLETED' })?.operation, 'refund', 'a refund names its deposit too');
    assert.equal(readPayment({ depositId: ID, payoutId: DEPOSIT, status: 'COMPLETED' }), undefined, 'ambiguous');
    assert.equal(readPayment({ status: 'COMPLETED' }), undefined);
    assert.equal(readPayment(null), undefined);
  });

  it('writes failure messages as CODE: text, preferring pawaPay’s text, bounded', () => {
    assert.equal(failureText('INSUFFICIENT_BALANCE'), 'INSUFFICIENT_BALANCE: The payer has insufficient balance');
    assert.equal(failureText('PAWAPAY_WALLET_OUT_OF_FUNDS'), 'PAWAPAY_WALLET_OUT_OF_FUNDS: The pawaPay wallet has insufficient funds for this payment');
    assert.equal(failureText('INSUFFICIENT_BALANCE', 'Payer has 3 USD'), 'INSUFFICIENT_BALANCE: Payer has 3 USD');
    assert.equal(failureText('SOMETHING_NEW'), 'SOMETHING_NEW: pawaPay failed the payment');
    assert.equal(failureText('X', 'y'.repeat(2000)).length, 500);
  });
});
