/** Webhook signature verification: valid, tampered, expired, rotated secrets, malformed headers. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { DollrSignatureVerificationError, signWebhookPayload, verifyWebhook } from '../src/index.js';

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
