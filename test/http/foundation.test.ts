/**
 * The foundation contract over HTTP: auth (401 shapes, JWT tampering, revocation, expiry),
 * 404/422/413/429/500 shapes, OpenAPI, docs, health, and secrets absent from logs.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import type { ManualClock } from '../../src/clock.js';
import { revokeApiKey } from '../../src/services/merchants.js';
import { backends } from '../helpers/backends.js';
import { useServer } from '../helpers/server.js';

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

function forge(header: object, payload: object, key: string): string {
  const head = `${b64url(header)}.${b64url(payload)}`;
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
}

const CREDENTIALS = { detail: 'Could not validate credentials' };

for (const backend of backends()) {
  describe(`foundation [${backend}]`, () => {
    const h = useServer(backend);

    describe('token and bearer auth', () => {
      it('issues a token whose expires_in is in minutes and opens /v1 routes', async () => {
        const m = await h.merchant();
        const res = await h.anon.post('/v1/jwt/client/obtain/token', { client_id: m.client_id, client_secret: m.client_secret });
        assert.equal(res.status, 200);
        assert.equal(res.body.expires_in, 60);
        assert.equal(typeof res.body.access_token, 'string');
        const info = await h.anon.withToken(res.body.access_token).get('/v1/merchants/merchant-info', {
          merchant_id: m.merchant_id,
          merchant_type: m.merchant_type,
        });
        assert.equal(info.status, 200);
        assert.equal(info.body.id, m.merchant_id);
        assert.deepEqual(Object.keys(info.body).sort(), ['email', 'id', 'name', 'phone', 'type']);
      });

      it('refuses wrong secrets and unknown client ids with the same 401', async () => {
        const m = await h.merchant();
        const wrong = await h.anon.post('/v1/jwt/client/obtain/token', { client_id: m.client_id, client_secret: 'not-the-secret' });
        assert.equal(wrong.status, 401);
        assert.deepEqual(wrong.body, CREDENTIALS);
        const unknown = await h.anon.post('/v1/jwt/client/obtain/token', { client_id: 'dlr_nobody_here', client_secret: 'whatever' });
        assert.equal(unknown.status, 401);
        assert.deepEqual(unknown.body, CREDENTIALS);
      });

      it('answers 401 Not authenticated without an Authorization header', async () => {
        const res = await h.anon.get('/v1/merchants/merchant-info', { merchant_id: 1, merchant_type: 'ORGANIZATION' });
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, { detail: 'Not authenticated' });
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      });

      it('answers 401 Could not validate credentials for malformed, forged, none-signed, edited and expired tokens', async () => {
        const m = await h.merchant();
        const [head, payload] = m.token.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        const now = Math.floor(h.clock.now().getTime() / 1000);
        const bad: Record<string, string> = {
          'not bearer': `Token ${m.token}`,
          'empty bearer': 'Bearer ',
          garbage: 'Bearer abc.def.ghi',
          'wrong key': `Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims, 'some-other-key')}`,
          'alg none': `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`,
          'edited claims': `Bearer ${head}.${b64url({ ...claims, sub: String(m.merchant_id + 1) })}.${m.token.split('.')[2]}`,
          'expired (forged with our alg, wrong key)': `Bearer ${forge({ alg: 'HS256' }, { ...claims, exp: now - 10 }, 'x')}`,
        };
        for (const [name, header] of Object.entries(bad)) {
          const res = await h.anon.request('GET', '/v1/merchants/merchant-info', {
            headers: { authorization: header },
            query: { merchant_id: m.merchant_id, merchant_type: m.merchant_type },
          });
          assert.equal(res.status, 401, name);
          assert.deepEqual(res.body, CREDENTIALS, name);
        }
      });

      it('stops a token once its time is up', async () => {
        const m = await h.merchant();
        (h.clock as ManualClock).advance(61 * 60 * 1000);
        const res = await m.api.get('/v1/merchants/merchant-info', { merchant_id: m.merchant_id, merchant_type: m.merchant_type });
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, CREDENTIALS);
      });

      it('ends every token of a revoked key, and refuses new ones', async () => {
        const m = await h.merchant();
        const q = { merchant_id: m.merchant_id, merchant_type: m.merchant_type };
        assert.equal((await m.api.get('/v1/merchants/merchant-info', q)).status, 200);
        await revokeApiKey(h.server.services.ctx, m.client_id);
        const res = await m.api.get('/v1/merchants/merchant-info', q);
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, CREDENTIALS);
        const again = await h.anon.post('/v1/jwt/client/obtain/token', { client_id: m.client_id, client_secret: m.client_secret });
        assert.equal(again.status, 401);
      });
    });

    describe('404', () => {
      it('answers unknown routes and foreign ids with {"detail":"Not Found"}', async () => {
        const a = await h.merchant();
        const b = await h.merchant();
        const unknown = await a.api.get('/v1/no/such/route');
        assert.equal(unknown.status, 404);
        assert.deepEqual(unknown.body, { detail: 'Not Found' });
        const foreign = await a.api.get('/v1/merchants/merchant-info', { merchant_id: b.merchant_id, merchant_type: b.merchant_type });
        assert.equal(foreign.status, 404);
        assert.deepEqual(foreign.body, { detail: 'Not Found' });
      });
    });

    describe('422', () => {
      it('lists every body problem with FastAPI loc/msg/type', async () => {
        const res = await h.anon.post('/v1/jwt/client/obtain/token', { client_id: 42, extra: true });
        assert.equal(res.status, 422);
        const byLoc = Object.fromEntries(res.body.detail.map((d: any) => [d.loc.join('.'), d]));
        assert.deepEqual(byLoc['body.client_secret'], { loc: ['body', 'client_secret'], msg: 'field required', type: 'value_error.missing' });
        assert.equal(byLoc['body.client_id'].type, 'type_error.str');
        assert.equal(byLoc['body.extra'].type, 'value_error.extra');
        assert.equal(res.body.detail.length, 3);
      });

      it('refuses malformed JSON, an empty body and a non-JSON content type', async () => {
        const malformed = await h.anon.request('POST', '/v1/jwt/client/obtain/token', {
          raw: '{"client_id": "x",',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(malformed.status, 422);
        assert.equal(malformed.body.detail[0].loc[0], 'body');
        assert.equal(malformed.body.detail[0].type, 'value_error.jsondecode');

        const empty = await h.anon.request('POST', '/v1/jwt/client/obtain/token', { raw: '', headers: { 'content-type': 'application/json' } });
        assert.equal(empty.status, 422);
        assert.deepEqual(empty.body.detail[0].loc, ['body']);

        const form = await h.anon.request('POST', '/v1/jwt/client/obtain/token', {
          raw: 'client_id=a&client_secret=b',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        assert.equal(form.status, 422);
        assert.deepEqual(form.body.detail[0].loc, ['body']);

        const deep = await h.anon.request('POST', '/v1/jwt/client/obtain/token', {
          raw: '{"client_id":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(deep.status, 422);
      });

      it('reports query parameter problems under "query"', async () => {
        const m = await h.merchant();
        const res = await m.api.get('/v1/merchants/merchant-info', { merchant_id: 'abc', merchant_type: 'COMPANY' });
        assert.equal(res.status, 422);
        const locs = res.body.detail.map((d: any) => d.loc.join('.')).sort();
        assert.deepEqual(locs, ['query.merchant_id', 'query.merchant_type']);
        const missing = await m.api.get('/v1/merchants/merchant-info');
        assert.equal(missing.status, 422);
        assert.deepEqual(missing.body.detail.map((d: any) => d.loc.join('.')).sort(), ['query.merchant_id', 'query.merchant_type']);
      });
    });

    describe('413 and 500', () => {
      it('refuses a body over the limit with 413', async () => {
        const big = JSON.stringify({ client_id: 'x'.repeat(h.config.body_limit_bytes + 10), client_secret: 'y' });
        const res = await h.anon.request('POST', '/v1/jwt/client/obtain/token', { raw: big, headers: { 'content-type': 'application/json' } });
        assert.equal(res.status, 413);
        assert.equal(typeof res.body.detail, 'string');
      });

      it('answers 413 before the body is read, then drains it and keeps the connection (no reset can eat the answer)', async () => {
        const { port } = new URL(h.baseUrl);
        const socket = connect(Number(port), '127.0.0.1');
        let received = '';
        socket.setEncoding('utf8');
        socket.on('data', (c: string) => (received += c));
        const until = async (re: RegExp) => {
          for (let i = 0; i < 200 && !re.test(received); i++) await new Promise((r) => setTimeout(r, 10));
          return re.test(received);
        };
        const length = h.config.body_limit_bytes * 2;
        socket.write(`POST /v1/jwt/client/obtain/token HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`);
        assert.ok(await until(/^HTTP\/1\.1 413 /), 'the 413 comes before the body is sent');
        assert.doesNotMatch(received, /connection: close/i);
        socket.write(Buffer.alloc(length, 0x78)); // the client sends the body anyway, as clients without 100-continue do
        socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
        assert.ok(await until(/HTTP\/1\.1 200 [\s\S]*"status":"ok"/), `the same connection answers the next request: ${received.slice(0, 300)}`);
        socket.destroy();
      });
    });

    describe('OpenAPI, docs and health', () => {
      it('serves OpenAPI 3.1 with HTTPBearer and 200/422 per /v1 operation', async () => {
        const res = await h.anon.get('/openapi.json');
        assert.equal(res.status, 200);
        const doc = res.body;
        assert.equal(doc.openapi, '3.1.0');
        assert.deepEqual(doc.components.securitySchemes.HTTPBearer, { type: 'http', scheme: 'bearer' });
        const paths = Object.keys(doc.paths);
        assert.ok(paths.length > 0);
        for (const p of paths) {
          assert.ok(p.startsWith('/v1/'), p);
          for (const [method, op] of Object.entries<any>(doc.paths[p])) {
            assert.ok(op.responses['200'], `${method} ${p} documents 200`);
            assert.ok(op.responses['422'], `${method} ${p} documents 422`);
            const expected = p === '/v1/jwt/client/obtain/token' ? [] : p.startsWith('/v1/realtime/') ? [{ RealtimeKey: [] }] : [{ HTTPBearer: [] }];
            assert.deepEqual(op.security, expected, `${method} ${p} security`);
          }
        }
      });

      it('serves the interactive docs locally', async () => {
        const res = await h.anon.get('/docs/');
        assert.equal(res.status, 200);
        assert.match(res.text, /swagger/i);
        assert.doesNotMatch(res.text, /https?:\/\/(cdn|unpkg|cdnjs)/);
      });

      it('reports liveness and readiness', async () => {
        assert.deepEqual((await h.anon.get('/healthz')).body, { status: 'ok' });
        const ready = await h.anon.get('/readyz');
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body, { status: 'ready', database: backend });
      });

      it('serves /metrics to anyone when no METRICS_TOKEN is set', async () => {
        const res = await h.anon.get('/metrics');
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
        assert.match(res.text, /^dollr_group_commit_batches_total\{kind="execution_start"\} \d+$/m);
      });
    });

    describe('metrics behind METRICS_TOKEN', () => {
      const SCRAPE_TOKEN = 'scrape-9f2c61d0a7e44b1b';
      const hm = useServer(backend, { env: { METRICS_TOKEN: SCRAPE_TOKEN } });

      it('answers only the scraper that sends the token, with the docs\' 401 otherwise', async () => {
        const m = await hm.merchant();
        for (const [label, headers] of [
          ['no credentials', {}],
          ['a wrong token', { authorization: 'Bearer scrape-9f2c61d0a7e44b1c' }],
          ['a prefix of the token', { authorization: `Bearer ${SCRAPE_TOKEN.slice(0, -1)}` }],
          ['the token in another scheme', { authorization: `Basic ${SCRAPE_TOKEN}` }],
          ["a merchant's own bearer token", { authorization: `Bearer ${m.token}` }],
        ] as const) {
          const res = await hm.anon.request('GET', '/metrics', { headers });
          assert.equal(res.status, 401, label);
          assert.deepEqual(res.body, { detail: 'Not authenticated' }, label);
          assert.equal(res.headers.get('www-authenticate'), 'Bearer', label);
          assert.doesNotMatch(res.text, /dollr_group_commit/, label);
        }
        const ok = await hm.anon.request('GET', '/metrics', { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
        assert.equal(ok.status, 200);
        assert.match(ok.text, /^dollr_group_commit_units_total\{kind="settlement"\} \d+$/m);
        // The rest of the server is not behind the scrape token.
        assert.equal((await hm.anon.get('/healthz')).status, 200);
        assert.ok(!hm.logs.join('').includes(SCRAPE_TOKEN), 'the token stays out of the logs');
      });
    });

    describe('logs', () => {
      it('never contain the bearer token, client secret or passcode', async () => {
        const m = await h.merchant();
        await m.api.get('/v1/merchants/merchant-info', { merchant_id: m.merchant_id, merchant_type: m.merchant_type });
        await h.anon.post('/v1/jwt/client/obtain/token', { client_id: m.client_id, client_secret: m.client_secret });
        const all = h.logs.join('');
        assert.ok(all.length > 0, 'the server logged requests');
        assert.ok(!all.includes(m.token), 'token absent');
        assert.ok(!all.includes(m.client_secret), 'client secret absent');
        assert.ok(!all.includes(m.passcode), 'passcode absent');
        assert.ok(!all.includes(m.token.split('.')[2]!), 'token signature absent');
      });
    });
  });

  describe(`rate limits [${backend}]`, () => {
    const h = useServer(backend, { env: { RATE_LIMIT_MERCHANT_PER_MIN: '3', RATE_LIMIT_IP_PER_MIN: '1000' } });

    it('answers 429 with Retry-After past the per-merchant limit, and resets with the window', async () => {
      const m = await h.merchant();
      const q = { merchant_id: m.merchant_id, merchant_type: m.merchant_type };
      for (let i = 0; i < 3; i++) assert.equal((await m.api.get('/v1/merchants/merchant-info', q)).status, 200);
      const limited = await m.api.get('/v1/merchants/merchant-info', q);
      assert.equal(limited.status, 429);
      assert.equal(typeof limited.body.detail, 'string');
      const retry = Number(limited.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 60, `retry-after ${retry}`);
      // another merchant is not affected
      const other = await h.merchant();
      assert.equal((await other.api.get('/v1/merchants/merchant-info', { merchant_id: other.merchant_id, merchant_type: other.merchant_type })).status, 200);
      (h.clock as ManualClock).advance(61_000);
      assert.equal((await m.api.get('/v1/merchants/merchant-info', q)).status, 200);
    });
  });

  describe(`rate limit per IP [${backend}]`, () => {
    const h = useServer(backend, { env: { RATE_LIMIT_IP_PER_MIN: '2' } });
    it('limits unauthenticated calls per IP', async () => {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await h.anon.post('/v1/jwt/client/obtain/token', { client_id: 'abcdefgh', client_secret: 'x' })).status);
      assert.deepEqual(codes, [401, 401, 429]);
    });
  });

  describe(`500 [${backend}]`, () => {
    const h = useServer(backend, { skipInvariants: true });
    it('hides the stack and gives an error id when the database is gone', async () => {
      const m = await h.merchant();
      await h.database.close();
      const res = await m.api.get('/v1/merchants/merchant-info', { merchant_id: m.merchant_id, merchant_type: m.merchant_type });
      assert.equal(res.status, 500);
      assert.equal(res.body.detail, 'Internal Server Error');
      assert.match(res.body.error_id, /^[0-9a-f-]{36}$/);
      assert.ok(!res.text.includes(' at '), 'no stack trace in the body');
      assert.ok(h.logs.some((l) => l.includes(res.body.error_id)), 'the error id is logged');
    });
  });
}

