/**
 * Safe execution against the real server through a loopback proxy that loses things on purpose:
 * a response lost after the server acted, a request lost before it arrived, a 5xx with and without
 * the server acting. Each time the SDK must ask the status endpoint, keep the same reference_id,
 * and the ledger must show exactly one movement. Then waitForFinal on a MoMo payment settled by
 * the clock and the reconciler.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { rows } from '../../../src/store/db.js';
import { backends } from '../../../test/helpers/backends.js';
import { checkoutSession, msisdn, paymentAccount, publishedInvoice, wallet } from '../../../test/helpers/fixtures.js';
import { type Harness, type MerchantFixture, useServer } from '../../../test/helpers/server.js';
import { DollrTimeoutError, DollrValidationError, type ExecutionResponse } from '../src/index.js';
import { cents, type ProxyAction, type Recorded, sdk, settleAfter, startProxy } from './helpers.js';

async function movements(h: Harness, reference_id: string): Promise<number> {
  const [r] = await rows<{ n: number }>(
    h.database.db,
    sql`select count(*)::int as n from ledger_transactions where execution_id in (select id from executions where reference_id = ${reference_id})`,
  );
  return Number(r!.n);
}

async function executionsWith(h: Harness, reference_id: string): Promise<number> {
  const [r] = await rows<{ n: number }>(h.database.db, sql`select count(*)::int as n from executions where reference_id = ${reference_id}`);
  return Number(r!.n);
}

/** A published 100 USD invoice, a checkout session and a MoMo account whose number ends in `suffix`. */
async function readyToCollect(m: MerchantFixture, suffix = '000', amount = 100) {
  const inv = await publishedInvoice(m, { items: [{ amount }] });
  const account = await paymentAccount(m, { number: msisdn(suffix) });
  const session_id = await checkoutSession(m, inv);
  return { inv, account, session_id };
}

