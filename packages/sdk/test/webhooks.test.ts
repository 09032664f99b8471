/**
 * Webhooks: signature verification (valid, tampered, expired, rotated secrets, malformed headers),
 * and the endpoints API end to end — the server's worker delivers to a receiver that verifies with
 * the SDK.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { backends } from '../../../test/helpers/backends.js';
import { msisdn, publishedInvoice } from '../../../test/helpers/fixtures.js';
import { Receiver } from '../../../test/helpers/receiver.js';
import { useServer } from '../../../test/helpers/server.js';
import { type DollrEvent, DollrNotFoundError, DollrSignatureVerificationError, DollrValidationError, signWebhookPayload, verifyWebhook } from '../src/index.js';
import { sdk } from './helpers.js';

const SECRET = 'whsec_test_0123456789abcdef';
const NOW_S = 1_800_000_000;
const now = () => NOW_S * 1000;
const event = { id: 'evt_1', type: 'execution.completed', created_at: '2027-01-15T08:00:00Z', data: { reference_id: 'r', status: 'COMPLETED', payer_amount: 103.25 } };
const body = JSON.stringify(event);

/** What a server sends, computed independently of the SDK's helper. */
const sign = (secret: string, t: number, payload = body) => createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');

function rejects(fn: () => unknown, reason: DollrSignatureVerificationError['reason']) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DollrSignatureVerificationError, String(e));
    assert.equal(e.reason, reason);
    return true;
  });
}

describe('verifyWebhook', () => {
  it('accepts a valid signature and returns the parsed event (string or bytes)', () => {
    const header = `t=${NOW_S},v1=${sign(SECRET, NOW_S)}`;
    const e = verifyWebhook({ payload: body, header, secret: SECRET, now });
    assert.deepEqual(e, event);
    assert.deepEqual(verifyWebhook({ payload: Buffer.from(body), header, secret: SECRET, now }), event);
    assert.equal(signWebhookPayload(SECRET, body, NOW_S), header, 'the helper signs as the server does');
  });

  it('refuses a tampered body, a wrong secret, and a signature for another timestamp', () => {
    const header = `t=${NOW_S},v1=${sign(SECRET, NOW_S)}`;
    rejects(() => verifyWebhook({ payload: body.replace('103.25', '1003.25'), header, secret: SECRET, now }), 'no_matching_signature');
    rejects(() => verifyWebhook({ payload: body, header, secret: 'whsec_other', now }), 'no_matching_signature');
    rejects(() => verifyWebhook({ payload: body, header: `t=${NOW_S - 1},v1=${sign(SECRET, NOW_S)}`, secret: SECRET, now }), 'no_matching_signature');
    rejects(() => verifyWebhook({ payload: body, header: `t=${NOW_S},v1=${'0'.repeat(64)}`, secret: SECRET, now }), 'no_matching_signature');
    rejects(() => verifyWebhook({ payload: body, header: `t=${NOW_S},v1=abc`, secret: SECRET, now }), 'no_matching_signature');
  });

  it('refuses timestamps outside the tolerance (default 300 s, either side), and honours a custom one', () => {
    const old = NOW_S - 301;
    rejects(() => verifyWebhook({ payload: body, header: `t=${old},v1=${sign(SECRET, old)}`, secret: SECRET, now }), 'timestamp_out_of_tolerance');
    const future = NOW_S + 301;
    rejects(() => verifyWebhook({ payload: body, header: `t=${future},v1=${sign(SECRET, future)}`, secret: SECRET, now }), 'timestamp_out_of_tolerance');
    const edge = NOW_S - 300;
    assert.ok(verifyWebhook({ payload: body, header: `t=${edge},v1=${sign(SECRET, edge)}`, secret: SECRET, now }));
    assert.ok(verifyWebhook({ payload: body, header: `t=${old},v1=${sign(SECRET, old)}`, secret: SECRET, now, toleranceSeconds: 600 }));
  });

  it('passes during a rotation: several v1 values in the header, or several secrets on the receiver', () => {
    const header = `t=${NOW_S},v1=${sign('whsec_new', NOW_S)},v1=${sign(SECRET, NOW_S)}`;
    assert.ok(verifyWebhook({ payload: body, header, secret: SECRET, now }), 'the old secret matches the second v1');
    assert.ok(verifyWebhook({ payload: body, header, secret: 'whsec_new', now }), 'the new secret matches the first v1');
    const single = `t=${NOW_S},v1=${sign(SECRET, NOW_S)}`;
    assert.ok(verifyWebhook({ payload: body, header: single, secret: ['whsec_new', SECRET], now }));
    rejects(() => verifyWebhook({ payload: body, header, secret: ['whsec_a', 'whsec_b'], now }), 'no_matching_signature');
    assert.equal(signWebhookPayload(['whsec_new', SECRET], body, NOW_S), header);
  });

  it('names what is wrong with a missing or malformed header, or a body that is not an event', () => {
    rejects(() => verifyWebhook({ payload: body, header: undefined, secret: SECRET, now }), 'missing_header');
    rejects(() => verifyWebhook({ payload: body, header: '', secret: SECRET, now }), 'missing_header');
    rejects(() => verifyWebhook({ payload: body, header: `v1=${sign(SECRET, NOW_S)}`, secret: SECRET, now }), 'malformed_header');
    rejects(() => verifyWebhook({ payload: body, header: `t=soon,v1=${sign(SECRET, NOW_S)}`, secret: SECRET, now }), 'malformed_header');
    rejects(() => verifyWebhook({ payload: body, header: `t=${NOW_S}`, secret: SECRET, now }), 'malformed_header');
    const notEvent = '{"hello":"world"}';
    rejects(() => verifyWebhook({ payload: notEvent, header: `t=${NOW_S},v1=${sign(SECRET, NOW_S, notEvent)}`, secret: SECRET, now }), 'invalid_payload');
    const notJson = 'not json';
    rejects(() => verifyWebhook({ payload: notJson, header: `t=${NOW_S},v1=${sign(SECRET, NOW_S, notJson)}`, secret: SECRET, now }), 'invalid_payload');
    assert.throws(() => verifyWebhook({ payload: body, header: 't=1,v1=00', secret: '' }), TypeError);
  });
});

