/**
 * Mobile money through the real pawaPay connector, end to end over HTTP: our server configured with
 * PAWAPAY_BASE_URL talks to the pawaPay v2 simulator on loopback (sharing the test's clock), which
 * calls our /callbacks/pawapay back. Every magic number of MOMO_SCENARIOS is driven through the
 * public API for collections, payouts and refunds to its documented outcome, checking the status,
 * the ledger (one movement, however many callbacks) and what reached the carrier (always the same id).
 * The harness checks the ledger invariants after every test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { ManualClock } from '../../src/clock.js';
import { EXPECTED_LEDGER_KINDS } from '../../src/domain/executions.js';
import { reconcileDue } from '../../src/jobs/reconcile.js';
import { PawapaySimulator } from '../../src/providers/pawapay/simulator.js';
import { fromPawapayAmount } from '../../src/providers/pawapay/protocol.js';
import { MOMO_SCENARIOS, type MomoScenario } from '../../src/providers/sandbox/scenarios.js';
import { type CarrierOperation, carrierKey } from '../../src/providers/types.js';
import { rows } from '../../src/store/db.js';
import { backends } from '../helpers/backends.js';
import { checkoutSession, collect, inMinutes, msisdn, payout, paymentAccount, payoutSession, publishedInvoice, wallet, type WalletBody } from '../helpers/fixtures.js';
import { ok } from '../helpers/objects.js';
import { type MerchantFixture, useServer } from '../helpers/server.js';

const TOKEN = 'pawapay-sim-token-http-tests';
const cents = (n: number) => Math.round(n * 100);

type Op = 'COLLECTION' | 'PAYOUT' | 'REFUND';
const CARRIER_OP: Record<Op, CarrierOperation> = { COLLECTION: 'collection', PAYOUT: 'payout', REFUND: 'refund' };

interface Started {
  op: Op;
  source_id?: number;
  ref: string;
  key: string;
  first: any;
  intent: number;
}

/** A server on `backend` wired to a fresh simulator; both share one ManualClock. */
function pawapayServer(backend: Parameters<typeof useServer>[0], opts: { signed?: boolean } = {}) {
  const clock = new ManualClock();
  const sim = new PawapaySimulator({ api_token: TOKEN, clock, slow_response_ms: 4_000, sign_callbacks: opts.signed ?? false });
  // Read by the harness when the server starts, after the simulator below has its port.
  const env: Record<string, string> = { PAWAPAY_API_TOKEN: TOKEN, PAWAPAY_TIMEOUT_MS: '1000', ...(opts.signed ? { PAWAPAY_CALLBACK_SIGNATURES: 'required' } : {}) };
  before(async () => {
    env.PAWAPAY_BASE_URL = await sim.start();
  });
  const h = useServer(backend, { env, clock });
  before(() => {
    sim.callback_url = `${h.baseUrl}/callbacks/pawapay`;
  });
  after(() => sim.close());
  return { h, sim, clock };
}

