import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReceipt, normalizeRate, type ReceiptInput } from '../../src/domain/receipts.js';
import { SOURCE_KINDS } from '../../src/domain/sources.js';

const created = new Date('2026-01-15T12:00:00.000Z');
const paid = new Date('2026-01-15T12:05:00.000Z');

function input(over: Partial<ReceiptInput> = {}): ReceiptInput {
  return {
    source: {
      id: 101,
      number: 'INV-2026-00042',
      counterparty_id: 15,
      currency: 'USD',
      total_amount_minor: 5997n,
      status: 'PAID',
      note: 'Consulting',
      fee_bearer: 'PAYER',
      due_date: new Date('2026-12-31T23:59:59.000Z'),
      as_payment_link: true,
      reference_id: 'order-1042',
      paid_at: paid,
      created_at: created,
      updated_at: paid,
    },
    owner: { owner_id: 1, owner_type: 'ORGANIZATION' },
    counterparty: { id: 15, relationship_type: 'CUSTOMER', party_id: 42, created_at: created, updated_at: created },
    party: { id: 42, fullname: 'Amara Kamara', phone: '231771234567', email: 'amara@example.com', country_code: 'LR', created_at: created, updated_at: created },
    execution: {
      id: 900,
      source_id: 101,
      payer_amount_minor: 1_195_000n,
      payer_currency: 'LRD',
      payee_amount_minor: 5997n,
      payee_currency: 'USD',
      platform_fee_minor: 90n,
      platform_currency: 'USD',
      gateway_fee_minor: 120n,
      gateway_currency: 'USD',
      fx_fee_minor: 31n,
      fx_rate: '192.5000000000',
      fx_currency_from: 'USD',
      fx_currency_to: 'LRD',
      provider: 'PAWAPAY',
      method: 'MTN_MOMO_LBR',
      provider_transaction_id: 'pp_123',
      completed_at: paid,
    },
    account_name: 'Amara MTN Wallet',
    items: [{ id: 1, source_id: 101, name: 'Session', currency: 'USD', qty: 3, unit_amount_minor: 1999n, created_at: created, updated_at: created }],
    ...over,
  };
}

describe('receipt mapping', () => {
  it('maps the source, counterparty, execution and account into InvoiceReceiptResponse', () => {
    assert.deepEqual(buildReceipt(SOURCE_KINDS.INVOICE, input()), {
      invoice_id: 101,
      invoice_number: 'INV-2026-00042',
      currency: 'USD',
      total_amount: 59.97,
      status: 'PAID',
      note: 'Consulting',
      due_date: new Date('2026-12-31T23:59:59.000Z'),
      as_payment_link: true,
      fee_bearer: 'PAYER',
      owner_id: 1,
      owner_type: 'ORGANIZATION',
      created_at: created,
      reference_id: 'order-1042',
      paid_at: paid,
      counterparty_id: 15,
      relationship_type: 'CUSTOMER',
      counterparty_name: 'Amara Kamara',
      counterparty_phone: '231771234567',
      counterparty_email: 'amara@example.com',
      payer_amount: 11950,
      payer_currency: 'LRD',
      payee_amount: 59.97,
      payee_currency: 'USD',
      platform_fee: 0.9,
      platform_currency: 'USD',
      gateway_fee: 1.2,
      gateway_currency: 'USD',
      fx_fee: 0.31,
      fx_rate: '192.5',
      fx_currency_from: 'USD',
      fx_currency_to: 'LRD',
      payment_provider: 'PAWAPAY',
      payment_method: 'MTN_MOMO_LBR',
      account_name: 'Amara MTN Wallet',
      gateway_confirmed_at: paid,
      provider_transaction_id: 'pp_123',
      items: [{ id: 1, name: 'Session', qty: 3, amount: 19.99, currency: 'USD' }],
    });
  });

  it('names order fields and leaves out the due date', () => {
    const r = buildReceipt(SOURCE_KINDS.ORDER, input({ source: { ...input().source, number: 'ORD-2026-00001' } }));
    assert.equal(r.order_id, 101);
    assert.equal(r.order_number, 'ORD-2026-00001');
    assert.ok(!('due_date' in r) && !('invoice_id' in r));
  });

  it('shows no FX fee or rate without a conversion, and a null gateway fee without its currency', () => {
    const x = { ...input().execution, payer_currency: 'USD', payer_amount_minor: 6207n, fx_fee_minor: 0n, fx_rate: null, fx_currency_from: null, fx_currency_to: null, gateway_fee_minor: 0n, gateway_currency: null };
    const r = buildReceipt(SOURCE_KINDS.INVOICE, input({ execution: x, counterparty: null, party: null, account_name: null }));
    assert.equal(r.fx_rate, null);
    assert.equal(r.fx_fee, null);
    assert.equal(r.gateway_fee, null);
    assert.equal(r.payer_amount, 62.07);
    assert.equal(r.counterparty_name, null);
    assert.equal(r.relationship_type, null);
  });

  it('asserts what a receipt relies on', () => {
    assert.throws(() => buildReceipt(SOURCE_KINDS.INVOICE, input({ source: { ...input().source, status: 'ACTIVE' } })), /assertion/);
    assert.throws(() => buildReceipt(SOURCE_KINDS.INVOICE, input({ items: [] })), /items do not add up/);
    assert.throws(() => buildReceipt(SOURCE_KINDS.INVOICE, input({ execution: { ...input().execution, source_id: 5 } })), /another source/);
    assert.throws(() => buildReceipt(SOURCE_KINDS.INVOICE, input({ execution: { ...input().execution, fx_rate: null } })), /fx fee/);
  });

  it('prints rates exactly without padding', () => {
    assert.equal(normalizeRate('1.0000000000'), '1');
    assert.equal(normalizeRate('0.0052000000'), '0.0052');
    assert.equal(normalizeRate(null), null);
  });
});
