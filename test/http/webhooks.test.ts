/**
 * Signed webhooks: endpoints with a secret shown once, execution.* and source.paid events written
 * with the status change, delivered by the worker to a receiver that verifies the signature, retried
 * with backoff for up to 3 days, logged, replayable; never another merchant's.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ManualClock } from '../../src/clock.js';
import { backends } from '../helpers/backends.js';
import { checkoutSession, collect, msisdn, paymentAccount, publishedInvoice } from '../helpers/fixtures.js';
import { ok, refusedAt } from '../helpers/objects.js';
import { Receiver } from '../helpers/receiver.js';
import { type MerchantFixture, useServer } from '../helpers/server.js';

/** What a merchant's receiver does (and what the SDK's helper does): check the HMAC and the timestamp. */
function verify(header: string, body: string, secret: string, now_s: number, tolerance_s = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isFinite(t) || Math.abs(now_s - t) > tolerance_s) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

for (const backend of backends()) {
  describe(`webhooks [${backend}]`, () => {
    const h = useServer(backend);
    const receiver = new Receiver();
    before(() => receiver.start());
    after(() => receiver.stop());

    async function endpoint(m: MerchantFixture, events?: string[]) {
      return ok(await m.api.post('/v1/webhooks/endpoints', { url: receiver.url, description: 'test', ...(events ? { enabled_events: events } : {}) }));
    }
    const advance = async (ms: number) => {
      (h.clock as ManualClock).advance(ms);
      await h.server.worker.runOnce();
    };

    it('signs and delivers execution.processing, execution.completed and source.paid for a MoMo collection', async () => {
      const m = await h.merchant();
      const ep = await endpoint(m);
      assert.match(ep.secret, /^whsec_/);
      assert.deepEqual(ep.enabled_events, ['*']);
      const listed = ok(await m.api.get('/v1/webhooks/endpoints'));
      assert.equal(listed.length, 1);
      assert.ok(!('secret' in listed[0]), 'the secret is shown once');

      receiver.received.length = 0;
      const inv = await publishedInvoice(m);
      const ref = randomUUID();
      ok(await collect(m, await checkoutSession(m, inv), await paymentAccount(m, { number: msisdn('001') }), 'USD', ref));
      await h.server.worker.runOnce();
      await advance(16_000); // the carrier's callback is due; the worker delivers it and the new events
      await h.server.worker.runOnce();
      const types = receiver.received.map((r) => r.json.type);
      assert.deepEqual(types, ['execution.processing', 'execution.completed', 'source.paid']);
      const now_s = Math.floor(h.clock.now().getTime() / 1000);
      for (const r of receiver.received) {
        assert.ok(verify(String(r.headers['dollr-signature']), r.body, ep.secret, now_s), 'signature verifies');
        assert.ok(!verify(String(r.headers['dollr-signature']), r.body + ' ', ep.secret, now_s), 'a tampered body does not');
        assert.match(String(r.headers['dollr-event-id']), /^evt_\d+$/);
      }
      const completed = receiver.received[1]!.json;
      assert.equal(completed.data.reference_id, ref);
      assert.equal(completed.data.status, 'COMPLETED');
      assert.equal(receiver.received[2]!.json.data.source_id, inv.id);
      const deliveries = ok(await m.api.get(`/v1/webhooks/endpoints/${ep.id}/deliveries`));
      assert.equal(deliveries.length, 3);
      assert.ok(deliveries.every((d: any) => d.status === 'succeeded' && d.attempts === 1 && d.last_status_code === 200));
    });

    it('retries a failing endpoint with backoff, logs every attempt, and replays on request', async () => {
      const m = await h.merchant();
      const ep = await endpoint(m, ['execution.completed']);
      receiver.received.length = 0;
      receiver.plan.push(500, 503);
      ok(await collect(m, await checkoutSession(m, await publishedInvoice(m)), await paymentAccount(m, { number: msisdn('000') })));
      await h.server.worker.runOnce();
      let [d] = ok(await m.api.get(`/v1/webhooks/endpoints/${ep.id}/deliveries`));
      assert.equal(d.status, 'pending');
      assert.equal(d.attempts, 1);
      assert.equal(d.last_status_code, 500);
      await advance(5_000);
      assert.equal(receiver.received.length, 1, 'not before the backoff');
      await advance(6_000);
      await advance(61_000);
      [d] = ok(await m.api.get(`/v1/webhooks/endpoints/${ep.id}/deliveries`));
      assert.equal(d.status, 'succeeded');
      assert.equal(d.attempts, 3);
      const attempts = ok(await m.api.get(`/v1/webhooks/deliveries/${d.id}/attempts`));
      assert.deepEqual(attempts.map((a: any) => a.status_code), [200, 503, 500]);
      assert.equal(receiver.received.length, 3);
      assert.equal(new Set(receiver.received.map((r) => r.json.id)).size, 1, 'the same event each time');

      ok(await m.api.post(`/v1/webhooks/deliveries/${d.id}/replay`));
      await h.server.worker.runOnce();
      assert.equal(receiver.received.length, 4);
    });

    it('gives up after 3 days of failures, with a bounded number of attempts', async () => {
      const m = await h.merchant();
      const ep = await endpoint(m, ['execution.completed']);
      receiver.received.length = 0;
      receiver.plan.push(...Array(100).fill(500));
      ok(await collect(m, await checkoutSession(m, await publishedInvoice(m)), await paymentAccount(m, { number: msisdn('000') })));
      await h.server.worker.runOnce();
      for (let i = 0; i < 40; i++) await advance(3 * 3600_000);
      const token = ok(await h.anon.post('/v1/jwt/client/obtain/token', { client_id: m.client_id, client_secret: m.client_secret })).access_token;
      const [d] = ok(await m.api.withToken(token).get(`/v1/webhooks/endpoints/${ep.id}/deliveries`));
      assert.equal(d.status, 'failed');
      assert.ok(d.attempts >= 10 && d.attempts <= 20, `attempts ${d.attempts}`);
      assert.equal(receiver.received.length, d.attempts);
      receiver.plan.length = 0;
    });

    it('delivers nothing to deleted endpoints; another merchant cannot see or replay', async () => {
      const m = await h.merchant();
      const other = await h.merchant();
      const ep = await endpoint(m);
      refusedAt(await m.api.post('/v1/webhooks/endpoints', { url: 'ftp://x.example/hook' }), 'body.url');
      refusedAt(await m.api.post('/v1/webhooks/endpoints', { url: receiver.url, enabled_events: ['execution.done'] }), 'body.enabled_events.0');
      assert.equal((await other.api.get(`/v1/webhooks/endpoints/${ep.id}/deliveries`)).status, 404);
      assert.equal((await other.api.delete(`/v1/webhooks/endpoints/${ep.id}`)).status, 404);
      ok(await m.api.delete(`/v1/webhooks/endpoints/${ep.id}`));
      receiver.received.length = 0;
      ok(await collect(m, await checkoutSession(m, await publishedInvoice(m)), await paymentAccount(m, { number: msisdn('000') })));
      await h.server.worker.runOnce();
      assert.equal(receiver.received.length, 0);
      assert.deepEqual(ok(await m.api.get('/v1/webhooks/endpoints')), []);
    });
  });
}
