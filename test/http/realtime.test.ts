/**
 * Realtime status: a key scoped to one checkout session and reference_id opens a Server-Sent
 * Events stream that delivers PENDING → PROCESSING → COMPLETED and closes on the final state. Only
 * executions with a key are announced.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ManualClock } from '../../src/clock.js';
import { reconcileDue } from '../../src/jobs/reconcile.js';
import { backends } from '../helpers/backends.js';
import { checkoutSession, collect, msisdn, paymentAccount, publishedInvoice } from '../helpers/fixtures.js';
import { ok, refusedAt } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

/** Read SSE `status` events until the server closes the stream (or `timeout_ms`). */
async function readStream(url: string, onEvent: (e: { status: string }) => Promise<void> | void, timeout_ms = 15_000): Promise<{ status: string }[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeout_ms) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: { status: string }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let idx: number;
    while ((idx = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (block.includes('event: status') && data) {
        const e = JSON.parse(data.slice(6));
        events.push(e);
        await onEvent(e);
      }
    }
  }
  return events;
}

for (const backend of backends()) {
  describe(`realtime [${backend}]`, () => {
    const h = useServer(backend);

    it('streams PENDING → PROCESSING → COMPLETED for a sandbox collection and closes', async () => {
      const m = await h.merchant();
      const inv = await publishedInvoice(m);
      const account = await paymentAccount(m, { number: msisdn('001') });
      const session_id = await checkoutSession(m, inv);
      const ref = randomUUID();
      const key = ok(await m.api.post('/v1/realtime-keys/collection', { session_id, source_type: 'INVOICE', reference_id: ref }));
      assert.equal(key.expires_in, 300);
      const url = `${h.baseUrl}/v1/realtime/collection/${ref}?access_token=${encodeURIComponent(key.access_token)}`;
      let executed = false;
      const stream = readStream(url, async (e) => {
        if (e.status === 'PROCESSING') {
          (h.clock as ManualClock).advance(16_000);
          await reconcileDue(h.server.services);
        }
      });
      await new Promise((r) => setTimeout(r, 200));
      ok(await collect(m, session_id, account, 'USD', ref));
      executed = true;
      const events = await stream;
      assert.ok(executed);
      assert.deepEqual(events.map((e) => e.status), ['PENDING', 'PROCESSING', 'COMPLETED']);
      assert.equal((events[2] as any).reference_id, ref);
    });

    it('announces the changes of watched collections only: a realtime key starts the watch', async () => {
      const m = await h.merchant();
      const inv = await publishedInvoice(m);
      const account = await paymentAccount(m, { number: msisdn('000') });
      const hub = h.server.services.hub;
      const heard = (ref: string) => {
        const statuses: string[] = [];
        const stop = hub.subscribe({ merchant_id: m.merchant_id, operation_type: 'COLLECTION', reference_id: ref }, (n) => statuses.push(n.status))!;
        return { statuses, stop };
      };
      // Without a key: the collection completes and nothing is announced (no pg_notify at all).
      const quiet = randomUUID();
      const q = heard(quiet);
      assert.equal(ok(await collect(m, await checkoutSession(m, inv), account, 'USD', quiet)).status, 'COMPLETED');
      // With a key: its changes are announced, delivered through the database's notifications.
      const inv2 = await publishedInvoice(m);
      const session_id = await checkoutSession(m, inv2);
      const loud = randomUUID();
      const l = heard(loud);
      ok(await m.api.post('/v1/realtime-keys/collection', { session_id, source_type: 'INVOICE', reference_id: loud }));
      assert.equal(ok(await collect(m, session_id, account, 'USD', loud)).status, 'COMPLETED');
      const deadline = Date.now() + 5_000;
      while (!l.statuses.includes('COMPLETED') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(l.statuses, ['PENDING', 'COMPLETED']);
      // Every notice of the first was sent before the second's (one listener, in commit order).
      assert.deepEqual(q.statuses, []);
      q.stop();
      l.stop();
    });

    it('refuses keys for other sessions and other references, and access tokens as keys', async () => {
      const m = await h.merchant();
      const other = await h.merchant();
      const session_id = await checkoutSession(m, await publishedInvoice(m));
      refusedAt(await other.api.post('/v1/realtime-keys/collection', { session_id, source_type: 'INVOICE', reference_id: randomUUID() }), 'body.session_id', /not found/);
      refusedAt(await m.api.post('/v1/realtime-keys/collection', { session_id, source_type: 'ORDER', reference_id: randomUUID() }), 'body.source_type');
      const ref = randomUUID();
      const key = ok(await m.api.post('/v1/realtime-keys/collection', { session_id, source_type: 'INVOICE', reference_id: ref }));
      const wrongRef = await fetch(`${h.baseUrl}/v1/realtime/collection/${randomUUID()}?access_token=${key.access_token}`);
      assert.equal(wrongRef.status, 404);
      const accessToken = await fetch(`${h.baseUrl}/v1/realtime/collection/${ref}?access_token=${m.token}`);
      assert.equal(accessToken.status, 401);
      (h.clock as ManualClock).advance(301_000);
      const expired = await fetch(`${h.baseUrl}/v1/realtime/collection/${ref}?access_token=${key.access_token}`);
      assert.equal(expired.status, 401);
      const keyAsBearer = await fetch(`${h.baseUrl}/v1/wallets`, { headers: { authorization: `Bearer ${key.access_token}` } });
      assert.equal(keyAsBearer.status, 401, 'a realtime key is not an API token');
    });
  });
}