for (const backend of backends()) {
  describe(`webhook endpoints through the SDK [${backend}]`, () => {
    const h = useServer(backend);
    const receiver = new Receiver();
    before(() => receiver.start());
    after(() => receiver.stop());

    it('creates an endpoint (secret shown once), receives signed events that verifyWebhook accepts, lists, replays, deletes', async () => {
      const m = await h.merchant();
      const dollr = sdk(h, m);
      const ep = await dollr.webhooks.endpoints.create({ url: receiver.url, description: 'sdk test', enabled_events: ['execution.completed', 'source.paid'] });
      assert.match(ep.secret, /^whsec_/);
      const listed = await dollr.webhooks.endpoints.list();
      assert.deepEqual(listed.map((e) => e.id), [ep.id]);
      assert.ok(!('secret' in listed[0]!));
      await assert.rejects(dollr.webhooks.endpoints.create({ url: 'not a url' }), DollrValidationError);

      receiver.received.length = 0;
      const inv = await publishedInvoice(m, { items: [{ amount: 42 }] });
      const session = await dollr.sessions.checkout({ source_id: inv.id, source_type: 'INVOICE' });
      const party = await dollr.parties.create({ fullname: 'Payer', phone: msisdn('000') });
      const account = await dollr.paymentAccounts.create('COLLECTION', {
        account_name: 'MoMo', provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', party_id: party.id, insensitive_account_number: party.phone,
      });
      const exec = await dollr.executions.collection({ session_id: session.id, payment_account_id: account.id, currency: 'USD' });
      assert.equal(exec.status, 'COMPLETED');
      await h.server.worker.runOnce();

      const now = () => h.clock.now().getTime();
      const events = receiver.received.map((r) => verifyWebhook<DollrEvent>({ payload: r.body, header: String(r.headers['dollr-signature']), secret: ep.secret, now }));
      assert.deepEqual(events.map((e) => e.type), ['execution.completed', 'source.paid']);
      for (const e of events) {
        if (e.type === 'source.paid') assert.equal(e.data.source_id, inv.id);
        else assert.equal(e.data.reference_id, exec.reference_id);
      }
      const raw = receiver.received[0]!;
      assert.throws(
        () => verifyWebhook({ payload: raw.body, header: String(raw.headers['dollr-signature']), secret: ep.secret, now: () => now() + 301_000 }),
        DollrSignatureVerificationError,
        'a delivery replayed by an attacker six minutes later is refused',
      );

      const deliveries = await dollr.webhooks.endpoints.deliveries(ep.id);
      assert.equal(deliveries.length, 2);
      assert.ok(deliveries.every((d) => d.status === 'succeeded'));
      const all = [];
      for await (const d of dollr.webhooks.endpoints.deliveriesAll(ep.id, { limit: 1 })) all.push(d.id);
      assert.deepEqual(all, deliveries.map((d) => d.id));
      const attempts = await dollr.webhooks.deliveries.attempts(deliveries[0]!.id);
      assert.equal(attempts[0]!.status_code, 200);

      receiver.received.length = 0;
      await dollr.webhooks.deliveries.replay(deliveries[0]!.id);
      await h.server.worker.runOnce();
      assert.equal(receiver.received.length, 1);
      assert.equal(receiver.received[0]!.json.id, `evt_${deliveries[0]!.event_id}`, 'the replay is the same event (dedupe on its id)');
      assert.ok(events.some((e) => e.id === receiver.received[0]!.json.id));

      assert.deepEqual(await dollr.webhooks.endpoints.delete(ep.id), {});
      assert.deepEqual(await dollr.webhooks.endpoints.list(), []);
      await assert.rejects(dollr.webhooks.endpoints.delete(ep.id), DollrNotFoundError);
    });
  });
}
