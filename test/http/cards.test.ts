/**
 * Card collections through the Stripe-like sandbox: confirm with a test card, 3D Secure challenge
 * (complete, fail, then declined), declines, an unconfirmed payment expiring, and a card refund.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ManualClock } from '../../src/clock.js';
import { reconcileDue } from '../../src/jobs/reconcile.js';
import { backends } from '../helpers/backends.js';
import { checkoutSession, collect, inMinutes, paymentAccount, publishedInvoice } from '../helpers/fixtures.js';
import { ok, refusedAt } from '../helpers/objects.js';
import { type MerchantFixture, useServer } from '../helpers/server.js';

for (const backend of backends()) {
  describe(`card sandbox [${backend}]`, () => {
    const h = useServer(backend);

    async function cardPayment(m: MerchantFixture) {
      const inv = await publishedInvoice(m, { items: [{ amount: 42 }] });
      const card = await paymentAccount(m, { method: 'CREDIT_CARD' });
      const ref = randomUUID();
      const res = await collect(m, await checkoutSession(m, inv), card, 'USD', ref);
      const body = ok(res);
      assert.equal(body.requires_action, true);
      return { inv, ref, client_secret: body.client_secret as string, payment_intent_id: Number(res.headers.get('x-payment-intent-id')) };
    }
    const confirm = (client_secret: string, payment_method: string) => h.anon.post('/sandbox/cards/confirm', { client_secret, payment_method });

    it('succeeds with a plain test card: the execution completes and the invoice is PAID', async () => {
      const m = await h.merchant();
      const p = await cardPayment(m);
      const intent = ok(await confirm(p.client_secret, 'pm_card_visa'));
      assert.equal(intent.status, 'succeeded');
      assert.equal(intent.amount, ok(await m.api.get(`/v1/status/collection/${p.ref}`)).payer_amount.toFixed(2));
      const status = ok(await m.api.get(`/v1/status/collection/${p.ref}`));
      assert.equal(status.status, 'COMPLETED');
      assert.equal(status.requires_action, false);
      assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: p.inv.id })).status, 'PAID');
      const again = ok(await confirm(p.client_secret, 'pm_card_chargeDeclined'));
      assert.equal(again.status, 'succeeded', 'a settled intent does not change');
    });

    it('fails on a declined card by number, and reopens the invoice', async () => {
      const m = await h.merchant();
      const p = await cardPayment(m);
      const intent = ok(await confirm(p.client_secret, '4000 0000 0000 9995'));
      assert.equal(intent.status, 'requires_payment_method');
      assert.equal(intent.last_payment_error.code, 'insufficient_funds');
      const status = ok(await m.api.get(`/v1/status/collection/${p.ref}`));
      assert.equal(status.status, 'FAILED');
      assert.match(status.gateway_message, /insufficient_funds/);
      assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: p.inv.id })).status, 'ACTIVE');
    });

    it('asks for 3D Secure, serves the challenge page, and completes after authentication', async () => {
      const m = await h.merchant();
      const p = await cardPayment(m);
      const intent = ok(await confirm(p.client_secret, 'pm_card_threeDSecure2Required'));
      assert.equal(intent.status, 'requires_action');
      assert.equal(intent.next_action.type, 'redirect_to_url');
      const url = new URL(intent.next_action.redirect_to_url.url);
      const page = await h.anon.get(url.pathname);
      assert.equal(page.status, 200);
      assert.match(page.text, /Complete authentication/);
      assert.equal(ok(await m.api.get(`/v1/status/collection/${p.ref}`)).status, 'PROCESSING');
      const done = ok(await h.anon.post(url.pathname, { result: 'complete' }));
      assert.equal(done.status, 'succeeded');
      assert.equal(ok(await m.api.get(`/v1/status/collection/${p.ref}`)).status, 'COMPLETED');
      const form = await h.anon.request('POST', url.pathname, { raw: 'result=complete', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(form.status, 409, 'no second authentication');
    });

    it('fails when authentication fails, and when the card is declined after it', async () => {
      const m = await h.merchant();
      const a = await cardPayment(m);
      const ia = ok(await confirm(a.client_secret, 'pm_card_authenticationRequired'));
      const failed = ok(await h.anon.post(new URL(ia.next_action.redirect_to_url.url).pathname, { result: 'fail' }));
      assert.equal(failed.last_payment_error.code, 'authentication_failed');
      assert.equal(ok(await m.api.get(`/v1/status/collection/${a.ref}`)).status, 'FAILED');

      const b = await cardPayment(m);
      const ib = ok(await confirm(b.client_secret, 'pm_card_threeDSecureRequiredChargeDeclined'));
      const redirected = await h.anon.request('POST', new URL(ib.next_action.redirect_to_url.url).pathname, {
        raw: `result=complete&return_url=${encodeURIComponent('https://shop.example/after')}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        redirect: 'manual',
      });
      assert.equal(redirected.status, 303);
      assert.equal(redirected.headers.get('location'), 'https://shop.example/after');
      const status = ok(await m.api.get(`/v1/status/collection/${b.ref}`));
      assert.equal(status.status, 'FAILED');
      assert.match(status.gateway_message, /card_declined/);
    });

    it('refuses unknown secrets (404) and unknown cards (422); an unconfirmed payment expires', async () => {
      const m = await h.merchant();
      const p = await cardPayment(m);
      assert.equal((await confirm('pi_0000000000_secret_0000', 'pm_card_visa')).status, 404);
      refusedAt(await confirm(p.client_secret, 'pm_card_nope'), 'body.payment_method', /Unknown test card/);
      (h.clock as ManualClock).advance(31 * 60_000);
      await reconcileDue(h.server.services);
      const status = ok(await m.api.get(`/v1/status/collection/${p.ref}`));
      assert.equal(status.status, 'FAILED');
      assert.match(status.gateway_message, /expired/);
    });

    it('refunds a card payment through the card gateway', async () => {
      const m = await h.merchant();
      const p = await cardPayment(m);
      ok(await confirm(p.client_secret, 'pm_card_mastercard'));
      const s = ok(await m.api.post('/v1/sessions/refund', { original_payment_intent_id: p.payment_intent_id, amount: 42, expires_at: inMinutes(h.clock.now(), 10) }));
      const ref = randomUUID();
      const r = ok(await m.api.post('/v1/executions/refund', { session_id: String(s.id), reference_id: ref }));
      assert.equal(r.status, 'PROCESSING');
      (h.clock as ManualClock).advance(6_000);
      await reconcileDue(h.server.services);
      assert.equal(ok(await m.api.get(`/v1/status/refund/${ref}`)).status, 'COMPLETED');
    });
  });
}
