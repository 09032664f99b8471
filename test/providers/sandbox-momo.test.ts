/**
 * Every magic number of the in-process mobile-money sandbox, driven through the public API to its
 * documented outcome (README "The sandbox carriers: magic numbers"), with the worker delivering
 * callbacks and reconciling on the injected clock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ManualClock } from '../../src/clock.js';
import { MOMO_SCENARIOS } from '../../src/providers/sandbox/scenarios.js';
import { backends } from '../helpers/backends.js';
import { checkoutSession, collect, msisdn, paymentAccount, publishedInvoice } from '../helpers/fixtures.js';
import { ok } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

/** suffix → [status right after execute, status after the scenario's time, gateway_message pattern] */
const EXPECTED: Record<string, [string, string, RegExp | null]> = {
  '000': ['COMPLETED', 'COMPLETED', null],
  '001': ['PROCESSING', 'COMPLETED', null],
  '002': ['PROCESSING', 'COMPLETED', null],
  '010': ['PROCESSING', 'FAILED', /PAYMENT_NOT_APPROVED/],
  '011': ['PROCESSING', 'FAILED', /INSUFFICIENT_BALANCE/],
  '012': ['FAILED', 'FAILED', /PAYER_NOT_FOUND/],
  '020': ['PROCESSING', 'FAILED', /PAYMENT_NOT_APPROVED/],
  '030': ['PROCESSING', 'COMPLETED', null],
  '031': ['PROCESSING', 'COMPLETED', null],
  '040': ['PENDING', 'COMPLETED', null],
  '050': ['PENDING', 'COMPLETED', null],
  '051': ['PENDING', 'FAILED', /CARRIER_UNAVAILABLE/],
  '060': ['PROCESSING', 'PROCESSING', null],
};

for (const backend of backends()) {
  describe(`sandbox MoMo magic numbers [${backend}]`, () => {
    const h = useServer(backend);

    it('has an expectation for every scenario in the table', () => {
      assert.deepEqual(MOMO_SCENARIOS.map((s) => s.suffix).sort(), Object.keys(EXPECTED).sort());
    });

    for (const scenario of MOMO_SCENARIOS) {
      const [first, last, message] = EXPECTED[scenario.suffix]!;
      it(`…${scenario.suffix}: ${scenario.name}`, async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m);
        const ref = randomUUID();
        const res = ok(await collect(m, await checkoutSession(m, inv), await paymentAccount(m, { number: msisdn(scenario.suffix) }), 'USD', ref));
        assert.equal(res.status, first);
        // Let the scenario's time pass in steps, as the worker would (callbacks, reconciliation, retries).
        // (…051 needs its 8 bounded initiate attempts: backoff 5 s … 5 min, about 16 minutes.)
        const horizon = Math.max(scenario.after_ms, 60_000) + (scenario.suffix === '051' ? 25 : 6) * 60_000;
        for (let t = 0; t < horizon; t += 30_000) {
          (h.clock as ManualClock).advance(30_000);
          await h.server.worker.runOnce();
        }
        const end = ok(await m.api.get(`/v1/status/collection/${ref}`));
        assert.equal(end.status, last);
        if (message) assert.match(end.gateway_message, message);
        const source = ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: inv.id }));
        assert.equal(source.status, last === 'COMPLETED' ? 'PAID' : last === 'FAILED' ? 'ACTIVE' : 'PROCESSING');
      });
    }
  });
}