for (const backend of backends()) {
  describe(`pawaPay connector over HTTP [${backend}]`, () => {
    const { h, sim, clock } = pawapayServer(backend);

    const reconcile = () => reconcileDue(h.server.services);
    const status = async (m: MerchantFixture, s: Started) => ok(await m.api.get(`/v1/status/${s.op.toLowerCase()}/${s.ref}`));
    const posts = (s: Started) => sim.requests.filter((r) => r.method === 'POST' && r.id === s.key);

    async function ledgerKinds(ref: string): Promise<string[]> {
      const r = await rows<{ kind: string }>(h.database.db, sql`select kind from ledger_transactions where execution_id = (select id from executions where reference_id = ${ref}) order by kind`);
      return r.map((x) => x.kind);
    }

    async function startCollection(m: MerchantFixture, suffix: string): Promise<Started> {
      const inv = await publishedInvoice(m, { items: [{ amount: 100 }] });
      const account = await paymentAccount(m, { number: msisdn(suffix) });
      const ref = randomUUID();
      const res = await collect(m, await checkoutSession(m, inv), account, 'USD', ref);
      return { op: 'COLLECTION', source_id: inv.id, ref, key: carrierKey(m.merchant_id, 'COLLECTION', ref), first: ok(res), intent: Number(res.headers.get('x-payment-intent-id')) };
    }

    async function startPayout(m: MerchantFixture, suffix: string): Promise<Started> {
      const account = await paymentAccount(m, { number: msisdn(suffix), operation: 'PAYOUT' });
      const ref = randomUUID();
      const res = await payout(m, await payoutSession(m, account, 40), account, ref);
      return { op: 'PAYOUT', ref, key: carrierKey(m.merchant_id, 'PAYOUT', ref), first: ok(res), intent: Number(res.headers.get('x-payment-intent-id')) };
    }

    async function startRefund(m: MerchantFixture, paid: Started, amount: number): Promise<Started> {
      const session = ok(await m.api.post('/v1/sessions/refund', { original_payment_intent_id: paid.intent, amount, reason: 'returned', expires_at: inMinutes(clock.now(), 10) }));
      const ref = randomUUID();
      const res = await m.api.post('/v1/executions/refund', { session_id: String(session.id), reference_id: ref });
      return { op: 'REFUND', ref, key: carrierKey(m.merchant_id, 'REFUND', ref), first: ok(res), intent: Number(res.headers.get('x-payment-intent-id')) };
    }

    /**
     * Drive a started execution through scenario `s` the way the world would: time passes, the
     * simulator sends the callbacks the table says, the reconciler runs. Checks every step the
     * table promises and returns the final status body.
     */
    async function drive(m: MerchantFixture, st: Started, s: MomoScenario): Promise<any> {
      const expectFirst =
        s.initiate === 'reject' ? 'FAILED' : ['unavailable', 'unavailable_once', 'slow_accept'].includes(s.initiate) ? 'PENDING' : 'PROCESSING';
      assert.equal(st.first.status, expectFirst, `initiate answer for ${s.suffix}`);
      if (s.initiate === 'reject') return st.first;
      if (s.initiate === 'unavailable') {
        // bounded: 8 initiate attempts with backoff (5 s … 5 min) fit in 50 minutes
        for (let i = 0; i < 10; i++) {
          clock.advance(5 * 60_000);
          await reconcile();
        }
        assert.ok(posts(st).length >= 8 && posts(st).every((p) => p.status === 503), 'every attempt reached pawaPay with the same id and was refused');
        return status(m, st);
      }
      if (s.initiate === 'unavailable_once') {
        clock.advance(6_000);
        await reconcile(); // pawaPay says NOT_FOUND → resent with the same id
        assert.equal((await status(m, st)).status, 'PROCESSING');
        assert.deepEqual(posts(st).map((p) => p.status), [503, 200], 'the same id twice: refused, then accepted');
      }
      if (s.final === 'NONE') {
        for (let i = 0; i < 4; i++) {
          clock.advance(5 * 60_000);
          await sim.deliverDue();
          await reconcile();
        }
        return status(m, st);
      }
      clock.advance(Math.max(s.after_ms - 1, 0));
      await sim.deliverDue();
      if (s.after_ms > 0) assert.ok(['PENDING', 'PROCESSING'].includes((await status(m, st)).status), 'not final before its time');
      clock.advance(1);
      await sim.deliverDue();
      assert.equal(sim.callbacksDelivered(CARRIER_OP[st.op], st.key), s.callbacks, 'callbacks per the table');
      const afterCallbacks = await status(m, st);
      if (s.callbacks > 0) {
        assert.equal(afterCallbacks.status, s.final, 'the callback alone settles it');
        return afterCallbacks;
      }
      assert.ok(['PENDING', 'PROCESSING'].includes(afterCallbacks.status), 'no callback: still open');
      clock.advance(5_000);
      await reconcile(); // only the status read finds it
      return status(m, st);
    }

    const expectedFinal = (s: MomoScenario) => (s.final === 'NONE' ? (s.initiate === 'unavailable' ? 'FAILED' : 'PROCESSING') : s.final);
    const expectedCode = (s: MomoScenario, op: Op) =>
      s.initiate === 'unavailable' ? 'CARRIER_UNAVAILABLE' : s.initiate === 'reject' && op !== 'COLLECTION' ? 'RECIPIENT_NOT_FOUND' : s.failure_code;

    describe('collections: every magic number', () => {
      for (const s of MOMO_SCENARIOS) {
        it(`${s.suffix}: ${s.name}`, async () => {
          const m = await h.merchant();
          const before = await wallet(m.api, 'USD');
          const st = await startCollection(m, s.suffix);
          const end = await drive(m, st, s);
          assert.equal(end.status, expectedFinal(s));
          const credited = cents((await wallet(m.api, 'USD')).available_balance) - cents(before.available_balance);
          const source = ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: st.source_id }));
          if (end.status === 'COMPLETED') {
            assert.equal(credited, 10_000, 'the payee share arrives once');
            assert.deepEqual(await ledgerKinds(st.ref), ['collection']);
            assert.equal(source.status, 'PAID');
            assert.match(end.provider_transaction_id, /^MP[0-9A-F]{12}$/, 'the operator’s id once pawaPay has it');
            const charged = fromPawapayAmount(sim.payment('collection', st.key)?.amount, 'USD');
            assert.equal(charged, BigInt(cents(end.payer_amount)), 'pawaPay was asked for exactly the payer amount');
          } else {
            assert.equal(credited, 0, 'nothing credited');
            assert.deepEqual(await ledgerKinds(st.ref), []);
            assert.equal(source.status, end.status === 'FAILED' ? 'ACTIVE' : 'PROCESSING');
          }
          if (end.status === 'FAILED') assert.match(end.gateway_message, new RegExp(expectedCode(s, 'COLLECTION')!));
          assert.ok(posts(st).length >= 1 && new Set(posts(st).map((p) => p.id)).size === 1, 'one pawaPay id for the execution');
          if (!['unavailable', 'unavailable_once'].includes(s.initiate)) assert.equal(posts(st).length, 1, 'sent once: retries read the status instead');
        });
      }
    });

    describe('payouts: every magic number', () => {
      for (const s of MOMO_SCENARIOS) {
        it(`${s.suffix}: ${s.name}`, async () => {
          const m = await h.merchant();
          const before: WalletBody = await wallet(m.api, 'USD');
          const st = await startPayout(m, s.suffix);
          const end = await drive(m, st, s);
          assert.equal(end.status, expectedFinal(s));
          const w = await wallet(m.api, 'USD');
          const payer = cents(st.first.payer_amount);
          if (end.status === 'COMPLETED') {
            assert.equal(cents(before.available_balance) - cents(w.available_balance), payer, 'amount plus fees leave once');
            assert.equal(w.pending_balance, 0);
            assert.deepEqual(await ledgerKinds(st.ref), ['payout_reserve', 'payout_settle']);
            assert.equal(fromPawapayAmount(sim.payment('payout', st.key)?.amount, 'USD'), 4000n, 'the beneficiary gets the payout amount');
          } else if (end.status === 'FAILED') {
            assert.deepEqual(w, before, 'the hold is given back');
            assert.deepEqual(await ledgerKinds(st.ref), ['payout_release', 'payout_reserve']);
            assert.match(end.gateway_message, new RegExp(expectedCode(s, 'PAYOUT')!));
          } else {
            assert.equal(cents(w.pending_balance), payer, 'held while pawaPay has it');
            assert.deepEqual(await ledgerKinds(st.ref), ['payout_reserve']);
          }
        });
      }
    });

    describe('refunds: every magic number whose collection completes', () => {
      for (const s of MOMO_SCENARIOS.filter((x) => x.final === 'COMPLETED')) {
        it(`${s.suffix}: ${s.name}`, async () => {
          const m = await h.merchant();
          const paid = await startCollection(m, s.suffix);
          assert.equal((await drive(m, paid, s)).status, 'COMPLETED');
          const before = await wallet(m.api, 'USD');
          const st = await startRefund(m, paid, 40);
          const end = await drive(m, st, s); // a refund follows its deposit's number
          assert.equal(end.status, 'COMPLETED');
          const w = await wallet(m.api, 'USD');
          assert.equal(cents(before.available_balance) - cents(w.available_balance), 4000, 'the refund leaves the wallet once');
          assert.equal(w.pending_balance, 0);
          assert.deepEqual(await ledgerKinds(st.ref), ['refund_reserve', 'refund_settle']);
          const carried = sim.payment('refund', st.key);
          assert.equal(carried?.depositId, paid.key, 'pawaPay refunds the deposit we collected');
          assert.equal(fromPawapayAmount(carried?.amount, 'USD'), 4000n);
        });
      }
    });

    describe('callbacks', () => {
      it('delivers a duplicated callback concurrently, and money moves once (031)', async () => {
        const m = await h.merchant();
        const before = await wallet(m.api, 'USD');
        const st = await startCollection(m, '031');
        clock.advance(10_000);
        await sim.deliverDue();
        assert.equal(sim.callbacksDelivered('collection', st.key), 2, 'both copies were answered 200');
        assert.equal((await status(m, st)).status, 'COMPLETED');
        assert.equal(cents((await wallet(m.api, 'USD')).available_balance) - cents(before.available_balance), 10_000);
        const [r] = await rows<{ n: number }>(h.database.db, sql`select count(*)::int as n from execution_events where execution_id = ${st.intent} and status = 'COMPLETED'`);
        assert.equal(Number(r!.n), 1, 'one COMPLETED event');
      });

      it('does not believe an unsigned callback: a forged COMPLETED is checked with pawaPay and changes nothing', async () => {
        const m = await h.merchant();
        const before = await wallet(m.api, 'USD');
        const st = await startCollection(m, '001');
        const forged = { depositId: st.key, status: 'COMPLETED', amount: '1000000.00', currency: 'USD', providerTransactionId: 'FAKE' };
        const gets = () => sim.requests.filter((r) => r.method === 'GET' && r.id === st.key).length;
        const readsBefore = gets();
        const res = await h.anon.post('/callbacks/pawapay', forged);
        assert.equal(res.status, 400, res.text);
        assert.equal(gets(), readsBefore + 1, 'pawaPay was asked');
        const [row] = await rows<{ check_attempts: number; next_check_at: Date }>(h.database.db, sql`select check_attempts, next_check_at from executions where reference_id = ${st.ref}`);
        const now = await status(m, st);
        assert.equal(now.status, 'PROCESSING');
        assert.notEqual(now.provider_transaction_id, 'FAKE');
        assert.deepEqual(await wallet(m.api, 'USD'), before);
        for (let i = 0; i < 5; i++) await h.anon.post('/callbacks/pawapay', forged);
        const [again] = await rows<{ check_attempts: number; next_check_at: Date }>(h.database.db, sql`select check_attempts, next_check_at from executions where reference_id = ${st.ref}`);
        assert.deepEqual(again, row, 'forged callbacks do not push back the polling schedule');
        assert.equal((await h.anon.post('/callbacks/pawapay', { hello: 'world' })).status, 400);
        assert.equal((await h.anon.post('/callbacks/pawapay', { depositId: randomUUID(), status: 'COMPLETED' })).status, 400, 'pawaPay does not know it');

        clock.advance(15_000);
        const genuine = sim.payment('collection', st.key);
        const applied = await h.anon.post('/callbacks/pawapay', genuine);
        assert.deepEqual(applied.body, { status: 'ok', outcome: 'applied' });
        assert.equal((await status(m, st)).status, 'COMPLETED', 'a genuine callback, confirmed, settles it');
      });
    });

    it('never writes the pawaPay token to the log', () => {
      assert.ok(h.logs.length > 0);
      assert.equal(h.logs.filter((l) => l.includes(TOKEN)).length, 0);
    });
  });

  describe(`pawaPay with signed callbacks [${backend}]`, () => {
    const { h, sim, clock } = pawapayServer(backend, { signed: true });

    it('applies callbacks pawaPay signed and refuses unsigned or altered ones', async () => {
      const m = await h.merchant();
      const inv = await publishedInvoice(m);
      const account = await paymentAccount(m, { number: msisdn('001') });
      const ref = randomUUID();
      ok(await collect(m, await checkoutSession(m, inv), account, 'USD', ref));
      const key = carrierKey(m.merchant_id, 'COLLECTION', ref);
      const state = async () => ok(await m.api.get(`/v1/status/collection/${ref}`)).status;

      clock.advance(15_000);
      const body = JSON.stringify({ ...sim.payment('collection', key) });
      const url = sim.callback_url!;
      const unsigned = await h.anon.request('POST', '/callbacks/pawapay', { raw: body, headers: { 'content-type': 'application/json' } });
      assert.equal(unsigned.status, 400, 'no signature');
      const signedOther = sim.callbackHeaders(url, body.replace('"COMPLETED"', '"FAILED"'));
      const swapped = await h.anon.request('POST', '/callbacks/pawapay', { raw: body, headers: signedOther });
      assert.equal(swapped.status, 400, 'a signature for another body');
      assert.equal(await state(), 'PROCESSING');

      await sim.deliverDue();
      assert.equal(sim.callbacksDelivered('collection', key), 1);
      assert.equal(await state(), 'COMPLETED', 'the signed callback alone settles it');
    });
  });
}
