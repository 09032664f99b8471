/**
 * Several server instances on one PostgreSQL: the idempotency key, rate limits and settlement are
 * enforced by the database, so two instances behave as one. (PostgreSQL only: an embedded database
 * belongs to one process.)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { createServer, type Server } from '../../src/server.js';
import { type Database, openDatabase, rows } from '../../src/store/db.js';
import { backends } from '../helpers/backends.js';
import { checkoutSession, msisdn, paymentAccount, publishedInvoice, wallet } from '../helpers/fixtures.js';
import { Api } from '../helpers/http.js';
import { ok } from '../helpers/objects.js';
import { testConfig, useServer } from '../helpers/server.js';

if (backends().includes('postgres')) {
  describe('two instances on one PostgreSQL', () => {
    const h = useServer('postgres', { env: { RATE_LIMIT_MERCHANT_PER_MIN: '40' } });
    let second: Server;
    let secondDb: Database;
    let secondUrl: string;

    before(async () => {
      secondDb = await openDatabase({ database_url: h.database.url!, pool_max: 10 });
      second = await createServer(testConfig({ RATE_LIMIT_MERCHANT_PER_MIN: '40' }), { clock: h.clock, database: secondDb });
      secondUrl = await second.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      await second.close();
      await secondDb.close();
    });

    it('turns the same reference_id sent to both instances at once into one execution', async () => {
      const m = await h.merchant();
      const inv = await publishedInvoice(m, { items: [{ amount: 33.33 }] });
      const account = await paymentAccount(m, { number: msisdn('000') });
      const session_id = await checkoutSession(m, inv);
      const before = await wallet(m.api, 'USD');
      const ref = randomUUID();
      const body = { session_id: String(session_id), payment_account_id: String(account), currency: 'USD', reference_id: ref };
      const apis = [m.api, new Api(secondUrl, m.token)];
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => apis[i % 2]!.post('/v1/executions/collection', body)));
      for (const r of results) assert.equal(r.status, 200, r.text);
      const [n] = await rows<{ n: number }>(h.database.db, sql`select count(*)::int as n from executions where reference_id = ${ref}`);
      assert.equal(Number(n!.n), 1);
      const after = await wallet(m.api, 'USD');
      assert.equal(Math.round(after.available_balance * 100) - Math.round(before.available_balance * 100), 3333);
      assert.equal(ok(await new Api(secondUrl, m.token).get(`/v1/status/collection/${ref}`)).status, 'COMPLETED');
    });

    it('shares one rate-limit count across both instances', async () => {
      const m = await h.merchant();
      const apis = [m.api, new Api(secondUrl, m.token)];
      const codes: number[] = [];
      for (let i = 0; i < 50; i++) codes.push((await apis[i % 2]!.get('/v1/wallets')).status);
      // h.merchant() already spent one request (its token); 40 per minute in all.
      assert.equal(codes.filter((c) => c === 200).length, 40);
      assert.ok(codes.slice(40).every((c) => c === 429));
    });
  });
}