for (const backend of backends()) {
  describe(`sdk safe execution [${backend}]`, () => {
    const h = useServer(backend);
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    /** What the proxy does to the next execution POSTs (one entry each), then it forwards. */
    const script: ProxyAction[] = [];

    before(async () => {
      proxy = await startProxy(h.baseUrl, (req) => (req.method === 'POST' && req.path.startsWith('/v1/executions/') ? (script.shift() ?? 'forward') : 'forward'));
    });
    after(() => proxy.close());

    const viaProxy = (m: MerchantFixture, o: Parameters<typeof sdk>[2] = {}) => sdk(h, m, { baseUrl: proxy.url, ...o });
    const seenFor = (ref: string) => proxy.seen.filter((s) => s.body.includes(ref) || s.path.endsWith(ref));

    it('a lost response: asks status with the same reference_id, returns the settled state, one movement', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m);
      const before = await wallet(m.api, 'USD');
      const refs: string[] = [];
      script.push('drop-response');
      const e = await viaProxy(m).executions.collection(
        { session_id, payment_account_id: account, currency: 'USD' },
        { onReferenceId: (r) => void refs.push(r) },
      );
      assert.equal(refs.length, 1);
      const ref = refs[0]!;
      assert.equal(e.reference_id, ref);
      assert.equal(e.status, 'COMPLETED');
      const trail = seenFor(ref).map((s) => `${s.method} ${s.path.replace(ref, '{ref}')} ${typeof s.action === 'string' ? s.action : s.action.status}`);
      assert.deepEqual(trail, ['POST /v1/executions/collection drop-response', 'GET /v1/status/collection/{ref} forward']);
      assert.equal(await executionsWith(h, ref), 1);
      assert.equal(await movements(h, ref), 1, 'exactly one ledger movement');
      const afterBal = await wallet(m.api, 'USD');
      assert.equal(cents(afterBal.available_balance) - cents(before.available_balance), 10_000);
    });

    it('a lost request: status says 404, so it resends with the SAME reference_id; one movement', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m);
      const before = await wallet(m.api, 'USD');
      script.push('drop-request');
      const sleeps: number[] = [];
      const e = await viaProxy(m, { sleeps }).executions.collection({ session_id: String(session_id), payment_account_id: String(account), currency: 'USD' });
      assert.equal(e.status, 'COMPLETED');
      const trail = seenFor(e.reference_id).map((s) => `${s.method} ${s.path.startsWith('/v1/status') ? 'status' : 'execute'}`);
      assert.deepEqual(trail, ['POST execute', 'GET status', 'POST execute']);
      const bodies = seenFor(e.reference_id).filter((s) => s.method === 'POST').map((s) => JSON.parse(s.body).reference_id);
      assert.deepEqual(bodies, [e.reference_id, e.reference_id], 'the retry carries the same reference_id');
      assert.deepEqual(sleeps, [375], 'one backoff before the resend');
      assert.equal(await movements(h, e.reference_id), 1);
      assert.equal(cents((await wallet(m.api, 'USD')).available_balance) - cents(before.available_balance), 10_000);
    });

    it('a 5xx after the server acted (a gateway error on the way back): status answers, nothing is resent', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m);
      script.push({ status: 502, body: { detail: 'Bad Gateway' }, forward: true });
      const e = await viaProxy(m).executions.collection({ session_id, payment_account_id: account, currency: 'USD' });
      assert.equal(e.status, 'COMPLETED');
      assert.equal(seenFor(e.reference_id).filter((s) => s.method === 'POST').length, 1);
      assert.equal(await movements(h, e.reference_id), 1);
    });

    it('a 503 before the server saw it, twice: status 404 each time, then the same reference_id goes through', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m);
      script.push({ status: 503, body: { detail: 'Service Unavailable' } }, { status: 503, body: { detail: 'Service Unavailable' } });
      const e = await viaProxy(m).executions.collection({ session_id, payment_account_id: account, currency: 'USD' });
      assert.equal(e.status, 'COMPLETED');
      const posts = seenFor(e.reference_id).filter((s) => s.method === 'POST');
      assert.equal(posts.length, 3);
      assert.equal(new Set(posts.map((p) => JSON.parse(p.body).reference_id)).size, 1);
      assert.equal(seenFor(e.reference_id).filter((s) => s.method === 'GET').length, 2);
      assert.equal(await movements(h, e.reference_id), 1);
    });

    it('when every attempt is lost: bounded attempts, then the error names the reference_id; no money moved', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m);
      script.push('drop-request', 'drop-request', 'drop-request');
      const refs: string[] = [];
      const err = await viaProxy(m, { retry: { attempts_max: 3 } })
        .executions.collection({ session_id, payment_account_id: account, currency: 'USD' }, { onReferenceId: (r) => void refs.push(r) })
        .catch((x: unknown) => x);
      assert.ok(err instanceof Error && 'referenceId' in err, String(err));
      assert.equal((err as { referenceId: string }).referenceId, refs[0]);
      assert.equal(refs.length, 1, 'no new reference_id without the opt-in');
      assert.equal(await executionsWith(h, refs[0]!), 0);

      // With the opt-in, a confirmed "not found" may start over under a new reference_id.
      script.push('drop-request', 'drop-request', 'drop-request');
      const reasons: string[] = [];
      const e = await viaProxy(m, { retry: { attempts_max: 3 } }).executions.collection(
        { session_id, payment_account_id: account, currency: 'USD' },
        { onReferenceId: (r) => void refs.push(r), newAttempt: (info) => (reasons.push(info.reason), info.previous_input) },
      );
      assert.deepEqual(reasons, ['NOT_FOUND']);
      assert.equal(refs.length, 3);
      assert.equal(e.reference_id, refs[2]);
      assert.equal(e.status, 'COMPLETED');
      assert.equal(await executionsWith(h, refs[1]!), 0);
      assert.equal(await movements(h, refs[2]!), 1);
    });

    it('awaits onReferenceId before any request; a hook that fails stops the payment', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m);
      const executes = () => proxy.seen.filter((s) => s.path.startsWith('/v1/executions/')).length;
      const postsBefore = executes();
      let postsAtHook = -1;
      const e = await viaProxy(m).executions.collection(
        { session_id, payment_account_id: account, currency: 'USD' },
        {
          onReferenceId: async () => {
            await new Promise((r) => setTimeout(r, 20));
            postsAtHook = executes() - postsBefore;
          },
        },
      );
      assert.equal(postsAtHook, 0, 'nothing was sent before the hook finished');
      assert.equal(e.status, 'COMPLETED');
      const second = await readyToCollect(m);
      await assert.rejects(
        viaProxy(m).executions.collection(
          { session_id: second.session_id, payment_account_id: second.account, currency: 'USD' },
          { onReferenceId: async () => { throw new Error('database down'); } },
        ),
        /database down/,
      );
      assert.equal(executes() - postsBefore, 1, 'the failed hook sent nothing');
    });

    it('the caller’s own reference_id is used as is; a different payload on it is a typed duplicate 422', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m);
      const dollr = sdk(h, m);
      const ref = '7d9f3a52-0c4e-4b8a-9f1e-2b3c4d5e6f70';
      const e = await dollr.executions.collection({ session_id, payment_account_id: account, currency: 'USD', reference_id: ref });
      assert.equal(e.reference_id, ref);
      const again = await dollr.executions.collection({ session_id, payment_account_id: account, currency: 'USD', reference_id: ref });
      assert.deepEqual(again, e, 'the same request answers the same execution');
      const other = await paymentAccount(m, { number: msisdn('000') });
      const err = await dollr.executions.collection({ session_id, payment_account_id: other, currency: 'USD', reference_id: ref }).catch((x: unknown) => x);
      assert.ok(err instanceof DollrValidationError);
      assert.ok(err.isDuplicateReference);
      assert.equal(err.referenceId, ref);
      await assert.rejects(
        dollr.executions.collection({ session_id, payment_account_id: account, currency: 'USD', reference_id: 'not-a-uuid' }),
        /version-4 UUID/,
      );
    });

    it('a new reference_id only with the opt-in, and only after a confirmed FAILED', async () => {
      const m = await h.merchant();
      const dollr = sdk(h, m);
      const inv = await publishedInvoice(m);
      const unregistered = await paymentAccount(m, { number: msisdn('012') });
      const failed = await dollr.executions.collection({ session_id: await checkoutSession(m, inv), payment_account_id: unregistered, currency: 'USD' });
      assert.equal(failed.status, 'FAILED', 'without the opt-in the FAILED answer is returned');

      const refs: string[] = [];
      const good = await paymentAccount(m, { number: msisdn('000') });
      const reasons: string[] = [];
      const e = await dollr.executions.collection(
        { session_id: await checkoutSession(m, inv), payment_account_id: unregistered, currency: 'USD' },
        {
          onReferenceId: (r) => void refs.push(r),
          newAttempt: async (info) => {
            reasons.push(`${info.reason}:${info.previous?.gateway_message ?? ''}`);
            return { session_id: await checkoutSession(m, inv), payment_account_id: good, currency: 'USD' };
          },
        },
      );
      assert.equal(e.status, 'COMPLETED');
      assert.equal(refs.length, 2);
      assert.notEqual(refs[0], refs[1]);
      assert.equal(e.reference_id, refs[1]);
      assert.match(reasons[0]!, /^FAILED:/);
    });
  });

  describe(`sdk waitForFinal [${backend}]`, () => {
    const h = useServer(backend);

    it('follows a MoMo collection (number ending 001) from PROCESSING to COMPLETED as the clock runs', async () => {
      const m = await h.merchant();
      const { account, session_id, inv } = await readyToCollect(m, '001');
      const sleeps: number[] = [];
      // Each wait moves the server's clock and lets the reconciler ask the carrier.
      const dollr = sdk(h, m, { sleeps, onSleep: async () => void (await settleAfter(h, 0)) });
      const e = await dollr.executions.collection({ session_id, payment_account_id: account, currency: 'USD' });
      assert.equal(e.status, 'PROCESSING');
      const updates: string[] = [];
      const final = await dollr.waitForFinal('collection', e.reference_id, { onUpdate: (u) => updates.push(u.status) });
      assert.equal(final.status, 'COMPLETED');
      assert.deepEqual(updates, ['PROCESSING', 'COMPLETED']);
      assert.deepEqual(sleeps.slice(0, 4), [1000, 1500, 2250, 3375], 'polls back off ×1.5 from 1 s');
      const waited = sleeps.reduce((a, b) => a + b, 0);
      assert.ok(waited >= 15_000 && waited < 40_000, `settled after ${waited} ms of sandbox time`);
      assert.equal((await dollr.status.source({ source_type: 'INVOICE', source_id: inv.id })).status, 'PAID');
    });

    it('reports FAILED (payer declines, 010) as the final state', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m, '010');
      const dollr = sdk(h, m, { onSleep: async () => void (await settleAfter(h, 0)) });
      const e = await dollr.executions.collection({ session_id, payment_account_id: account, currency: 'USD' });
      const final = await dollr.waitForFinal('collection', e.reference_id);
      assert.equal(final.status, 'FAILED');
      assert.match(final.gateway_message ?? '', /PAYMENT_NOT_APPROVED/);
    });

    it('times out with the last state when the carrier never answers (060), and stops on an AbortSignal', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m, '060');
      const dollr = sdk(h, m, { onSleep: async () => void (await settleAfter(h, 0)) });
      const e = await dollr.executions.collection({ session_id, payment_account_id: account, currency: 'USD' });
      const err = await dollr.waitForFinal('collection', e.reference_id, { timeoutMs: 60_000 }).catch((x: unknown) => x);
      assert.ok(err instanceof DollrTimeoutError, String(err));
      assert.equal((err.last as ExecutionResponse).status, 'PROCESSING');
      assert.equal(err.referenceId, e.reference_id);

      const controller = new AbortController();
      const aborting = sdk(h, m, { onSleep: () => controller.abort(new Error('caller gave up')) });
      await assert.rejects(aborting.waitForFinal('collection', e.reference_id, { signal: controller.signal }), /caller gave up/);
    });

    it('follows the server’s realtime stream to COMPLETED without polling the status endpoint', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m, '001');
      const log: Recorded[] = [];
      const dollr = sdk(h, m, { log });
      const e = await dollr.executions.collection({ session_id, payment_account_id: account, currency: 'USD' });
      const updates: string[] = [];
      const final = await dollr.waitForFinal('collection', e.reference_id, {
        realtime: { session_id, source_type: 'INVOICE' },
        onUpdate: (u) => {
          updates.push(u.status);
          // The first event is the current state; move the sandbox past its 15 s approval.
          if (u.status === 'PROCESSING') void settleAfter(h, 16_000);
        },
      });
      assert.equal(final.status, 'COMPLETED');
      // One status call first; the stream's replay of PENDING is older than that and is ignored.
      assert.deepEqual(updates, ['PROCESSING', 'COMPLETED']);
      assert.equal(log.filter((r) => r.path.startsWith('/v1/status/')).length, 1, 'one status call, then no polling');
      assert.equal(log.filter((r) => r.path === '/v1/realtime-keys/collection').length, 1);
    });

    it('falls back to polling when the realtime key is refused (a session that is not this collection’s)', async () => {
      const m = await h.merchant();
      const { account, session_id } = await readyToCollect(m, '001');
      const log: Recorded[] = [];
      const dollr = sdk(h, m, { log, onSleep: async () => void (await settleAfter(h, 0)) });
      const e = await dollr.executions.collection({ session_id, payment_account_id: account, currency: 'USD' });
      const final = await dollr.waitForFinal('collection', e.reference_id, { realtime: { session_id: 999_999, source_type: 'INVOICE' } });
      assert.equal(final.status, 'COMPLETED');
      assert.equal(log.find((r) => r.path === '/v1/realtime-keys/collection')?.status, 422);
      assert.ok(log.some((r) => r.path.startsWith('/v1/status/')));
    });
  });
}
