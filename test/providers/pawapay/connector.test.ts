/**
 * The pawaPay connector over real HTTP: against the simulator (the magic-number table on the v2
 * wire) and against small misbehaving servers (5xx, junk, huge or slow answers, redirects).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock.js';
import { PawapayConnector } from '../../../src/providers/pawapay/connector.js';
import { PawapaySimulator } from '../../../src/providers/pawapay/simulator.js';
import { type CarrierRequest, CarrierUnavailable } from '../../../src/providers/types.js';

const TOKEN = 'sim-token-connector-tests';
// generous for loaded CI machines; the simulator holds a slow answer well past it
const TIMEOUT_MS = 1_000;

let n = 0;
function req(suffix: string, over: Partial<CarrierRequest> = {}): CarrierRequest {
  n++;
  return {
    operation: 'collection',
    idempotency_key: randomUUID(),
    amount_minor: 1230n,
    currency: 'USD',
    method: 'MTN_MOMO_LBR',
    msisdn: `23188${String(n).padStart(4, '0')}${suffix}`,
    description: 'test',
    ...over,
  };
}

async function unavailable(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof CarrierUnavailable && pattern.test(err.message));
}

/** A loopback URL nothing listens on (a port just released). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** A stand-in for pawaPay that answers whatever a test wants. */
async function fakePawapay(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    connector: new PawapayConnector({ base_url: url, api_token: TOKEN, clock: new ManualClock(), timeout_ms: TIMEOUT_MS }),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('pawaPay connector against the simulator', () => {
  const clock = new ManualClock();
  const sim = new PawapaySimulator({ api_token: TOKEN, clock, slow_response_ms: 4_000 });
  let pawapay: PawapayConnector;
  before(async () => {
    pawapay = new PawapayConnector({ base_url: await sim.start(), api_token: TOKEN, clock, timeout_ms: TIMEOUT_MS });
  });
  after(() => sim.close());

  it('collects: ACCEPTED, in flight, then COMPLETED with the operator id', async () => {
    const r = req('001');
    assert.deepEqual(await pawapay.initiate(r), {
      state: 'accepted', provider_transaction_id: r.idempotency_key, message: 'Accepted by pawaPay; waiting for the operator', retry_after_ms: 5000,
    });
    assert.deepEqual(sim.payment('collection', r.idempotency_key)?.payer, { type: 'MMO', accountDetails: { phoneNumber: r.msisdn, provider: 'MTN_MOMO_LBR' } });
    assert.equal(sim.payment('collection', r.idempotency_key)?.amount, '12.30');
    clock.advance(14_999);
    assert.equal((await pawapay.query('collection', r.idempotency_key)).state, 'accepted');
    clock.advance(1);
    const done = await pawapay.query('collection', r.idempotency_key);
    assert.equal(done.state, 'completed');
    assert.match(done.provider_transaction_id!, /^MP[0-9A-F]{12}$/);
  });

  it('pays out and reports failures with pawaPay’s code', async () => {
    const r = req('011', { operation: 'payout' });
    assert.equal((await pawapay.initiate(r)).state, 'accepted');
    clock.advance(5_000);
    assert.deepEqual(await pawapay.query('payout', r.idempotency_key), {
      state: 'failed', provider_transaction_id: r.idempotency_key, failure_code: 'INSUFFICIENT_BALANCE', message: 'INSUFFICIENT_BALANCE: The payer has insufficient balance',
    });
    const declined = req('012');
    assert.deepEqual(await pawapay.initiate(declined), { state: 'failed', failure_code: 'PAYER_NOT_FOUND', message: 'PAYER_NOT_FOUND: The mobile-money account does not exist' });
    assert.equal((await pawapay.initiate(req('012', { operation: 'payout' }))).failure_code, 'RECIPIENT_NOT_FOUND');
  });

  it('refunds a completed deposit, and pawaPay refuses what cannot be refunded', async () => {
    const deposit = req('000', { amount_minor: 1000n });
    assert.equal((await pawapay.initiate(deposit)).state, 'accepted', 'pawaPay never completes inside the initiate call');
    assert.equal((await pawapay.query('collection', deposit.idempotency_key)).state, 'completed');
    const refund = (amount_minor: bigint) => req('', { operation: 'refund', original_key: deposit.idempotency_key, msisdn: undefined, amount_minor });
    const r1 = refund(600n);
    assert.equal((await pawapay.initiate(r1)).state, 'accepted');
    assert.equal((await pawapay.query('refund', r1.idempotency_key)).state, 'completed', 'a refund follows its deposit’s number (000: instant)');
    assert.equal((await pawapay.initiate(refund(401n))).failure_code, 'AMOUNT_TOO_LARGE');
    assert.equal((await pawapay.initiate(refund(400n))).state, 'accepted');
    assert.equal((await pawapay.initiate(refund(1n))).failure_code, 'DEPOSIT_ALREADY_REFUNDED');
    assert.equal((await pawapay.initiate(req('', { operation: 'refund', original_key: randomUUID() }))).failure_code, 'INVALID_PARAMETER');
  });

  it('answers a repeated id with the existing payment’s status (DUPLICATE_IGNORED)', async () => {
    const r = req('001');
    await pawapay.initiate(r);
    assert.equal((await pawapay.initiate(r)).state, 'accepted');
    clock.advance(15_000);
    assert.equal((await pawapay.initiate(r)).state, 'completed');
    assert.equal(sim.requests.filter((x) => x.method === 'POST' && x.id === r.idempotency_key).length, 3);
  });

  it('treats 503 as unknown and resends the same id (050), and never finds what 503 always refused (051)', async () => {
    const once = req('050');
    await unavailable(pawapay.initiate(once), /HTTP 503/);
    assert.equal((await pawapay.query('collection', once.idempotency_key)).state, 'not_found');
    assert.equal((await pawapay.initiate(once)).state, 'accepted');
    assert.deepEqual(sim.requests.filter((x) => x.method === 'POST' && x.id === once.idempotency_key).map((x) => x.status), [503, 200]);
    const always = req('051');
    for (let i = 0; i < 3; i++) await unavailable(pawapay.initiate(always), /HTTP 503/);
    assert.equal((await pawapay.query('collection', always.idempotency_key)).state, 'not_found');
  });

  it('gives up on a slow initiate at its timeout, yet the payment exists and completes (040)', async () => {
    const r = req('040');
    const started = performance.now();
    await unavailable(pawapay.initiate(r), new RegExp(`within ${TIMEOUT_MS} ms`));
    assert.ok(performance.now() - started < 3_500, 'our timeout, not the simulator’s delay');
    assert.equal((await pawapay.query('collection', r.idempotency_key)).state, 'accepted');
    clock.advance(40_000);
    assert.equal((await pawapay.query('collection', r.idempotency_key)).state, 'completed');
  });

  it('stays in flight forever when the carrier never finalises (060)', async () => {
    const r = req('060');
    await pawapay.initiate(r);
    clock.advance(24 * 3600_000);
    assert.equal((await pawapay.query('collection', r.idempotency_key)).state, 'accepted');
  });

  it('fails on pawaPay’s validation refusals, but a bad token is unknown, not a failed payment', async () => {
    assert.equal((await pawapay.initiate(req('001', { method: 'MTN_MOMO_RWA', msisdn: '250781234001' }))).failure_code, 'INVALID_CURRENCY');
    assert.equal((await pawapay.initiate(req('001', { method: 'MTN_MOMO_RWA', currency: 'RWF' }))).failure_code, 'INVALID_PHONE_NUMBER', 'a Liberian number on a Rwandan provider');
    const rwf = req('000', { method: 'AIRTEL_RWA', currency: 'RWF', amount_minor: 1553n, msisdn: '250731234000' });
    assert.equal((await pawapay.initiate(rwf)).state, 'accepted');
    assert.equal(sim.payment('collection', rwf.idempotency_key)?.amount, '1553');
    const wrongToken = new PawapayConnector({ base_url: sim.url, api_token: 'wrong', clock, timeout_ms: TIMEOUT_MS });
    await unavailable(wrongToken.initiate(req('001')), /HTTP 403 AUTHENTICATION_ERROR/);
    await unavailable(wrongToken.query('collection', randomUUID()), /HTTP 403/);
  });

  it('confirms unsigned callbacks with a status read: a forged COMPLETED changes nothing', async () => {
    const r = req('001');
    await pawapay.initiate(r);
    const forged = { depositId: r.idempotency_key, status: 'COMPLETED', amount: '12.30', currency: 'USD' };
    assert.equal(await pawapay.parseCallback({}, forged, JSON.stringify(forged)), undefined, 'pawaPay says it is still in flight');
    const unknown = { depositId: randomUUID(), status: 'COMPLETED' };
    assert.equal(await pawapay.parseCallback({}, unknown, JSON.stringify(unknown)), undefined, 'pawaPay does not know it');
    assert.equal(await pawapay.parseCallback({}, { hello: 'world' }, '{"hello":"world"}'), undefined);
    const offline = new PawapayConnector({ base_url: await deadUrl(), api_token: TOKEN, clock, timeout_ms: TIMEOUT_MS });
    assert.equal(await offline.parseCallback({}, forged, JSON.stringify(forged)), undefined, 'unconfirmed: refused, pawaPay redelivers');

    clock.advance(15_000);
    const genuine = JSON.stringify(sim.payment('collection', r.idempotency_key));
    const cb = await pawapay.parseCallback({}, JSON.parse(genuine), genuine);
    assert.deepEqual([cb?.operation, cb?.idempotency_key, cb?.result.state], ['collection', r.idempotency_key, 'completed']);
    const lie = JSON.parse(genuine.replace('"COMPLETED"', '"FAILED"'));
    assert.equal((await pawapay.parseCallback({}, lie, JSON.stringify(lie)))?.result.state, 'completed', 'what pawaPay says, not what the body says');
  });
});

describe('pawaPay connector with signed callbacks', () => {
  const clock = new ManualClock();
  const sim = new PawapaySimulator({ api_token: TOKEN, clock, sign_callbacks: true });
  const impostor = new PawapaySimulator({ api_token: TOKEN, clock, sign_callbacks: true });
  let pawapay: PawapayConnector;
  const CALLBACK_URL = 'http://dollr.test:8000/callbacks/pawapay';
  before(async () => {
    pawapay = new PawapayConnector({ base_url: await sim.start(), api_token: TOKEN, clock, timeout_ms: TIMEOUT_MS, callback_signatures: 'required' });
  });
  after(() => sim.close());

  it('applies a callback pawaPay signed, and refuses unsigned, tampered or foreign-signed ones', async () => {
    const r = req('001');
    await pawapay.initiate(r);
    clock.advance(15_000);
    const body = JSON.stringify(sim.payment('collection', r.idempotency_key));
    const headers = { host: 'dollr.test:8000', ...sim.callbackHeaders(CALLBACK_URL, body) };
    const cb = await pawapay.parseCallback(headers, JSON.parse(body), body);
    assert.equal(cb?.result.state, 'completed');
    assert.equal(cb?.idempotency_key, r.idempotency_key);

    const failedBody = body.replace('"COMPLETED"', '"FAILED"');
    assert.equal(await pawapay.parseCallback(headers, JSON.parse(failedBody), failedBody), undefined, 'body changed after signing');
    assert.equal(await pawapay.parseCallback({ host: 'dollr.test:8000', 'content-type': 'application/json' }, JSON.parse(body), body), undefined, 'unsigned');
    const foreign = { host: 'dollr.test:8000', ...impostor.callbackHeaders(CALLBACK_URL, body) };
    assert.equal(await pawapay.parseCallback(foreign, JSON.parse(body), body), undefined, 'same key id, another key');
    assert.equal(await pawapay.parseCallback({ ...headers, host: 'evil.test' }, JSON.parse(body), body), undefined, 'signed for another authority');
    assert.equal(sim.requests.filter((x) => x.path === '/v2/public-key/http').length, 1, 'keys are fetched once and cached');
  });
});

describe('pawaPay connector against misbehaving servers', () => {
  const cases: { name: string; handler: (req: IncomingMessage, res: ServerResponse) => void; expect: RegExp | { failure_code: string } }[] = [
    { name: '500', handler: (_q, s) => s.writeHead(500).end('oops'), expect: /HTTP 500/ },
    { name: '429', handler: (_q, s) => s.writeHead(429).end(), expect: /HTTP 429/ },
    { name: '404 from a proxy', handler: (_q, s) => s.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'), expect: /HTTP 404/ },
    { name: '200 with junk', handler: (_q, s) => s.writeHead(200).end('{"status":'), expect: /unreadable/ },
    { name: 'a redirect', handler: (_q, s) => s.writeHead(302, { location: 'http://127.0.0.1:9/steal' }).end(), expect: /could not be reached/ },
    { name: 'a declared huge body', handler: (_q, s) => s.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).end(), expect: /more than 65536/ },
    {
      name: 'an endless chunked body',
      handler: (_q, s) => {
        s.writeHead(200, { 'content-type': 'application/json' });
        const chunk = 'x'.repeat(16 * 1024);
        const timer = setInterval(() => s.write(chunk), 1);
        s.on('close', () => clearInterval(timer));
      },
      expect: /more than 65536 bytes/,
    },
    { name: 'silence', handler: () => {}, expect: new RegExp(`within ${TIMEOUT_MS} ms`) },
    {
      name: '400 MISSING_PARAMETER',
      handler: (_q, s) => s.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'REJECTED', failureReason: { failureCode: 'MISSING_PARAMETER', failureMessage: 'amount is missing' } })),
      expect: { failure_code: 'MISSING_PARAMETER' },
    },
    {
      name: '403 DEPOSITS_NOT_ALLOWED',
      handler: (_q, s) => s.writeHead(403).end(JSON.stringify({ failureReason: { failureCode: 'DEPOSITS_NOT_ALLOWED' } })),
      expect: { failure_code: 'DEPOSITS_NOT_ALLOWED' },
    },
    { name: '401 NO_AUTHENTICATION', handler: (_q, s) => s.writeHead(401).end(JSON.stringify({ failureReason: { failureCode: 'NO_AUTHENTICATION' } })), expect: /HTTP 401 NO_AUTHENTICATION/ },
  ];
  for (const c of cases) {
    it(`initiate: ${c.name}`, async () => {
      const fake = await fakePawapay(c.handler);
      try {
        const p = fake.connector.initiate(req('001'));
        if (c.expect instanceof RegExp) await unavailable(p, c.expect);
        else assert.equal((await p).failure_code, c.expect.failure_code);
      } finally {
        await fake.close();
      }
    });
  }

  it('status reads never guess: another payment, an error or junk is unknown', async () => {
    const other = randomUUID();
    const answers = [
      [200, { status: 'FOUND', data: { depositId: other, status: 'COMPLETED', amount: '1', currency: 'USD' } }, /another payment/],
      [500, { status: 'NOT_FOUND' }, /HTTP 500/],
      [200, { status: 'MAYBE' }, /unreadable/],
      [400, { failureReason: { failureCode: 'INVALID_PARAMETER' } }, /HTTP 400/],
    ] as const;
    for (const [status, body, pattern] of answers) {
      const fake = await fakePawapay((_q, s) => s.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
      try {
        await unavailable(fake.connector.query('collection', randomUUID()), pattern);
      } finally {
        await fake.close();
      }
    }
    const refused = new PawapayConnector({ base_url: await deadUrl(), api_token: TOKEN, clock: new ManualClock(), timeout_ms: TIMEOUT_MS });
    await unavailable(refused.query('collection', randomUUID()), /could not be reached: ECONNREFUSED/);
  });

  it('sends the bearer token and the documented JSON body', async () => {
    const seen: { auth?: string; type?: string; body: string }[] = [];
    const fake = await fakePawapay((q, s) => {
      let body = '';
      q.on('data', (c) => (body += c));
      q.on('end', () => {
        seen.push({ auth: q.headers.authorization, type: q.headers['content-type'], body });
        s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ACCEPTED' }));
      });
    });
    try {
      const r = req('001');
      assert.equal((await fake.connector.initiate(r)).state, 'accepted');
      assert.equal(seen[0]?.auth, `Bearer ${TOKEN}`);
      assert.equal(seen[0]?.type, 'application/json');
      assert.deepEqual(JSON.parse(seen[0]!.body), { depositId: r.idempotency_key, amount: '12.30', currency: 'USD', payer: { type: 'MMO', accountDetails: { phoneNumber: r.msisdn, provider: 'MTN_MOMO_LBR' } } });
    } finally {
      await fake.close();
    }
  });
});
