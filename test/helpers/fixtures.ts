/**
 * Business fixtures for money tests, created through the public API: a party and counterparty,
 * a published invoice with items, payment accounts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MerchantFixture } from './server.js';

export interface Invoice {
  id: number;
  number: string;
  currency: string;
  total_amount: number;
  source_type: 'INVOICE' | 'ORDER';
}

let phoneSeq = 0;
/** A Liberian MTN number ending in a sandbox magic suffix (see README: magic numbers). */
export function msisdn(suffix = '000', prefix = '23188'): string {
  phoneSeq = (phoneSeq + 1) % 10_000;
  return `${prefix}${String(phoneSeq).padStart(4, '0')}${suffix}`;
}

export async function party(m: MerchantFixture, phone = msisdn('000')): Promise<number> {
  const res = await m.api.post('/v1/parties/create', { fullname: 'Amara Kamara', phone, email: 'amara@example.com', country_code: 'LR' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id;
}

export async function counterparty(m: MerchantFixture, party_id: number): Promise<number> {
  const res = await m.api.post('/v1/counterparties/create', { relationship_type: 'CUSTOMER', party_id });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id;
}

export async function publishedInvoice(
  m: MerchantFixture,
  opts: { currency?: string; items?: { amount: number; qty?: number }[]; fee_bearer?: 'PAYER' | 'PAYEE'; kind?: 'invoices' | 'orders'; counterparty_id?: number } = {},
): Promise<Invoice> {
  const kind = opts.kind ?? 'invoices';
  const currency = opts.currency ?? 'USD';
  const cp = opts.counterparty_id ?? (await counterparty(m, await party(m)));
  const created = await m.api.post(`/v1/${kind}/create`, { counterparty_id: cp, currency, note: 'test', fee_bearer: opts.fee_bearer ?? 'PAYER', as_payment_link: false });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = created.body.id;
  for (const item of opts.items ?? [{ amount: 100 }]) {
    const added = await m.api.post(`/v1/${kind}/${id}/items/add`, { name: 'Item', currency, qty: item.qty ?? 1, amount: item.amount });
    assert.equal(added.status, 200, JSON.stringify(added.body));
  }
  const published = await m.api.put(`/v1/${kind}/publish/${id}`);
  assert.equal(published.status, 200, JSON.stringify(published.body));
  return {
    id,
    number: published.body.invoice_number ?? published.body.order_number,
    currency,
    total_amount: published.body.total_amount,
    source_type: kind === 'invoices' ? 'INVOICE' : 'ORDER',
  };
}

export async function paymentAccount(
  m: MerchantFixture,
  opts: { party_id?: number; number?: string; method?: string; provider?: string; operation?: 'COLLECTION' | 'PAYOUT' | 'REFUND' | 'TRANSFER' } = {},
): Promise<number> {
  const method = opts.method ?? 'MTN_MOMO_LBR';
  const isCard = method === 'CREDIT_CARD';
  const number = opts.number ?? msisdn('000');
  const party_id = opts.party_id ?? (await party(m, isCard ? msisdn('000') : number));
  const res = await m.api.post(
    '/v1/payment-accounts/create',
    {
      account_name: isCard ? 'Customer Card' : 'MoMo wallet',
      provider: opts.provider ?? (isCard ? 'STRIPE' : 'PAWAPAY'),
      method,
      party_id,
      ...(isCard ? {} : { country_code: method.endsWith('_RWA') ? 'RW' : 'LR', insensitive_account_number: number }),
    },
    { operation_type: opts.operation ?? 'COLLECTION' },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id;
}

export async function checkoutSession(m: MerchantFixture, inv: Invoice): Promise<number> {
  const res = await m.api.post('/v1/sessions/checkout', { source_id: inv.id, source_type: inv.source_type });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id;
}

export function collect(m: MerchantFixture, session_id: number, account_id: number, currency = 'USD', reference_id: string = randomUUID()) {
  return m.api.post('/v1/executions/collection', { session_id: String(session_id), payment_account_id: String(account_id), currency, reference_id });
}

export function passcodeBody(m: MerchantFixture, code = m.passcode) {
  return {
    token: { code, phone: m.phone },
    device: { name: 'Payout Server', type: 'SERVER', platform: 'NODE', user_agent: 'tests/1.0', client_ip: '203.0.113.10' },
  };
}

export async function payoutSession(m: MerchantFixture, account_id: number, amount: number, currency = 'USD'): Promise<number> {
  const res = await m.api.post('/v1/sessions/payout', { payout_account_id: account_id, amount, currency });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id;
}

export function payout(m: MerchantFixture, session_id: number, account_id: number, reference_id: string = randomUUID(), code?: string) {
  return m.api.post('/v1/executions/payout', { session_id: String(session_id), payout_account_id: String(account_id), reference_id, passcode: passcodeBody(m, code) });
}

export async function wallet(m: MerchantFixture, currency: string): Promise<{ id: number; available_balance: number; pending_balance: number }> {
  const res = await m.api.get('/v1/wallets');
  assert.equal(res.status, 200);
  const w = res.body.find((x: { currency: string }) => x.currency === currency);
  assert.ok(w, `a ${currency} wallet`);
  return w;
}
