/**
 * Money fixtures, created through the public API (builders for parties, counterparties and
 * sources live in objects.ts): payment accounts on magic sandbox numbers, sessions, executions.
 */
import { randomUUID } from 'node:crypto';
import type { Api } from './http.js';
import { addItem, ok, party, source } from './objects.js';
import type { MerchantFixture } from './server.js';

export interface Invoice {
  id: number;
  number: string;
  currency: string;
  total_amount: number;
  source_type: 'INVOICE' | 'ORDER';
}

let seq = 0;
/** A Liberian MTN number (231 88…) ending in a sandbox magic suffix (README: magic numbers). */
export function msisdn(suffix = '000', prefix = '23188'): string {
  seq = (seq + 1) % 10_000;
  return `${prefix}${String((process.pid * 7 + seq) % 10_000).padStart(4, '0')}${suffix}`;
}

/** A published invoice (or order) whose items are `items` (unit amounts in major units). */
export async function publishedInvoice(
  m: MerchantFixture,
  opts: { currency?: string; items?: { amount: number; qty?: number }[]; fee_bearer?: 'PAYER' | 'PAYEE'; kind?: 'invoices' | 'orders'; counterparty_id?: number } = {},
): Promise<Invoice> {
  const kind = opts.kind ?? 'invoices';
  const currency = opts.currency ?? 'USD';
  const s = await source(m.api, kind, { currency, fee_bearer: opts.fee_bearer ?? 'PAYER', ...(opts.counterparty_id ? { counterparty_id: opts.counterparty_id } : {}) });
  for (const item of opts.items ?? [{ amount: 100 }]) await addItem(m.api, kind, s.id, { currency, qty: item.qty ?? 1, amount: item.amount });
  const p = ok(await m.api.put(`/v1/${kind}/publish/${s.id}`));
  return { id: s.id, number: p.invoice_number ?? p.order_number, currency, total_amount: p.total_amount, source_type: kind === 'invoices' ? 'INVOICE' : 'ORDER' };
}

export async function paymentAccount(
  m: MerchantFixture,
  opts: { party_id?: number; number?: string; method?: string; provider?: string; operation?: 'COLLECTION' | 'PAYOUT' | 'REFUND' | 'TRANSFER' } = {},
): Promise<number> {
  const method = opts.method ?? 'MTN_MOMO_LBR';
  const isCard = method === 'CREDIT_CARD';
  const number = opts.number ?? msisdn('000');
  const party_id = opts.party_id ?? (await party(m.api, isCard ? {} : { phone: number })).id;
  const body = {
    account_name: isCard ? 'Customer Card' : 'MoMo wallet',
    provider: opts.provider ?? (isCard ? 'STRIPE' : 'PAWAPAY'),
    method,
    party_id,
    ...(isCard ? {} : { country_code: method.endsWith('_RWA') ? 'RW' : 'LR', insensitive_account_number: number }),
  };
  return ok(await m.api.post('/v1/payment-accounts/create', body, { operation_type: opts.operation ?? 'COLLECTION' })).id;
}

export async function checkoutSession(m: MerchantFixture, inv: Invoice): Promise<number> {
  return ok(await m.api.post('/v1/sessions/checkout', { source_id: inv.id, source_type: inv.source_type })).id;
}

export function collect(m: MerchantFixture, session_id: number, account_id: number, currency = 'USD', reference_id: string = randomUUID()) {
  return m.api.post('/v1/executions/collection', { session_id: String(session_id), payment_account_id: String(account_id), currency, reference_id });
}

/** A completed collection on an instant sandbox number; returns its payment intent id and response. */
export async function completedCollection(m: MerchantFixture, opts: { amount?: number; currency?: string; pay_in?: string } = {}) {
  const inv = await publishedInvoice(m, { currency: opts.currency ?? 'USD', items: [{ amount: opts.amount ?? 100 }] });
  const account = await paymentAccount(m, { number: msisdn('000') });
  const res = await collect(m, await checkoutSession(m, inv), account, opts.pay_in ?? inv.currency);
  const body = ok(res);
  if (body.status !== 'COMPLETED') throw new Error(`instant collection ended ${body.status}: ${res.text}`);
  return { invoice: inv, account, response: body, payment_intent_id: Number(res.headers.get('x-payment-intent-id')) };
}

export function passcodeBody(m: MerchantFixture, code = m.passcode) {
  return {
    token: { code, phone: m.phone },
    device: { name: 'Payout Server', type: 'SERVER', platform: 'NODE', user_agent: 'tests/1.0', client_ip: '203.0.113.10' },
  };
}

export async function payoutSession(m: MerchantFixture, account_id: number, amount: number, currency = 'USD'): Promise<number> {
  return ok(await m.api.post('/v1/sessions/payout', { payout_account_id: account_id, amount, currency })).id;
}

export function payout(m: MerchantFixture, session_id: number, account_id: number, reference_id: string = randomUUID(), code?: string) {
  return m.api.post('/v1/executions/payout', { session_id: String(session_id), payout_account_id: String(account_id), reference_id, passcode: passcodeBody(m, code) });
}

export interface WalletBody {
  id: number;
  currency: string;
  available_balance: number;
  pending_balance: number;
}

export async function wallet(api: Api, currency: string): Promise<WalletBody> {
  const list = ok<WalletBody[]>(await api.get('/v1/wallets'));
  const w = list.find((x) => x.currency === currency);
  if (!w) throw new Error(`no ${currency} wallet`);
  return w;
}

export function inMinutes(clockNow: Date, minutes: number): string {
  return new Date(clockNow.getTime() + minutes * 60_000).toISOString();
}

