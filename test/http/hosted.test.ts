/**
 * The hosted checkout's payer-facing JSON API and pages over HTTP: the summary, server-side quotes,
 * paying by MoMo and card (the server creates session, account and collection), the idempotency of
 * the page's reference_id, states that cannot be paid, scoping by token, escaping and the IP limit.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/store/db.js';
import type { ManualClock } from '../../src/clock.js';
import { backends } from '../helpers/backends.js';
import { msisdn } from '../helpers/fixtures.js';
import { hostedCheckout, hostedPay } from '../helpers/hosted.js';
import { assertNotFound, ok, refusedAt } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

const SOURCE_PREDICTION = '/v1/predictions/payment-source/amount-and-fees';

for (const backend of backends()) {
  describe(`hosted checkout API [${backend}]`, () => {
    const h = useServer(backend);

    it('summarises the source for the page and serves the page at /checkout and /pay', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m, { items: [{ name: 'Strategy Session', amount: 19.99 }, { name: 'Report', amount: 40 }] });
      const s = ok(await h.anon.get(`/hosted/${c.token}`));
      assert.match(s.merchant_name, /^Test Merchant/);
      assert.equal(s.number, c.source_number);
      assert.equal(s.total_amount, '59.99');
      assert.equal(s.currency, 'USD');
      assert.deepEqual(s.items.map((i: any) => [i.name, i.qty, i.amount]), [['Strategy Session', 1, '19.99'], ['Report', 1, '40.00']]);
      assert.equal(s.state, 'payable');
      assert.equal(s.message, null);
      assert.equal(s.success_url, 'https://shop.example/success');
      assert.equal(s.cancel_url, 'https://shop.example/cancel');
      assert.equal(s.receipt_url, null);
      assert.deepEqual(s.options.card_currencies, ['USD']);
      assert.deepEqual(s.options.momo.map((x: any) => [x.country, x.currencies]), [['LR', ['USD', 'LRD']], ['RW', ['RWF']]]);

      for (const path of [new URL(c.url).pathname, `/pay/${c.token}`]) {
        const page = await h.anon.get(path);
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-type') ?? '', /text\/html/);
        assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
        assert.equal(page.headers.get('x-frame-options'), 'DENY');
        assert.match(page.text, /Strategy Session/);
        assert.match(page.text, /<script src="\/assets\/checkout\.js\?v=[0-9a-f]{12}" defer><\/script>/);
      }
      const script = await h.anon.get('/assets/checkout.js');
      assert.equal(script.status, 200);
      assert.match(script.headers.get('content-type') ?? '', /javascript/);

      assertNotFound(await h.anon.get(`/hosted/${'A'.repeat(32)}`));
      const missing = await h.anon.get(`/checkout/${'A'.repeat(32)}`);
      assert.equal(missing.status, 404);
      assert.match(missing.text, /Payment link not found/);
    });

    it('quotes on the server exactly as the predictions API does, per currency and method', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m, { items: [{ name: 'Item', amount: 100 }] });
      for (const [currency, method, provider] of [
        ['USD', 'MTN_MOMO_LBR', 'PAWAPAY'],
        ['LRD', 'ORANGE_MONEY_LBR', 'PAWAPAY'],
        ['USD', 'CREDIT_CARD', 'STRIPE'],
      ] as const) {
        const q = ok(await h.anon.get(`/hosted/${c.token}/quote`, { currency, method }));
        const p = ok(await m.api.get(SOURCE_PREDICTION, { source_type: 'INVOICE', source_id: c.source_id, target_currency: currency, payment_method: method, provider }));
        assert.equal(q.payer_amount, p.payer_amount, `${currency} ${method}`);
        assert.equal(q.payer_currency, currency);
        assert.equal(q.payee_amount, '100.00');
      }
      const lrd = ok(await h.anon.get(`/hosted/${c.token}/quote`, { currency: 'LRD', method: 'MTN_MOMO_LBR' }));
      assert.equal(lrd.fx_rate, '189.75');
      refusedAt(await h.anon.get(`/hosted/${c.token}/quote`, { currency: 'LRD', method: 'CREDIT_CARD' }), 'query.currency', /CREDIT_CARD pays in USD/);
      refusedAt(await h.anon.get(`/hosted/${c.token}/quote`, { currency: 'RWF', method: 'MTN_MOMO_LBR' }), 'query.currency');
      refusedAt(await h.anon.get(`/hosted/${c.token}/quote`, { currency: 'USD', method: 'WALLET' }), 'query.method');
    });

    it('pays by MoMo: the server creates session, account and collection; the same key is the same attempt', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m);
      const phone = msisdn('000');
      const reference_id = randomUUID();
      const paid = ok(await hostedPay(h.anon, c.token, { reference_id, phone, currency: 'LRD' }));
      assert.equal(paid.status, 'COMPLETED');
      assert.equal(paid.payer_currency, 'LRD');
      assert.equal(paid.source_status, 'PAID');
      assert.match(paid.receipt_url, new RegExp(`/receipt/${c.token}$`));
      assert.equal(paid.client_secret, null);
      // The merchant sees its own collection under the page's reference_id.
      const status = ok(await m.api.get(`/v1/status/collection/${reference_id}`));
      assert.equal(status.status, 'COMPLETED');
      assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: c.source_id })).status, 'PAID');

      const again = ok(await hostedPay(h.anon, c.token, { reference_id, phone, currency: 'LRD' }));
      assert.equal(again.status, 'COMPLETED', 'same key, same payload: the same attempt');
      refusedAt(await hostedPay(h.anon, c.token, { reference_id, phone: msisdn('000'), currency: 'LRD' }), 'body.reference_id', /different payment/);
      refusedAt(await hostedPay(h.anon, c.token, { phone, currency: 'LRD' }), 'path.token', /is paid/);

      const receipt = await h.anon.get(`/receipt/${c.token}`);
      assert.equal(receipt.status, 200);
      assert.match(receipt.text, /Receipt/);
      assert.match(receipt.text, /LRD/);
      const summary = ok(await h.anon.get(`/hosted/${c.token}`));
      assert.equal(summary.state, 'paid');
    });

    it('concurrent pays with one reference_id are one attempt: one execution, one session used', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m);
      const reference_id = randomUUID();
      const phone = msisdn('001');
      const answers = await Promise.all(Array.from({ length: 6 }, () => hostedPay(h.anon, c.token, { reference_id, phone })));
      for (const a of answers) {
        assert.equal(a.status, 200, a.text);
        assert.equal(a.body.reference_id, reference_id);
        assert.ok(['PENDING', 'PROCESSING'].includes(a.body.status), a.text);
      }
      const [row] = await rows<{ n: number }>(h.database.db, sql`select count(*)::int as n from executions where reference_id = ${reference_id}`);
      assert.equal(Number(row!.n), 1);
      const [used] = await rows<{ n: number }>(h.database.db, sql`select count(*)::int as n from sessions where source_id = ${c.source_id} and status = 'USED'`);
      assert.equal(Number(used!.n), 1);
    });

    it('pays by card: the attempt carries the client_secret for the sandbox confirm', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m);
      const reference_id = randomUUID();
      const started = ok(await hostedPay(h.anon, c.token, { reference_id, method: 'CREDIT_CARD' }));
      assert.equal(started.status, 'PROCESSING');
      assert.equal(started.requires_action, true);
      assert.match(started.client_secret, /^pi_/);
      assert.equal(ok(await h.anon.get(`/hosted/${c.token}`)).state, 'processing');
      ok(await h.anon.post('/sandbox/cards/confirm', { client_secret: started.client_secret, payment_method: 'pm_card_visa' }));
      const done = ok(await h.anon.get(`/hosted/${c.token}/attempts/${reference_id}`));
      assert.equal(done.status, 'COMPLETED');
      assert.equal(done.client_secret, null, 'no secret once it is settled');
      refusedAt(await hostedPay(h.anon, c.token, { method: 'CREDIT_CARD', currency: 'LRD' }), 'body.currency', /cards pay in USD/);
    });

    it('refuses what the payer sends wrong, each on its field', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m);
      refusedAt(await hostedPay(h.anon, c.token, { phone: '23155012345' }), 'body.phone', /Liberia/);
      refusedAt(await hostedPay(h.anon, c.token, { phone: msisdn('000'), method: 'AIRTEL_RWA', currency: 'RWF' }), 'body.method', /does not serve LR/);
      refusedAt(await hostedPay(h.anon, c.token, { phone: msisdn('000'), currency: 'RWF' }), 'body.currency');
      refusedAt(await hostedPay(h.anon, c.token, { method: 'MTN_MOMO_LBR' }), 'body.phone', /field required/);
      refusedAt(await hostedPay(h.anon, c.token, { reference_id: 'not-a-uuid', phone: msisdn('000') }), 'body.reference_id');
      refusedAt(await hostedPay(h.anon, c.token, { phone: msisdn('000'), amount: 0.01 }), 'body.amount');
      const big = await h.anon.post(`/hosted/${c.token}/pay`, { reference_id: randomUUID(), currency: 'USD', phone: msisdn('000'), pad: 'x'.repeat(4096) });
      assert.equal(big.status, 413);
      assert.equal(ok(await h.anon.get(`/hosted/${c.token}`)).state, 'payable', 'nothing was started');
    });

    it('an expired or canceled source shows why and cannot be paid', async () => {
      const m = await h.merchant();
      const expiring = await hostedCheckout(m, { expires_at: new Date(h.clock.now().getTime() + 10 * 60_000).toISOString() });
      (h.clock as ManualClock).advance(11 * 60_000);
      const s = ok(await h.anon.get(`/hosted/${expiring.token}`));
      assert.equal(s.state, 'expired');
      assert.match(s.message, /expired on/);
      refusedAt(await hostedPay(h.anon, expiring.token, { phone: msisdn('000') }), 'path.token', /expired/);
      const page = await h.anon.get(`/checkout/${expiring.token}`);
      assert.match(page.text, /expired on/);
      assert.doesNotMatch(page.text, /id="pay-form"/, 'no payment form on an expired checkout');

      const c = await hostedCheckout(m);
      ok(await m.api.delete(`/v1/invoices/cancel/${c.source_id}`));
      const canceled = ok(await h.anon.get(`/hosted/${c.token}`));
      assert.equal(canceled.state, 'canceled');
      refusedAt(await hostedPay(h.anon, c.token, { phone: msisdn('000') }), 'path.token', /canceled/);
      const noReceipt = await h.anon.get(`/receipt/${c.token}`);
      assert.equal(noReceipt.status, 404);
    });

    it("scopes attempts by token: another source's reference answers 404; the realtime key streams this attempt", async () => {
      const m = await h.merchant();
      const a = await hostedCheckout(m);
      const b = await hostedCheckout(m);
      const reference_id = randomUUID();
      ok(await hostedPay(h.anon, a.token, { reference_id, phone: msisdn('001') }));
      assertNotFound(await h.anon.get(`/hosted/${b.token}/attempts/${reference_id}`));
      assertNotFound(await h.anon.post(`/hosted/${b.token}/attempts/${reference_id}/realtime-key`));
      refusedAt(await hostedPay(h.anon, b.token, { reference_id, phone: msisdn('001') }), 'body.reference_id', /different payment/);
      const key = ok(await h.anon.post(`/hosted/${a.token}/attempts/${reference_id}/realtime-key`));
      assert.equal(key.expires_in, 300);
      const res = await fetch(`${h.baseUrl}${key.stream_url}`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      while (!/"status":"PROCESSING"/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      assert.match(text, /event: status/);
    });

    it('escapes what merchants and payers typed', async () => {
      const m = await h.merchant();
      const c = await hostedCheckout(m, { items: [{ name: '<script>alert(1)</script>', amount: 5 }] });
      const page = await h.anon.get(`/checkout/${c.token}`);
      assert.doesNotMatch(page.text, /<script>alert/);
      assert.match(page.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.match(page.text, /\\u003cscript>alert/, 'the JSON island cannot close its script element');
    });
  });

  describe(`hosted checkout rate limit [${backend}]`, () => {
    const h = useServer(backend, { env: { RATE_LIMIT_IP_PER_MIN: '5' } });

    it('counts hosted pages and calls per IP', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await h.anon.get(`/hosted/${'B'.repeat(32)}`)).status);
      assert.deepEqual(statuses, [404, 404, 404, 404, 404, 429, 429]);
      const page = await h.anon.get(`/checkout/${'B'.repeat(32)}`);
      assert.equal(page.status, 429);
      assert.ok(page.headers.get('retry-after'));
    });
  });
}
