/**
 * Portal and operator-area security over HTTP: session cookie flags and hashed storage, CSRF on
 * every form, lockout after wrong passwords, sign-out and idle expiry, one merchant's user never
 * seeing another's data, roles, and the operator's changes going through the same use cases.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { ManualClock } from '../../src/clock.js';
import { PORTAL_IDLE_MS, PORTAL_LOCK_MS, PORTAL_LOGIN_ATTEMPTS_MAX, createPortalUser, sha256 } from '../../src/services/portal-auth.js';
import { verifySecret } from '../../src/services/crypto.js';
import { getMerchant } from '../../src/services/merchants.js';
import { rows } from '../../src/store/db.js';
import { backends } from '../helpers/backends.js';
import { completedCollection, publishedInvoice } from '../helpers/fixtures.js';
import { ok } from '../helpers/objects.js';
import { Receiver } from '../helpers/receiver.js';
import { type Harness, useServer } from '../helpers/server.js';
import { csrfOf, WebClient } from '../helpers/web.js';

const PASSWORD = 'correct horse battery';

async function portalUser(h: Harness, merchant_id: number | null) {
  const email = `${merchant_id === null ? 'op' : 'owner'}-${randomBytes(4).toString('hex')}@example.test`;
  await createPortalUser(h.server.services.ctx, merchant_id === null ? { role: 'operator', email, password: PASSWORD } : { role: 'owner', merchant_id, email, password: PASSWORD });
  return email;
}

async function signedIn(h: Harness, merchant_id: number | null): Promise<WebClient> {
  const web = new WebClient(h.baseUrl);
  const res = await web.signIn(await portalUser(h, merchant_id), PASSWORD);
  assert.equal(res.status, 303, res.text);
  return web;
}

for (const backend of backends()) {
  describe(`portal security [${backend}]`, () => {
    const h = useServer(backend);

    it('signs in with a random session cookie (HttpOnly, SameSite=Lax, Path=/) stored only as its SHA-256', async () => {
      const m = await h.merchant();
      const email = await portalUser(h, m.merchant_id);
      const web = new WebClient(h.baseUrl);
      const form = await web.get('/portal/login');
      assert.equal(form.status, 200);
      assert.match(form.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      const res = await web.post('/portal/login', { email: email.toUpperCase(), password: PASSWORD, _csrf: csrfOf(form.text) });
      assert.equal(res.status, 303);
      assert.equal(res.location, '/portal');
      const cookie = web.setCookies.find((c) => c.startsWith('dollr_session='))!;
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
      assert.match(cookie, /; Path=\//);
      assert.doesNotMatch(cookie, /Secure/, 'plain http: no Secure flag');
      const token = web.cookies.get('dollr_session')!;
      assert.ok(token.length >= 40);
      const stored = await rows<{ token_hash: string }>(h.database.db, sql`select token_hash from portal_sessions`);
      assert.ok(stored.some((r) => r.token_hash === sha256(token)));
      assert.ok(!stored.some((r) => r.token_hash === token), 'the cookie value itself is never stored');
      const home = await web.get('/portal');
      assert.equal(home.status, 200);
      assert.equal(home.headers.get('cache-control'), 'no-store');
      assert.match(home.text, /10000\.00 USD/);
    });

    it('refuses every state-changing form without the session CSRF token, or from another site', async () => {
      const m = await h.merchant();
      const web = await signedIn(h, m.merchant_id);
      const csrf = csrfOf((await web.get('/portal/keys')).text);
      const other = await signedIn(h, m.merchant_id);
      const otherCsrf = csrfOf((await other.get('/portal/keys')).text);
      for (const [form, headers] of [
        [{ label: 'x' }, {}],
        [{ label: 'x', _csrf: 'wrong' }, {}],
        [{ label: 'x', _csrf: otherCsrf }, {}],
        [{ label: 'x', _csrf: csrf }, { origin: 'https://evil.example' }],
        [{ label: 'x', _csrf: csrf }, { 'sec-fetch-site': 'cross-site' }],
      ] as [Record<string, string>, Record<string, string>][]) {
        const res = await web.post('/portal/keys', form, headers);
        assert.equal(res.status, 403, JSON.stringify([form, headers]));
      }
      const keys = (await web.get('/portal/keys')).text;
      assert.equal((keys.match(/<code>dlr_/g) ?? []).length, 1, 'no key was created by a refused form');
      assert.equal((await web.post('/portal/keys', { label: 'ok', _csrf: csrf }, { origin: h.baseUrl })).status, 201);
      assert.equal((await web.post('/portal/logout', {})).status, 403, 'sign-out needs the token too');
      const noLoginCookie = new WebClient(h.baseUrl);
      assert.equal((await noLoginCookie.post('/portal/login', { email: 'a@b.c', password: PASSWORD, _csrf: 'forged' })).status, 403);
    });

    it(`locks an account after ${PORTAL_LOGIN_ATTEMPTS_MAX} wrong passwords, even for the right one, until the lock ends`, async () => {
      const m = await h.merchant();
      const email = await portalUser(h, m.merchant_id);
      const web = new WebClient(h.baseUrl);
      for (let i = 1; i < PORTAL_LOGIN_ATTEMPTS_MAX; i++) {
        const res = await web.signIn(email, 'wrong password!');
        assert.equal(res.status, 401);
        assert.match(res.text, /Wrong email or password/);
      }
      const last = await web.signIn(email, 'wrong password!');
      assert.match(last.text, /locked until/);
      const right = await web.signIn(email, PASSWORD);
      assert.equal(right.status, 401);
      assert.match(right.text, /locked until/);
      assert.equal(web.cookies.has('dollr_session'), false);
      const unknown = await web.signIn('nobody@example.test', PASSWORD);
      assert.match(unknown.text, /Wrong email or password/, 'an unknown email reads like a wrong password');
      (h.clock as ManualClock).advance(PORTAL_LOCK_MS);
      assert.equal((await web.signIn(email, PASSWORD)).status, 303);
    });

    it(`checks at most ${PORTAL_LOGIN_ATTEMPTS_MAX} of 20 wrong passwords sent at once; the rest meet the lock`, async () => {
      const m = await h.merchant();
      const email = await portalUser(h, m.merchant_id);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => new WebClient(h.baseUrl).signIn(email, `wrong password ${i}!`)));
      assert.ok(answers.every((r) => r.status === 401), answers.map((r) => r.status).join(','));
      const checked = answers.filter((r) => /Wrong email or password/.test(r.text)).length;
      assert.ok(checked <= PORTAL_LOGIN_ATTEMPTS_MAX - 1, `${checked} answered as plain wrong passwords`);
      assert.ok(answers.some((r) => /locked until/.test(r.text)));
      const right = await new WebClient(h.baseUrl).signIn(email, PASSWORD);
      assert.match(right.text, /locked until/);
    });

    it('signs out (the old cookie stops working) and ends idle sessions', async () => {
      const m = await h.merchant();
      const web = await signedIn(h, m.merchant_id);
      const cookie = web.cookies.get('dollr_session')!;
      const csrf = csrfOf((await web.get('/portal')).text);
      const out = await web.post('/portal/logout', { _csrf: csrf });
      assert.equal(out.status, 303);
      assert.equal(out.location, '/portal/login?notice=signed-out');
      const replay = new WebClient(h.baseUrl);
      replay.cookies.set('dollr_session', cookie);
      const again = await replay.get('/portal/keys');
      assert.equal(again.status, 303);
      assert.equal(again.location, '/portal/login?next=%2Fportal%2Fkeys');

      const idle = await signedIn(h, m.merchant_id);
      (h.clock as ManualClock).advance(PORTAL_IDLE_MS);
      assert.equal((await idle.get('/portal')).status, 303);
    });

    it("one merchant's user never sees another merchant's data", async () => {
      const a = await h.merchant();
      const b = await h.merchant();
      const paid = await completedCollection(b);
      const bInvoice = await publishedInvoice(b);
      const web = await signedIn(h, a.merchant_id);
      const bWallets = (await b.api.get('/v1/wallets')).body as { id: number }[];
      for (const path of [
        `/portal/executions/${paid.payment_intent_id}`,
        `/portal/wallets/${bWallets[0]!.id}`,
        `/portal/invoices/${bInvoice.id}`,
        `/portal/invoices/${paid.invoice.id}`,
      ]) {
        const res = await web.get(path);
        assert.equal(res.status, 404, path);
        assert.doesNotMatch(res.text, new RegExp(paid.response.reference_id));
      }
      const list = await web.get('/portal/executions');
      assert.doesNotMatch(list.text, new RegExp(paid.response.reference_id));
      const keys = await web.get('/portal/keys');
      assert.doesNotMatch(keys.text, new RegExp(b.client_id));
      const revoke = await web.post(`/portal/keys/${b.client_id}/revoke`, { _csrf: csrfOf(keys.text) });
      assert.equal(revoke.status, 404);
      assert.equal((await b.api.get('/v1/wallets')).status, 200, "B's key still works");
      const own = await web.post(`/portal/keys/${a.client_id}/revoke`, { _csrf: csrfOf(keys.text) });
      assert.equal(own.status, 303);
      assert.equal((await h.anon.post('/v1/jwt/client/obtain/token', { client_id: a.client_id, client_secret: a.client_secret })).status, 401, 'a revoked key obtains no token');
      assert.equal((await a.api.get('/v1/wallets')).status, 401, "and the revoked key's tokens stop");
    });

    it('keeps roles apart: owners get 403 in /admin, operators are sent to /admin', async () => {
      const m = await h.merchant();
      const owner = await signedIn(h, m.merchant_id);
      assert.equal((await owner.get('/admin/fx')).status, 403);
      const op = await signedIn(h, null);
      const res = await op.get('/portal/keys');
      assert.equal(res.status, 303);
      assert.equal(res.location, '/admin');
      assert.equal((await op.get('/admin')).status, 200);
    });

    it('changes the payout passcode only with the portal password, and filters executions', async () => {
      const m = await h.merchant();
      const web = await signedIn(h, m.merchant_id);
      const csrf = csrfOf((await web.get('/portal/passcode')).text);
      const wrong = await web.post('/portal/passcode', { _csrf: csrf, code: '4321', phone: m.phone, current_password: 'not my password' });
      assert.equal(wrong.status, 422);
      assert.match(wrong.text, /Wrong email or password/);
      const bad = await web.post('/portal/passcode', { _csrf: csrf, code: '12', phone: m.phone, current_password: PASSWORD });
      assert.match(bad.text, /4–8 digits/);
      assert.equal((await web.post('/portal/passcode', { _csrf: csrf, code: '4321', phone: m.phone, current_password: PASSWORD })).status, 303);
      const merchant = await getMerchant(h.server.services.ctx, m.merchant_id);
      assert.equal(await verifySecret('4321', merchant!.passcode_hash), true);

      const paid = await completedCollection(m);
      const filtered = await web.get('/portal/executions?status=COMPLETED&operation=COLLECTION');
      assert.match(filtered.text, new RegExp(paid.response.reference_id));
      assert.doesNotMatch((await web.get('/portal/executions?status=FAILED')).text, new RegExp(paid.response.reference_id));
      assert.doesNotMatch((await web.get('/portal/executions?to=2025-12-31')).text, new RegExp(paid.response.reference_id));
      assert.equal((await web.get('/portal/executions?status=NOPE')).status, 422);
      const detail = await web.get(`/portal/executions/${paid.payment_intent_id}`);
      assert.match(detail.text, /<ol id="timeline">.*PENDING.*COMPLETED/s);
    });

    it('lets an operator verify a merchant and refuses a malformed FX rate beside its form', async () => {
      const m = await h.merchant({ verified: false });
      const op = await signedIn(h, null);
      const csrf = csrfOf((await op.get('/admin')).text);
      assert.equal((await op.post(`/admin/merchants/${m.merchant_id}/verification`, { _csrf: csrf, status: 'VERIFIED' })).status, 303);
      assert.equal((await getMerchant(h.server.services.ctx, m.merchant_id))!.verification_status, 'VERIFIED');
      const bad = await op.post('/admin/fx', { _csrf: csrf, base: 'USD', quote: 'LRD', rate: '-3' });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /rate must be a positive decimal/);
      const dup = await op.post('/admin/users', { _csrf: csrf, merchant_id: String(m.merchant_id), user_email: 'x@example.test', user_password: 'short' });
      assert.match(dup.text, /at least 10 characters/);
    });
  });

  describe(`portal webhooks [${backend}]`, () => {
    const h = useServer(backend);
    const receiver = new Receiver();
    before(() => receiver.start());
    after(() => receiver.stop());

    it('adds an endpoint (secret shown once), lists its deliveries and attempts, and replays one', async () => {
      const m = await h.merchant();
      const web = await signedIn(h, m.merchant_id);
      const csrf = csrfOf((await web.get('/portal/webhooks')).text);
      const created = await web.post('/portal/webhooks', { _csrf: csrf, url: receiver.url, description: 'shop', events: 'execution.completed' });
      assert.equal(created.status, 201);
      assert.match(created.text, /id="new-endpoint-secret">whsec_/);
      assert.doesNotMatch((await web.get('/portal/webhooks')).text, /whsec_/, 'the secret is shown once');
      const bad = await web.post('/portal/webhooks', { _csrf: csrf, url: 'ftp://nope' });
      assert.equal(bad.status, 422);

      await completedCollection(m);
      await h.server.worker.runOnce();
      assert.equal(receiver.received.filter((r) => r.json?.type === 'execution.completed').length, 1);
      const endpoints = ok(await m.api.get('/v1/webhooks/endpoints'));
      const page = await web.get(`/portal/webhooks/${endpoints[0].id}`);
      assert.match(page.text, /execution\.completed/);
      const delivery = /\/portal\/webhooks\/deliveries\/(\d+)"/.exec(page.text)![1]!;
      const attempts = await web.get(`/portal/webhooks/deliveries/${delivery}`);
      assert.match(attempts.text, /<td>200<\/td>/);
      const replay = await web.post(`/portal/webhooks/deliveries/${delivery}/replay`, { _csrf: csrf });
      assert.equal(replay.status, 303);
      await h.server.worker.runOnce();
      assert.equal(receiver.received.filter((r) => r.json?.type === 'execution.completed').length, 2, 'replayed');

      const other = await h.merchant();
      const otherWeb = await signedIn(h, other.merchant_id);
      const otherCsrf = csrfOf((await otherWeb.get('/portal/webhooks')).text);
      assert.equal((await otherWeb.get(`/portal/webhooks/${endpoints[0].id}`)).status, 404);
      assert.equal((await otherWeb.get(`/portal/webhooks/deliveries/${delivery}`)).status, 404);
      assert.equal((await otherWeb.post(`/portal/webhooks/deliveries/${delivery}/replay`, { _csrf: otherCsrf })).status, 404);
    });
  });

  describe(`portal over https [${backend}]`, () => {
    const h = useServer(backend, { env: { PUBLIC_BASE_URL: 'https://pay.example' } });

    it('marks the session cookie Secure when the server is published over https', async () => {
      const m = await h.merchant();
      const web = await signedIn(h, m.merchant_id);
      const cookie = web.setCookies.find((c) => c.startsWith('dollr_session='))!;
      assert.match(cookie, /; Secure/);
    });
  });
}
