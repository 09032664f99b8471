/**
 * The money core on the real clock (`systemClock`), as `npm start` runs it. The other integration
 * tests drive a ManualClock, whose `now()` never moves during a request — so they cannot see a
 * comparison that only holds when two reads of the clock return the same instant.
 *
 * Regression: execute() once compared next_check_at (the plan's clock read + lease) with its own
 * earlier read + lease, which only holds when no millisecond passes in between — so on the real
 * clock the request answered PENDING and the first carrier call waited 30 s for the reconciler.
 * Fixed in dedcef1 ("Always make the first carrier call from
 * the request that created the execution"); `npm run bench` had found it too. Nothing else runs
 * the money core on the real clock, so this stays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { backends } from '../helpers/backends.js';
import { checkoutSession, collect, msisdn, payout, paymentAccount, payoutSession, publishedInvoice } from '../helpers/fixtures.js';
import { ok } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

for (const backend of backends()) {
  describe(`money on the system clock [${backend}]`, () => {
    const h = useServer(backend, { clock: systemClock });

    it('completes an instant (…000) collection within the request', async () => {
      const m = await h.merchant();
      const inv = await publishedInvoice(m);
      const account = await paymentAccount(m, { number: msisdn('000') });
      const res = ok(await collect(m, await checkoutSession(m, inv), account));
      assert.equal(res.status, 'COMPLETED', 'README: …000 succeeds instantly (synchronous)');
      assert.ok(res.provider_transaction_id, 'the carrier was called in the request');
    });

    it('completes an instant (…000) payout within the request', async () => {
      const m = await h.merchant();
      const account = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
      const res = ok(await payout(m, await payoutSession(m, account, 5), account));
      assert.equal(res.status, 'COMPLETED');
    });
  });
}
