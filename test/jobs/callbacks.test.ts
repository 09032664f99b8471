/**
 * The worker: sandbox carrier callbacks as durable jobs (duplicates move money once, a lost
 * callback is found by reconciliation), and a job whose worker died is taken over.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { ManualClock } from '../../src/clock.js';
import { makeWorker } from '../../src/server.js';
import { rows } from '../../src/store/db.js';
import { claimJobs, enqueueJob } from '../../src/store/jobs.js';
import { backends } from '../helpers/backends.js';
import { checkoutSession, collect, msisdn, paymentAccount, publishedInvoice, wallet } from '../helpers/fixtures.js';
import { ok } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

for (const backend of backends()) {
  describe(`worker and carrier callbacks [${backend}]`, () => {
    const h = useServer(backend);
    const advance = async (ms: number) => {
      (h.clock as ManualClock).advance(ms);
      await h.server.worker.runOnce();
    };
    const count = async (q: ReturnType<typeof sql>) => Number((await rows<{ n: number }>(h.database.db, q))[0]!.n);

    it('applies a duplicated callback once', async () => {
      const m = await h.merchant();
      const before = await wallet(m.api, 'USD');
      const ref = randomUUID();
      ok(await collect(m, await checkoutSession(m, await publishedInvoice(m, { items: [{ amount: 7.5 }] })), await paymentAccount(m, { number: msisdn('031') }), 'USD', ref));
      await advance(10_000);
      await advance(2_000);
      const key = (await rows<{ carrier_key: string }>(h.database.db, sql`select carrier_key from executions where reference_id = ${ref}`))[0]!.carrier_key;
      assert.equal(await count(sql`select callbacks_sent as n from sandbox_carrier_txns where key = ${key}`), 2, 'the carrier sent two callbacks');
      assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'COMPLETED');
      assert.equal(await count(sql`select count(*)::int as n from ledger_transactions where execution_id = (select id from executions where reference_id = ${ref})`), 1);
      assert.equal(await count(sql`select count(*)::int as n from execution_events where status = 'COMPLETED' and execution_id = (select id from executions where reference_id = ${ref})`), 1);
      const after = await wallet(m.api, 'USD');
      assert.equal(Math.round(after.available_balance * 100) - Math.round(before.available_balance * 100), 750);
    });

    it('completes a payment whose callback was lost, by reconciliation', async () => {
      const m = await h.merchant();
      const ref = randomUUID();
      ok(await collect(m, await checkoutSession(m, await publishedInvoice(m)), await paymentAccount(m, { number: msisdn('030') }), 'USD', ref));
      await advance(31_000);
      await advance(60_000);
      assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'COMPLETED');
      const key = (await rows<{ carrier_key: string }>(h.database.db, sql`select carrier_key from executions where reference_id = ${ref}`))[0]!.carrier_key;
      assert.equal(await count(sql`select callbacks_sent as n from sandbox_carrier_txns where key = ${key}`), 0);
    });

    it('hands a job over when its worker dies mid-run (lease expiry), and never runs a deduplicated job twice', async () => {
      const now = h.clock.now();
      assert.equal(await enqueueJob(h.database.db, { queue: 'webhook.deliver', payload: { delivery_id: 999_999 }, run_at: now, max_attempts: 3, dedupe_key: 'lease-test' }, now), true);
      assert.equal(await enqueueJob(h.database.db, { queue: 'webhook.deliver', payload: { delivery_id: 999_999 }, run_at: now, max_attempts: 3, dedupe_key: 'lease-test' }, now), false);
      const [job] = await claimJobs(h.database.db, ['webhook.deliver'], now, new Date(now.getTime() + 60_000), 'dead-worker', 10);
      assert.ok(job);
      const other = makeWorker(h.server.services);
      await other.runOnce();
      assert.equal(await count(sql`select count(*)::int as n from jobs where dedupe_key = 'lease-test' and status = 'running'`), 1, 'leased: nobody else runs it');
      (h.clock as ManualClock).advance(61_000);
      await other.runOnce(); // recovers the expired lease
      (h.clock as ManualClock).advance(16_000);
      await other.runOnce();
      assert.equal(await count(sql`select count(*)::int as n from jobs where dedupe_key = 'lease-test' and status = 'dead'`), 1, 'ran to its end (the delivery does not exist)');
    });
  });
}
