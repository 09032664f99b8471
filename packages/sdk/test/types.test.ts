/**
 * Compile-time checks of the typed surface (this file is type-checked by `npx tsc -p .`): request
 * bodies, queries and answers come from the generated schema, and wrong values do not compile.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DollrClient, type ExecutionResponse, type Invoice } from '../src/index.js';

async function surface(c: DollrClient) {
  const inv = await c.invoices.create({ counterparty_id: 1, currency: 'USD', note: 'x', fee_bearer: 'PAYER', as_payment_link: true });
  const full: Invoice = await c.invoices.retrieve(inv.id);
  const item = await c.invoices.items.add(inv.id, { name: 'x', currency: 'USD', qty: 1, amount: 1 });
  const receipt = await c.invoices.receiptByNumber('INV-2026-00001');
  // @ts-expect-error fee_bearer is an enum
  await c.invoices.create({ counterparty_id: 1, currency: 'USD', note: 'x', fee_bearer: 'NOPE', as_payment_link: true });
  const e: ExecutionResponse = await c.executions.collection({ session_id: 1, payment_account_id: '2', currency: 'USD' });
  // @ts-expect-error currency is required
  await c.executions.collection({ session_id: 1, payment_account_id: '2' });
  // @ts-expect-error operation_type is an enum
  await c.paymentAccounts.create('SOMETHING', { account_name: 'x', provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', party_id: 1 });
  const wallets = await c.wallets.list();
  const status = await c.status.collection('x');
  for await (const p of c.parties.listAll()) p.fullname satisfies string;
  for await (const i of c.invoices.listAll({ status: 'PAID' })) i.invoice_number satisfies string;
  const order = await c.orders.retrieve(1);
  order.order_number satisfies string;
  const prediction = await c.predictions.amountAndFees({
    base_amount: 10, base_currency: 'USD', target_currency: 'LRD', payment_method: 'MTN_MOMO_LBR', operation_type: 'COLLECTION', provider: 'PAWAPAY', fee_bearer: 'PAYER',
  });
  prediction.payer_amount satisfies string; // prediction amounts are decimal strings
  e.payer_amount satisfies number; // execution amounts are JSON numbers
  const ep = await c.webhooks.endpoints.create({ url: 'https://example.test/hooks' });
  ep.secret satisfies string; // one path, two methods: each call gets its own method's answer
  const eps = await c.call('GET', '/v1/webhooks/endpoints');
  eps.map((x) => x.url) satisfies string[];
  const key = await c.realtimeKeys.collection({ session_id: 1, source_type: 'INVOICE', reference_id: e.reference_id });
  key.expires_in satisfies number;
  return [full, item, receipt, wallets[0]?.available_balance, status.status];
}

it('exposes a typed client (checked at compile time)', () => {
  assert.equal(typeof surface, 'function');
});
