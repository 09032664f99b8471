/**
 * The bench's lean HTTP client (bench/lib/wire.ts) and the paced sender on it: its figures are only
 * worth reading if every answer is read whole, paired with its own request, and a failure counts
 * as an error instead of a hang or a wrong body.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { paced } from '../../bench/lib/load.js';
import { AnswerTimeout, parseAnswer, requestBytes, WirePool } from '../../bench/lib/wire.js';

describe('wire client', () => {
  it('writes one request with Host, the headers and the byte length of a UTF-8 body', () => {
    const bytes = requestBytes('127.0.0.1:8000', { method: 'POST', path: '/v1/x?a=1', headers: { 'content-type': 'application/json' }, body: '{"n":"é"}' });
    assert.equal(bytes.toString('utf8'), 'POST /v1/x?a=1 HTTP/1.1\r\nhost: 127.0.0.1:8000\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n{"n":"é"}');
    assert.throws(() => requestBytes('h', { method: 'GET', path: '/', headers: { x: 'a\r\nevil: 1' } }), /line break/);
  });

  it('reads an answer only once it is whole, by its Content-Length', () => {
    const full = Buffer.from('HTTP/1.1 422 Unprocessable Entity\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{"a":"é"}'.replace('8', String(Buffer.byteLength('{"a":"é"}'))));
    for (let cut = 0; cut < full.length; cut++) assert.equal(parseAnswer(full.subarray(0, cut)), undefined, `cut at ${cut}`);
    assert.deepEqual(parseAnswer(full), { answer: { status: 422, body: '{"a":"é"}' }, used: full.length, close: false });
    assert.equal(parseAnswer(Buffer.from('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'))?.close, true);
    assert.throws(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')), /chunked/);
    assert.throws(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), /content-length/);
    assert.throws(() => parseAnswer(Buffer.from('SSH-2.0-x\r\n\r\n')), /status line/);
  });
});

describe('paced sender over the wire client', () => {
  let server: http.Server;
  let url: string;
  /** Raw sockets that answer garbage, then close. */
  let broken: net.Server;
  let brokenUrl: string;
  let served = 0;
  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        served++;
        const payload = JSON.stringify({ path: req.url, body });
        res.writeHead(req.url === '/close' ? 201 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(req.url === '/close' ? { connection: 'close' } : {}) });
        // Split the answer in two writes a few ms apart: the reader must wait for the rest.
        const bytes = Buffer.from(payload);
        res.write(bytes.subarray(0, 3));
        setTimeout(() => res.end(bytes.subarray(3)), 2);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    broken = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\n\r\n')));
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    brokenUrl = `http://127.0.0.1:${(broken.address() as net.AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => broken.close(r));
  });

  it('sends every due request once and hands each answer to its own request', async () => {
    served = 0;
    let n = 0;
    const seen: string[] = [];
    const r = await paced({
      url,
      rate: 400,
      duration_s: 0.5,
      inflight_max: 4,
      next: () => (n < 1000 ? { method: 'POST', path: n % 7 === 0 ? '/close' : `/r/${n}`, body: `b${n++}` } : undefined),
      onResponse: (status, body) => {
        const b = JSON.parse(body) as { path: string; body: string };
        assert.equal(status, b.path === '/close' ? 201 : 200);
        if (b.path !== '/close') assert.equal(b.path, `/r/${b.body.slice(1)}`);
        seen.push(b.body);
      },
    });
    assert.equal(r.errors, 0);
    assert.equal(r.responses, n);
    assert.equal(served, n);
    assert.equal(new Set(seen).size, n, 'each request answered once');
    assert.ok(n >= 190 && n <= 201, `about rate × duration requests (${n})`);
    assert.equal(r.latency.count, n);
  });

  it('counts a malformed answer as an error and carries on with fresh connections', async () => {
    let n = 0;
    const r = await paced({ url: brokenUrl, rate: 200, duration_s: 0.2, inflight_max: 2, next: () => (n++ < 1000 ? { method: 'GET', path: '/' } : undefined) });
    assert.equal(r.responses, 0);
    assert.ok(r.errors >= 35, `every request failed on its own (${r.errors})`);
  });

  it('gives up on an answer that does not come in time, and the next request gets a fresh connection', async () => {
    const silent = net.createServer(() => {}); // accepts, reads, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const pool = new WirePool(silentUrl, 1, 100);
    try {
      const started = Date.now();
      await assert.rejects(pool.request(requestBytes(pool.hostHeader, { method: 'GET', path: '/' })), AnswerTimeout);
      assert.ok(Date.now() - started >= 90);
      await assert.rejects(pool.request(requestBytes(pool.hostHeader, { method: 'GET', path: '/' })), AnswerTimeout);
    } finally {
      pool.close();
      silent.close();
    }
    const ok = new WirePool(url, 1, 100);
    try {
      assert.equal((await ok.request(requestBytes(ok.hostHeader, { method: 'GET', path: '/r/1' }))).status, 200);
    } finally {
      ok.close();
    }
  });

  it('queues a request when every connection is busy, and it still gets its answer', async () => {
    const pool = new WirePool(url, 1);
    try {
      const answers = await Promise.all([1, 2, 3].map((k) => pool.request(requestBytes(pool.hostHeader, { method: 'POST', path: `/r/${k}`, body: `b${k}` }))));
      assert.deepEqual(
        answers.map((a) => (JSON.parse(a.body) as { body: string }).body),
        ['b1', 'b2', 'b3'],
      );
    } finally {
      pool.close();
    }
  });
});
