/**
 * The SDK against the real server: token caching and refresh (proactive, shared, after a 401), the
 * typed errors for 401/403/404/422, 429 with Retry-After, and typed calls across the resources.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { ManualClock } from '../../../src/clock.js';
import { revokeApiKey } from '../../../src/services/merchants.js';
import { backends } from '../../../test/helpers/backends.js';
import { useServer } from '../../../test/helpers/server.js';
import {
  DollrAuthError,
  DollrClient,
  DollrForbiddenError,
  DollrNetworkError,
  DollrNotFoundError,
  DollrRateLimitError,
  DollrValidationError,
  formatValidationDetail,
} from '../src/index.js';
import { type Recorded, sdk, tokenCalls } from './helpers.js';

for (const backend of backends()) {
  describe(`sdk client [${backend}]`, () => {
    const h = useServer(backend);

    describe('tokens', () => {
      it('obtains once and shares the token; concurrent first calls share one obtain', async () => {
        const m = await h.merchant();
        const log: Recorded[] = [];
        const dollr = sdk(h, m, { log });
        const all = await Promise.all(Array.from({ length: 8 }, () => dollr.wallets.list()));
        assert.equal(all.length, 8);
        await dollr.parties.list();
        assert.equal(tokenCalls(log), 1);
      });

      it('refreshes proactively once fewer than 5 minutes remain (past 55 of 60 minutes), one refresh for concurrent callers', async () => {
        const m = await h.merchant();
        const log: Recorded[] = [];
        const dollr = sdk(h, m, { log });
        await dollr.wallets.list();
        (h.clock as ManualClock).advance(54 * 60_000);
        await dollr.wallets.list();
        assert.equal(tokenCalls(log), 1, 'six minutes left: the cached token is used');
        (h.clock as ManualClock).advance(2 * 60_000); // 56 minutes: 4 left
        await Promise.all(Array.from({ length: 6 }, () => dollr.wallets.list()));
        assert.equal(tokenCalls(log), 2, 'one refresh, shared');
        assert.equal(log.filter((r) => r.status === 401).length, 0, 'no request ever saw a 401');
      });

      it('on a 401 obtains a new token once and retries the request once', async () => {
        const m = await h.merchant();
        const log: Recorded[] = [];
        // The SDK's clock stands still while the server's runs past the token's life: the server
        // answers 401 to a token the SDK still believes in.
        let sdkNow = h.clock.now().getTime();
        const dollr = sdk(h, m, { log, now: () => sdkNow });
        await dollr.wallets.list();
        (h.clock as ManualClock).advance(61 * 60_000);
        const parties = await Promise.all([dollr.parties.list(), dollr.parties.list(), dollr.wallets.list()]);
        assert.equal(parties.length, 3);
        assert.equal(log.filter((r) => r.status === 401).length, 3, 'each request saw the 401 once');
        assert.equal(tokenCalls(log), 2, 'the three 401s shared one new token');
        sdkNow += 30 * 60_000; // the new token is fresh by both clocks
        await dollr.wallets.list();
        assert.equal(tokenCalls(log), 2);
      });

      it('gives DollrAuthError when the credentials stop working (revoked key), after one re-obtain', async () => {
        const m = await h.merchant();
        const log: Recorded[] = [];
        const dollr = sdk(h, m, { log });
        await dollr.wallets.list();
        await revokeApiKey(h.server.services.ctx, m.client_id);
        await assert.rejects(dollr.wallets.list(), (err: unknown) => {
          assert.ok(err instanceof DollrAuthError);
          assert.equal(err.status, 401);
          assert.equal(err.detailMessage, 'Could not validate credentials');
          return true;
        });
        assert.equal(tokenCalls(log), 2);
        const bad = new DollrClient({ baseUrl: `${h.baseUrl}/v1`, clientId: m.client_id, clientSecret: 'wrong' });
        await assert.rejects(bad.obtainToken(), DollrAuthError);
      });
    });

    describe('typed errors', () => {
      it('422 → DollrValidationError with every detail item and the request id', async () => {
        const m = await h.merchant();
        const dollr = sdk(h, m);
        const err = await dollr.parties.create({ fullname: '', phone: '12' }).catch((e: unknown) => e);
        assert.ok(err instanceof DollrValidationError, String(err));
        assert.equal(err.status, 422);
        assert.ok(err.detail.length >= 2, JSON.stringify(err.detail));
        assert.deepEqual(err.detail.map((d) => d.loc.join('.')).sort(), ['body.fullname', 'body.phone']);
        assert.match(err.requestId ?? '', /^[A-Za-z0-9._:-]{8,128}$/);
        assert.match(formatValidationDetail(err.detail).join('\n'), /body\.phone: /);
        assert.match(err.message, /body\.fullname/);
      });

      it('404 → DollrNotFoundError; 403 → DollrForbiddenError', async () => {
        const m = await h.merchant();
        const dollr = sdk(h, m);
        await assert.rejects(dollr.parties.retrieve(999_999), (e: unknown) => e instanceof DollrNotFoundError && e.status === 404);
        await assert.rejects(dollr.status.collection('6f1c2b3a-1d2e-4f00-8a00-000000000000'), DollrNotFoundError);
        const unverified = await h.merchant({ verified: false });
        const u = sdk(h, unverified);
        const p = await u.parties.create({ fullname: 'Payee', phone: '231880000001' });
        const acct = await u.paymentAccounts.create('PAYOUT', {
          account_name: 'MoMo', provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', party_id: p.id, insensitive_account_number: '231880000001',
        });
        await assert.rejects(u.sessions.payout({ payout_account_id: acct.id, amount: 5, currency: 'USD' }), (e: unknown) => {
          assert.ok(e instanceof DollrForbiddenError);
          assert.match(e.detailMessage ?? '', /not verified/);
          return true;
        });
      });

      it('a server that is not there → DollrNetworkError (not sent), after bounded retries for reads', async () => {
        const sleeps: number[] = [];
        const closed = createServer().listen(0, '127.0.0.1');
        await once(closed, 'listening');
        const port = (closed.address() as AddressInfo).port;
        await new Promise((r) => closed.close(r));
        const dollr = new DollrClient({
          baseUrl: `http://127.0.0.1:${port}`, clientId: 'x', clientSecret: 'y', sleep: async (ms) => void sleeps.push(ms), random: () => 0.5,
        });
        await assert.rejects(dollr.wallets.list(), (e: unknown) => e instanceof DollrNetworkError && e.notSent && e.status === 0);
        assert.deepEqual(sleeps, [375, 750, 1500, 3000], 'equal-jitter backoff: 500 ms doubling, 4 retries after the first attempt');
      });
    });

    describe('typed calls', () => {
      it('drives parties → counterparty → invoice → items → publish → links, with cursors over lists', async () => {
        const m = await h.merchant();
        const dollr = sdk(h, m);
        const party = await dollr.parties.create({ fullname: 'Amara Kamara', phone: '231771234567' });
        const cp = await dollr.counterparties.create({ relationship_type: 'CUSTOMER', party_id: party.id });
        const inv = await dollr.invoices.create({ counterparty_id: cp.id, currency: 'USD', note: 'Consulting', fee_bearer: 'PAYER', as_payment_link: true });
        await dollr.invoices.items.add(inv.id, { name: 'Strategy Session', currency: 'USD', qty: 3, amount: 19.99 });
        const published = await dollr.invoices.publish(inv.id);
        assert.equal(published.total_amount, 59.97, 'amounts pass through as the server sends them');
        assert.equal(published.status, 'ACTIVE');
        const byNumber = await dollr.invoices.retrieveByNumber(published.invoice_number);
        assert.equal(byNumber.id, inv.id);
        const link = await dollr.links.pay({ source_type: 'INVOICE', source_number: published.invoice_number });
        assert.match(link.url, /\/pay\//);
        const prediction = await dollr.predictions.paymentSourceAmountAndFees({
          source_type: 'INVOICE', source_id: inv.id, target_currency: 'LRD', payment_method: 'MTN_MOMO_LBR', provider: 'PAWAPAY',
        });
        assert.match(prediction.payer_amount, /^\d+\.\d{2}$/, 'prediction amounts are decimal strings');

        for (let i = 0; i < 4; i++) await dollr.parties.create({ fullname: `Party ${i}`, phone: `23177100000${i}` });
        const pages: (string | null)[] = [];
        const names: string[] = [];
        for await (const p of dollr.parties.listAll({ limit: 2 }, { onResponse: (r) => pages.push(r.headers.get('x-next-cursor')) })) names.push(p.fullname);
        assert.equal(names.length, 5);
        assert.equal(pages.length, 3, 'three pages of at most two');
        assert.equal(pages.at(-1), null);
      });
    });
  });

  describe(`sdk rate limits [${backend}]`, () => {
    const h = useServer(backend, { env: { RATE_LIMIT_MERCHANT_PER_MIN: '3' } });

    it('waits out a 429 for the Retry-After the server sends, then succeeds; reads and writes alike', async () => {
      const m = await h.merchant();
      const sleeps: number[] = [];
      const log: Recorded[] = [];
      const dollr = sdk(h, m, { sleeps, log });
      for (let i = 0; i < 3; i++) await dollr.wallets.list();
      const list = await dollr.wallets.list();
      assert.ok(Array.isArray(list));
      assert.equal(log.filter((r) => r.status === 429).length, 1);
      assert.equal(sleeps.length, 1);
      assert.ok(sleeps[0]! >= 1000 && sleeps[0]! <= 60_000, `slept ${sleeps[0]} ms, the Retry-After`);
      // A write refused with 429 was never acted on, so it is resent too.
      for (let i = 0; i < 2; i++) await dollr.wallets.list();
      const party = await dollr.parties.create({ fullname: 'After the limit', phone: '231771230000' });
      assert.ok(party.id > 0);
      assert.equal(log.filter((r) => r.status === 429).length, 2);
    });

    it('gives DollrRateLimitError with retryAfterMs when the wait would pass the retry budget', async () => {
      const m = await h.merchant();
      const dollr = sdk(h, m, { retry: { total_time_ms: 500 } });
      for (let i = 0; i < 3; i++) await dollr.wallets.list();
      await assert.rejects(dollr.wallets.list(), (e: unknown) => {
        assert.ok(e instanceof DollrRateLimitError);
        assert.equal(e.status, 429);
        assert.ok(e.retryAfterMs! >= 1000, String(e.retryAfterMs));
        return true;
      });
    });
  });
}
