/**
 * The realtime path of waitForFinal against a stub that speaks the server's stream contract
 * (POST /v1/realtime-keys/collection → {access_token, expires_in (s)}; GET
 * /v1/realtime/collection/{reference_id}?access_token=… → `event: status` frames, `: ping`
 * comments, closed after a final state) — for what the real server does not do on demand: frames
 * split mid-line, a stream that closes early or goes silent. The real stream is followed in
 * executions.test.ts. Also the event-stream parser itself.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { DollrClient, type ExecutionResponse } from '../src/index.js';
import { SseParser } from '../src/sse.js';

const REF = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const exec = (status: string): ExecutionResponse => ({
  reference_id: REF, status, payer_amount: 103.25, payer_currency: 'USD', payee_amount: 100, payee_currency: 'USD', operation_type: 'COLLECTION',
  provider_transaction_id: 'tx_1', gateway_message: null, wallet_message: null, client_secret: null, requires_action: false,
});

type StreamPlan = (res: ServerResponse) => Promise<void>;

async function stub(plan: StreamPlan, opts: { statusAnswers?: string[] } = {}) {
  const calls: string[] = [];
  const statusAnswers = [...(opts.statusAnswers ?? ['COMPLETED'])];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    calls.push(`${req.method} ${url.pathname}${url.searchParams.has('access_token') ? '?access_token' : ''}`);
    for await (const _ of req);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/v1/jwt/client/obtain/token') return json(200, { access_token: 'tok', expires_in: 60 });
    if (url.pathname === '/v1/realtime-keys/collection') return json(200, { access_token: 'rt_key', expires_in: 300 });
    if (url.pathname === `/v1/realtime/collection/${REF}`) {
      if (url.searchParams.get('access_token') !== 'rt_key') return json(401, { detail: 'Could not validate credentials' });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      return plan(res);
    }
    if (url.pathname === `/v1/status/collection/${REF}`) return json(200, exec(statusAnswers.shift() ?? 'COMPLETED'));
    json(404, { detail: 'Not Found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    calls,
    client: (o: Partial<ConstructorParameters<typeof DollrClient>[0]> = {}) =>
      new DollrClient({ baseUrl: url, clientId: 'c', clientSecret: 's', sleep: async () => {}, ...o }),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const frame = (status: string) => `event: status\ndata: ${JSON.stringify(exec(status))}\n\n`;

describe('waitForFinal with realtime', () => {
  it('asks status once, then follows the stream to the final event without polling', async () => {
    const s = await stub(async (res) => {
      res.write(frame('PROCESSING'));
      res.write(': ping\n\n');
      await new Promise((r) => setTimeout(r, 30));
      // one frame split across writes, CRLF line ends
      const f = frame('COMPLETED').replace(/\n/g, '\r\n');
      res.write(f.slice(0, 25));
      res.end(f.slice(25));
    }, { statusAnswers: ['PENDING'] });
    try {
      const updates: string[] = [];
      const e = await s.client().waitForFinal('collection', REF, { realtime: { session_id: 7, source_type: 'INVOICE' }, onUpdate: (u) => updates.push(u.status) });
      assert.equal(e.status, 'COMPLETED');
      assert.deepEqual(updates, ['PENDING', 'PROCESSING', 'COMPLETED']);
      assert.deepEqual(s.calls.filter((c) => !c.includes('/jwt/')), [
        `GET /v1/status/collection/${REF}`, 'POST /v1/realtime-keys/collection', `GET /v1/realtime/collection/${REF}?access_token`,
      ]);
    } finally {
      await s.close();
    }
  });

  it('falls back to polling when the stream closes early', async () => {
    const s = await stub(async (res) => {
      res.end(frame('PROCESSING'));
    }, { statusAnswers: ['PENDING', 'PROCESSING', 'COMPLETED'] });
    try {
      const e = await s.client().waitForFinal('collection', REF, { realtime: { session_id: 7, source_type: 'INVOICE' } });
      assert.equal(e.status, 'COMPLETED');
      assert.equal(s.calls.filter((c) => c.startsWith('GET /v1/status/')).length, 3, 'one before the stream, two after it closed');
    } finally {
      await s.close();
    }
  });

  it('falls back to polling when the stream goes quiet past the idle limit', async () => {
    const s = await stub(async (res) => {
      res.write(frame('PROCESSING')); // then silence, no pings
    }, { statusAnswers: ['PENDING', 'COMPLETED'] });
    try {
      const e = await s.client().waitForFinal('collection', REF, { realtime: { session_id: 7, source_type: 'INVOICE' }, streamIdleMs: 100 });
      assert.equal(e.status, 'COMPLETED');
      assert.ok(s.calls.some((c) => c.startsWith('GET /v1/status/')));
    } finally {
      await s.close();
    }
  });
});

describe('waitForFinal with realtime, bounded', () => {
  it('stops following a stream that pings but never finishes after realtimeMaxMs, and polls', async () => {
    let timer: NodeJS.Timeout | undefined;
    const s = await stub(async (res) => {
      res.write(frame('PROCESSING'));
      timer = setInterval(() => res.write(': ping\n\n'), 20);
      res.on('close', () => clearInterval(timer));
    }, { statusAnswers: ['PROCESSING', 'COMPLETED'] });
    try {
      const e = await s.client().waitForFinal('collection', REF, { realtime: { session_id: 7, source_type: 'INVOICE' }, realtimeMaxMs: 200 });
      assert.equal(e.status, 'COMPLETED');
    } finally {
      clearInterval(timer);
      await s.close();
    }
  });
});

describe('SseParser', () => {
  it('joins data lines, skips comments, handles CR, LF and CRLF and chunks split anywhere', () => {
    const text = ': ping\r\n\r\nevent: status\r\ndata: {"a":\r\ndata: 1}\r\nid: 9\r\n\r\ndata: plain\n\nevent: x\rdata: y\r\r';
    for (const size of [1, 2, 3, 7, text.length]) {
      const p = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...p.push(text.slice(i, i + size)));
      events.push(...p.end());
      assert.deepEqual(events, [
        { event: 'status', data: '{"a":\n1}', id: '9' },
        { event: 'message', data: 'plain', id: '9' },
        { event: 'x', data: 'y', id: '9' },
      ], `chunks of ${size}`);
    }
  });
});
