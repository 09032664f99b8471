/** Hosted-checkout fixtures: a checkout created through the API, and the page's JSON calls. */
import { randomUUID } from 'node:crypto';
import type { Api } from './http.js';
import { newPhone, ok } from './objects.js';
import type { MerchantFixture } from './server.js';

export interface HostedCheckout {
  url: string;
  token: string;
  source_id: number;
  source_number: string;
  total_amount: number;
}

export async function hostedCheckout(
  m: MerchantFixture,
  opts: { items?: { name: string; amount: number }[]; currency?: string; success_url?: string | null; cancel_url?: string | null; expires_at?: string; party_name?: string } = {},
): Promise<HostedCheckout> {
  const currency = opts.currency ?? 'USD';
  const body: Record<string, unknown> = {
    mode: 'HOSTED',
    source_kind: 'INVOICE',
    party_name: opts.party_name ?? 'Amara Kamara',
    party_phone: newPhone(),
    currency,
    items: (opts.items ?? [{ name: 'Strategy Session', amount: 59.97 }]).map((i) => ({ ...i, currency })),
    success_url: opts.success_url === undefined ? 'https://shop.example/success' : opts.success_url,
    cancel_url: opts.cancel_url === undefined ? 'https://shop.example/cancel' : opts.cancel_url,
  };
  if (opts.expires_at) body.expires_at = opts.expires_at;
  const res = ok(await m.api.post('/v1/checkouts/create', body));
  return { url: res.url, token: res.hosted_path_or_token.split('/').pop(), source_id: res.source_id, source_number: res.source_number, total_amount: res.total_amount };
}

export function hostedPay(anon: Api, token: string, body: Record<string, unknown>) {
  return anon.post(`/hosted/${token}/pay`, { reference_id: randomUUID(), currency: 'USD', ...body });
}
