/** Builders for the merchant's objects over HTTP, and small assertions on 422 bodies. */
import assert from 'node:assert/strict';
import type { Api, ApiResponse } from './http.js';

let phoneSeq = 0;
/** A fresh Liberian-looking phone per call (parties match by phone in checkouts). */
export function newPhone(): string {
  phoneSeq += 1;
  return `23177${String(process.pid % 1000).padStart(3, '0')}${String(phoneSeq).padStart(4, '0')}`;
}

export function ok<T = any>(res: ApiResponse<T>, status = 200): T {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  return res.body;
}

/** The 422's `detail` locations, joined with dots ("body.currency"), sorted. */
export function locs(res: ApiResponse): string[] {
  assert.equal(res.status, 422, `expected 422, got ${res.status}: ${res.text}`);
  return (res.body.detail as { loc: (string | number)[] }[]).map((d) => d.loc.join('.')).sort();
}

/** Assert a 422 with exactly one detail item at `loc`; returns its msg. */
export function refusedAt(res: ApiResponse, loc: string, msgPattern?: RegExp): string {
  assert.deepEqual(locs(res), [loc], res.text);
  const msg = res.body.detail[0].msg as string;
  if (msgPattern) assert.match(msg, msgPattern);
  return msg;
}

export function assertNotFound(res: ApiResponse): void {
  assert.equal(res.status, 404, res.text);
  assert.deepEqual(res.body, { detail: 'Not Found' });
}

export async function party(api: Api, body: Record<string, unknown> = {}) {
  return ok(await api.post('/v1/parties/create', { fullname: 'Amara Kamara', phone: newPhone(), ...body }));
}

export async function counterparty(api: Api, body: Record<string, unknown> = {}) {
  const party_id = 'party_id' in body ? body.party_id : (await party(api)).id;
  return ok(await api.post('/v1/counterparties/create', { relationship_type: 'CUSTOMER', ...body, party_id }));
}

export type SourcePath = 'invoices' | 'orders';

export async function source(api: Api, path: SourcePath, body: Record<string, unknown> = {}) {
  const counterparty_id = 'counterparty_id' in body ? body.counterparty_id : (await counterparty(api)).id;
  return ok(
    await api.post(`/v1/${path}/create`, { currency: 'USD', note: 'Consulting', fee_bearer: 'PAYER', as_payment_link: true, ...body, counterparty_id }),
  );
}

export async function addItem(api: Api, path: SourcePath, id: number, body: Record<string, unknown> = {}) {
  return ok(await api.post(`/v1/${path}/${id}/items/add`, { name: 'Strategy Session', currency: 'USD', qty: 1, amount: 250, ...body }));
}

/** A published source with one item of 250 USD (or `item`). */
export async function published(api: Api, path: SourcePath, body: Record<string, unknown> = {}, item: Record<string, unknown> = {}) {
  const s = await source(api, path, body);
  await addItem(api, path, s.id, { currency: s.currency, ...item });
  return ok(await api.put(`/v1/${path}/publish/${s.id}`));
}
