/**
 * Hosted checkout (POST /v1/checkouts/create) and pay/receipt links over HTTP: the docs' example,
 * party and counterparty matching, the one-transaction promise (nothing written on refusal), 403
 * for unverified merchants, and which source statuses each link serves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ManualClock } from '../../src/clock.js';
import { reconcileDue } from '../../src/jobs/reconcile.js';
import { backends } from '../helpers/backends.js';
import { assertNotFound, counterparty, locs, newPhone, ok, published, refusedAt, source } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

const RESPONSE_KEYS = [
  'cancel_url',
  'counterparty_id',
  'currency',
  'due_date',
  'expires_at',
  'hosted_path_or_token',
  'mode',
  'party_id',
  'reference_id',
  'source_checkout_config_id',
  'source_id',
  'source_number',
  'source_status',
  'source_type',
  'success_url',
  'total_amount',
  'url',
];

function docsExample(phone: string): Record<string, unknown> {
  return {
    mode: 'HOSTED',
    source_kind: 'INVOICE',
    party_name: 'Amara Kamara',
    party_phone: phone,
    party_email: 'amara@example.com',
    currency: 'USD',
    items: [{ name: 'Consulting', currency: 'USD', amount: 250 }],
    success_url: 'https://yourstore.com/success',
    cancel_url: 'https://yourstore.com/cancel',
  };
}

for (const backend of backends()) {
  describe(`checkouts [${backend}]`, () => {
    const h = useServer(backend);

    it("creates the docs' hosted checkout: party, counterparty, published invoice, link", async () => {
      const m = await h.merchant();
      const phone = newPhone();
      const res = ok(await m.api.post('/v1/checkouts/create', docsExample(phone)));
      assert.deepEqual(Object.keys(res).sort(), RESPONSE_KEYS);
      assert.equal(res.mode, 'HOSTED');
      assert.equal(res.source_type, 'INVOICE');
      assert.equal(res.source_number, 'INV-2026-00001');
      assert.equal(res.source_status, 'ACTIVE');
      assert.equal(res.total_amount, 250);
      assert.equal(res.currency, 'USD');
      assert.equal(res.source_checkout_config_id, res.source_id);
      assert.match(res.hosted_path_or_token, /^\/checkout\/[A-Za-z0-9_-]{32}$/);
      assert.equal(res.url, `${h.baseUrl}${res.hosted_path_or_token}`);
      assert.equal(res.expires_at, new Date(h.clock.now().getTime() + 24 * 3600_000).toISOString());
      assert.equal(res.success_url, 'https://yourstore.com/success');
      assert.equal(res.cancel_url, 'https://yourstore.com/cancel');
      assert.equal(res.reference_id, null);
      assert.equal(res.due_date, null);

      const invoice = ok(await m.api.get(`/v1/invoices/retrieve/${res.source_id}`));
      assert.equal(invoice.status, 'ACTIVE');
      assert.equal(invoice.fee_bearer, 'PAYER');
      assert.equal(invoice.as_payment_link, true);
      assert.equal(invoice.counterparty_id, res.counterparty_id);
      assert.deepEqual(invoice.invoice_items.map((i: any) => [i.name, i.qty, i.amount, i.currency]), [['Consulting', 1, 250, 'USD']]);
      assert.equal(invoice.counterparty.relationship_type, 'CUSTOMER');
      assert.deepEqual(
        [invoice.counterparty.party.id, invoice.counterparty.party.fullname, invoice.counterparty.party.phone, invoice.counterparty.party.email],
        [res.party_id, 'Amara Kamara', phone, 'amara@example.com'],
      );

      const link = ok(await m.api.get('/v1/links/pay', { source_type: 'INVOICE', source_number: res.source_number }));
      assert.equal(link.url, res.url.replace('/checkout/', '/pay/'), 'the pay link shares the hosted token');
    });

    it('matches the payer by phone and reuses or creates the counterparty', async () => {
      const m = await h.merchant();
      const phone = newPhone();
      const first = ok(await m.api.post('/v1/checkouts/create', docsExample(phone)));
      const again = ok(await m.api.post('/v1/checkouts/create', { ...docsExample(phone), party_name: 'Someone Else' }));
      assert.equal(again.party_id, first.party_id);
      assert.equal(again.counterparty_id, first.counterparty_id);
      assert.equal(again.source_number, 'INV-2026-00002');
      const donor = ok(await m.api.post('/v1/checkouts/create', { ...docsExample(phone), party_relationship: 'DONOR' }));
      assert.equal(donor.party_id, first.party_id);
      assert.notEqual(donor.counterparty_id, first.counterparty_id);
      const cp = await counterparty(m.api, { relationship_type: 'PARTNER' });
      const given = ok(await m.api.post('/v1/checkouts/create', { ...docsExample(phone), counterparty_id: cp.id }));
      assert.equal(given.counterparty_id, cp.id);
      assert.equal(ok(await m.api.get('/v1/parties/list')).filter((p: any) => p.phone === phone).length, 1);

      const bare = newPhone();
      const anonymous = ok(await m.api.post('/v1/checkouts/create', { mode: 'HOSTED', source_kind: 'INVOICE', party_phone: bare, currency: 'USD', items: [{ name: 'x', currency: 'USD', amount: 1 }] }));
      assert.equal(ok(await m.api.get(`/v1/parties/retrieve/${anonymous.party_id}`)).fullname, bare, 'no party_name: the phone names the party');

      const concurrent = newPhone();
      const results = await Promise.all(Array.from({ length: 5 }, () => m.api.post('/v1/checkouts/create', docsExample(concurrent))));
      assert.equal(new Set(results.map((r) => ok(r).party_id)).size, 1, 'concurrent checkouts for a new payer make one party');
      assert.equal(new Set(results.map((r) => ok(r).counterparty_id)).size, 1);
    });

    it('creates orders, DIRECT mode, exact totals, and ignores a due date on orders', async () => {
      const m = await h.merchant();
      const items = [1, 2, 3].map((i) => ({ name: `Line ${i}`, currency: 'USD', amount: 19.99 }));
      const order = ok(
        await m.api.post('/v1/checkouts/create', {
          ...docsExample(newPhone()),
          mode: 'DIRECT',
          source_kind: 'ORDER',
          items,
          due_date: '2026-03-01T00:00:00Z',
          reference_id: 'cart-77',
          note: 'web order',
          expires_at: '2026-01-20T00:00:00Z',
          success_url: null,
        }),
      );
      assert.equal(order.mode, 'DIRECT');
      assert.equal(order.source_type, 'ORDER');
      assert.equal(order.source_number, 'ORD-2026-00001');
      assert.equal(order.total_amount, 59.97);
      assert.equal(order.due_date, null);
      assert.equal(order.reference_id, 'cart-77');
      assert.equal(order.success_url, null);
      assert.equal(order.expires_at, '2026-01-20T00:00:00.000Z');
      const stored = ok(await m.api.get(`/v1/orders/retrieve/${order.source_id}`));
      assert.equal(stored.note, 'web order');
      assert.equal(stored.order_items.length, 3);

      const rwf = ok(await m.api.post('/v1/checkouts/create', { ...docsExample(newPhone()), currency: 'RWF', items: [{ name: 'x', currency: 'RWF', amount: 1500 }] }));
      assert.equal(rwf.total_amount, 1500);
      const invoice = ok(await m.api.post('/v1/checkouts/create', { ...docsExample(newPhone()), due_date: '2026-03-01T00:00:00Z' }));
      assert.equal(invoice.due_date, '2026-03-01T00:00:00.000Z');
    });

    it('refuses every broken field and writes nothing', async () => {
      const a = await h.merchant();
      const b = await h.merchant();
      const ex = docsExample(newPhone());
      const post = (body: Record<string, unknown>) => a.api.post('/v1/checkouts/create', body);
      assert.deepEqual(locs(await post({})), ['body.currency', 'body.items', 'body.mode', 'body.party_phone', 'body.source_kind']);
      refusedAt(await post({ ...ex, mode: 'EMBEDDED' }), 'body.mode', /permitted/);
      refusedAt(await post({ ...ex, source_kind: 'SUBSCRIPTION' }), 'body.source_kind', /SUBSCRIPTION sources are not supported/);
      refusedAt(await post({ ...ex, source_kind: 'RECEIPT' }), 'body.source_kind');
      refusedAt(await post({ ...ex, party_phone: '0771234567' }), 'body.party_phone');
      refusedAt(await post({ ...ex, items: [] }), 'body.items', /at least 1/);
      refusedAt(await post({ ...ex, items: Array.from({ length: 101 }, () => ({ name: 'x', currency: 'USD', amount: 1 })) }), 'body.items', /at most 100/);
      refusedAt(await post({ ...ex, items: [{ name: 'x', currency: 'USD', amount: 1, qty: 2 }] }), 'body.items.0.qty', /extra fields/);
      refusedAt(await post({ ...ex, items: [{ name: 'x', currency: 'USD', amount: 1 }, { name: 'y', currency: 'LRD', amount: 1 }] }), 'body.items.1.currency', /checkout currency USD/);
      refusedAt(await post({ ...ex, items: [{ name: 'x', currency: 'USD', amount: 10.001 }] }), 'body.items.0.amount', /2 decimal places/);
      refusedAt(await post({ ...ex, items: [{ name: 'x', currency: 'USD', amount: 1e12 }, { name: 'y', currency: 'USD', amount: 1 }] }), 'body.items', /total would exceed/);
      refusedAt(await post({ ...ex, expires_at: '2026-01-15T11:59:59Z' }), 'body.expires_at', /in the future/);
      refusedAt(await post({ ...ex, expires_at: '2026-02-15T00:00:00Z' }), 'body.expires_at', /30 days/);
      refusedAt(await post({ ...ex, success_url: 'javascript:alert(1)' }), 'body.success_url');
      refusedAt(await post({ ...ex, party_email: 'not-an-email' }), 'body.party_email');
      refusedAt(await post({ ...ex, party_relationship: 'OTHER' }), 'body.party_relationship');
      refusedAt(await post({ ...ex, counterparty_id: (await counterparty(b.api)).id }), 'body.counterparty_id', /^counterparty not found$/);
      assert.deepEqual(ok(await a.api.get('/v1/parties/list')), [], 'no party written');
      assert.deepEqual(ok(await a.api.get('/v1/counterparties/list')), [], 'no counterparty written');
      assert.deepEqual(ok(await a.api.get('/v1/invoices/list')), [], 'no invoice written');
      assert.equal(ok(await post(ex)).source_number, 'INV-2026-00001', 'refused requests consumed no number');
    });

    it('answers 403 to an unverified merchant', async () => {
      const m = await h.merchant({ verified: false });
      const res = await m.api.post('/v1/checkouts/create', docsExample(newPhone()));
      assert.equal(res.status, 403);
      assert.equal(typeof res.body.detail, 'string');
      assert.deepEqual(ok(await m.api.get('/v1/parties/list')), []);
      assert.equal((await m.api.post('/v1/parties/create', { fullname: 'A', phone: newPhone() })).status, 200, 'other objects stay open');
    });
  });

  describe(`links [${backend}]`, () => {
    const h = useServer(backend);

    it('gives a pay link once published and a receipt link once paid', async () => {
      const m = await h.merchant();
      const draft = await source(m.api, 'invoices');
      const q = { source_type: 'INVOICE', source_number: draft.invoice_number };
      refusedAt(await m.api.get('/v1/links/pay', q), 'query.source_number', /is IDLE; publish it first/);
      await m.api.post(`/v1/invoices/${draft.id}/items/add`, { name: 'x', currency: 'USD', qty: 1, amount: 5 });
      ok(await m.api.put(`/v1/invoices/publish/${draft.id}`));
      const pay = ok(await m.api.get('/v1/links/pay', q));
      assert.match(pay.url, new RegExp(`^${h.baseUrl}/pay/[A-Za-z0-9_-]{32}$`));
      assert.deepEqual(ok(await m.api.get('/v1/links/pay', q)), pay, 'the link is stable');
      refusedAt(await m.api.get('/v1/links/receipt', q), 'query.source_number', /receipt link exists once it is PAID/);

      // A real collection: PROCESSING while the payer approves (number ending 001), then PAID.
      const party_id = ok(await m.api.get(`/v1/invoices/retrieve/${draft.id}`)).counterparty.party.id;
      const account = ok(
        await m.api.post('/v1/payment-accounts/create', { account_name: 'w', provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', party_id, insensitive_account_number: '231881230001' }, { operation_type: 'COLLECTION' }),
      );
      const session = ok(await m.api.post('/v1/sessions/checkout', { source_id: draft.id, source_type: 'INVOICE' }));
      ok(await m.api.post('/v1/executions/collection', { session_id: String(session.id), payment_account_id: String(account.id), currency: 'USD', reference_id: crypto.randomUUID() }));
      assert.deepEqual(ok(await m.api.get('/v1/links/pay', q)), pay, 'still served while a payment is in flight');
      (h.clock as ManualClock).advance(16_000);
      await reconcileDue(h.server.services);
      const receipt = ok(await m.api.get('/v1/links/receipt', q));
      assert.equal(receipt.url, pay.url.replace('/pay/', '/receipt/'));

      const order = await published(m.api, 'orders');
      assert.match(ok(await m.api.get('/v1/links/pay', { source_type: 'ORDER', source_number: order.order_number })).url, /\/pay\//);
      ok(await m.api.delete(`/v1/orders/cancel/${order.id}`));
      refusedAt(await m.api.get('/v1/links/pay', { source_type: 'ORDER', source_number: order.order_number }), 'query.source_number', /CANCELED/);
    });

    it('refuses SUBSCRIPTION, unknown enums and missing parameters; 404 for numbers it cannot see', async () => {
      const a = await h.merchant();
      const b = await h.merchant();
      refusedAt(await a.api.get('/v1/links/pay', { source_type: 'SUBSCRIPTION', source_number: 'SUB-1' }), 'query.source_type', /not supported/);
      refusedAt(await a.api.get('/v1/links/receipt', { source_type: 'SUBSCRIPTION', source_number: 'SUB-1' }), 'query.source_type', /not supported/);
      refusedAt(await a.api.get('/v1/links/pay', { source_type: 'BILL', source_number: 'X' }), 'query.source_type');
      assert.deepEqual(locs(await a.api.get('/v1/links/pay')), ['query.source_number', 'query.source_type']);
      const theirs = await published(b.api, 'invoices');
      assertNotFound(await a.api.get('/v1/links/pay', { source_type: 'INVOICE', source_number: theirs.invoice_number }));
      assertNotFound(await a.api.get('/v1/links/pay', { source_type: 'ORDER', source_number: theirs.invoice_number }));
    });
  });

  describe(`links with PUBLIC_BASE_URL [${backend}]`, () => {
    const h = useServer(backend, { env: { PUBLIC_BASE_URL: 'https://pay.example.test' } });

    it('builds every hosted URL on the configured base', async () => {
      const m = await h.merchant();
      const res = ok(await m.api.post('/v1/checkouts/create', docsExample(newPhone())));
      assert.match(res.url, /^https:\/\/pay\.example\.test\/checkout\//);
      const link = ok(await m.api.get('/v1/links/pay', { source_type: 'INVOICE', source_number: res.source_number }));
      assert.match(link.url, /^https:\/\/pay\.example\.test\/pay\//);
    });
  });
}
