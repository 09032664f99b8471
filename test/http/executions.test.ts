/**
 * The money core over HTTP: sessions and executions of every type, their failure cases, the
 * idempotency contract under concurrency, no overdraft under a payout storm, and settlement
 * through the sandbox carrier (with the reconciler the server runs). Ledger invariants are
 * checked after every test by the harness.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { ManualClock } from '../../src/clock.js';
import { reconcileDue } from '../../src/jobs/reconcile.js';
import { executionStatus } from '../../src/services/executions.js';
import { fundSandboxWallet } from '../../src/services/merchants.js';
import { rows } from '../../src/store/db.js';
import { backends } from '../helpers/backends.js';
import { Api } from '../helpers/http.js';
import {
  checkoutSession,
  collect,
  completedCollection,
  inMinutes,
  msisdn,
  passcodeBody,
  payout,
  paymentAccount,
  payoutSession,
  publishedInvoice,
  wallet,
} from '../helpers/fixtures.js';
import { counterparty, ok, refusedAt } from '../helpers/objects.js';
import { type Harness, useServer } from '../helpers/server.js';

/** Exact cents of a JSON amount (tests compare integers, never floats). */
const cents = (n: number) => Math.round(n * 100);

async function count(h: Harness, table: 'executions' | 'ledger_transactions' | 'sessions', where = sql`true`): Promise<number> {
  const [r] = await rows<{ n: number }>(h.database.db, sql`select count(*)::int as n from ${sql.identifier(table)} where ${where}`);
  return Number(r!.n);
}

async function settleAfter(h: Harness, ms: number) {
  (h.clock as ManualClock).advance(ms);
  return reconcileDue(h.server.services);
}

for (const backend of backends()) {
  describe(`executions [${backend}]`, () => {
    const h = useServer(backend);

    describe('collection', () => {
      it('completes on an instant number: credits the payee share, marks the invoice PAID, answers status and receipt', async () => {
        const m = await h.merchant();
        const before = await wallet(m.api, 'USD');
        const inv = await publishedInvoice(m, { items: [{ amount: 19.99, qty: 3 }] });
        assert.equal(inv.total_amount, 59.97);
        const account = await paymentAccount(m, { number: msisdn('000') });
        const session_id = await checkoutSession(m, inv);
        const ref = randomUUID();
        const res = await collect(m, session_id, account, 'USD', ref);
        const body = ok(res);
        assert.deepEqual(Object.keys(body).sort(), [
          'client_secret', 'gateway_message', 'operation_type', 'payee_amount', 'payee_currency', 'payer_amount', 'payer_currency',
          'provider_transaction_id', 'reference_id', 'requires_action', 'status', 'wallet_message',
        ]);
        assert.equal(body.status, 'COMPLETED');
        assert.equal(body.operation_type, 'COLLECTION');
        assert.equal(body.reference_id, ref);
        assert.equal(body.payee_amount, 59.97, 'fee_bearer PAYER: the merchant gets the whole total');
        assert.ok(body.payer_amount > 59.97, 'the payer pays the fees on top');
        assert.equal(body.requires_action, false);
        assert.match(res.headers.get('x-payment-intent-id')!, /^\d+$/);

        const after = await wallet(m.api, 'USD');
        assert.equal(cents(after.available_balance) - cents(before.available_balance), 5997);

        const status = ok(await m.api.get(`/v1/status/collection/${ref}`));
        assert.deepEqual(status, body);
        // Later polls of a final execution are answered from the instance's memory: same bytes, same headers.
        const first = await m.api.get(`/v1/status/collection/${ref}`);
        const again = await m.api.get(`/v1/status/collection/${ref}`);
        assert.equal(again.text, first.text);
        assert.deepEqual(JSON.parse(again.text), body);
        for (const name of ['x-payment-intent-id', 'content-type']) assert.equal(again.headers.get(name), res.headers.get(name), name);
        const src = ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: inv.id }));
        assert.equal(src.status, 'PAID');
        assert.equal(src.source_number, inv.number);
        assert.ok(src.paid_at);

        const receipt = ok(await m.api.get(`/v1/invoices/receipt/${inv.id}`));
        assert.equal(receipt.invoice_number, inv.number);
        assert.equal(receipt.payer_amount, body.payer_amount);
        assert.equal(receipt.payee_amount, 59.97);
        assert.equal(receipt.payment_method, 'MTN_MOMO_LBR');
        assert.equal(receipt.provider_transaction_id, body.provider_transaction_id);
        assert.equal(cents(receipt.payer_amount), cents(receipt.payee_amount) + cents(receipt.platform_fee) + cents(receipt.gateway_fee ?? 0));
        const link = ok(await m.api.get('/v1/links/receipt', { source_type: 'INVOICE', source_number: inv.number }));
        assert.match(link.url, /\/receipt\//);
      });

      it('answers a retry with the same execution and moves nothing again; a different payload on the same key is a 422', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m);
        const account = await paymentAccount(m, { number: msisdn('000') });
        const session_id = await checkoutSession(m, inv);
        const ref = randomUUID();
        const first = ok(await collect(m, session_id, account, 'USD', ref));
        const balance = await wallet(m.api, 'USD');
        const again = ok(await collect(m, session_id, account, 'USD', ref));
        assert.deepEqual(again, first);
        assert.deepEqual(await wallet(m.api, 'USD'), balance);
        const upper = ok(await collect(m, session_id, account, 'USD', ref.toUpperCase()));
        assert.equal(upper.reference_id, ref, 'UUID case does not make a new key');

        const other = await paymentAccount(m, { number: msisdn('000') });
        const dup = await collect(m, session_id, other, 'USD', ref);
        refusedAt(dup, 'body.reference_id', /already exists for a different collection/);
        assert.equal(dup.body.detail[0].type, 'value_error.duplicate');
        assert.equal(await count(h, 'executions', sql`reference_id = ${ref}`), 1);
      });

      it('turns 64 identical requests fired at once into exactly one execution and one movement', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m, { items: [{ amount: 12.34 }] });
        const account = await paymentAccount(m, { number: msisdn('000') });
        const session_id = await checkoutSession(m, inv);
        const before = await wallet(m.api, 'USD');
        const ref = randomUUID();
        const all = await Promise.all(Array.from({ length: 64 }, () => collect(m, session_id, account, 'USD', ref)));
        for (const r of all) {
          assert.equal(r.status, 200, r.text);
          assert.equal(r.body.reference_id, ref);
          assert.ok(['PENDING', 'PROCESSING', 'COMPLETED'].includes(r.body.status), r.body.status);
        }
        assert.equal(await count(h, 'executions', sql`reference_id = ${ref}`), 1);
        assert.equal(await count(h, 'ledger_transactions', sql`kind = 'collection' and execution_id = (select id from executions where reference_id = ${ref})`), 1);
        const after = await wallet(m.api, 'USD');
        assert.equal(cents(after.available_balance) - cents(before.available_balance), 1234);
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'COMPLETED');
      });

      it('answers collections that start together each on its own: refusals stay with their request, one invoice and one card attempt pay once', async () => {
        // Requests that arrive together start in one transaction (group commit): what one of them
        // gets wrong must not touch the others, and two that race for one invoice or one card
        // attempt must leave exactly one payment.
        const m = await h.merchant();
        const account = await paymentAccount(m, { number: msisdn('000') });
        const invoices = [];
        for (let i = 0; i < 6; i++) invoices.push(await publishedInvoice(m, { items: [{ amount: 10 }] }));
        const sessions = [];
        for (const inv of invoices) sessions.push(await checkoutSession(m, inv));
        const shared = await publishedInvoice(m, { items: [{ amount: 7 }] });
        const twins = [await checkoutSession(m, shared), await checkoutSession(m, shared)];
        const wrongCurrency = await checkoutSession(m, await publishedInvoice(m, { items: [{ amount: 3 }] }));
        const card = await paymentAccount(m, { method: 'CREDIT_CARD' });
        const cardSessions = [await checkoutSession(m, await publishedInvoice(m)), await checkoutSession(m, await publishedInvoice(m))];
        const before = await wallet(m.api, 'USD');
        const executionsBefore = await count(h, 'executions');

        const [good, unknown, currency, twinAnswers, cardAnswers] = await Promise.all([
          Promise.all(sessions.map((s) => collect(m, s, account))),
          collect(m, 999_999, account),
          collect(m, wrongCurrency, account, 'RWF'),
          Promise.all(twins.map((s) => collect(m, s, account))),
          Promise.all(cardSessions.map((s) => collect(m, s, card))),
        ]);
        for (const r of good) assert.equal(ok(r).status, 'COMPLETED');
        refusedAt(unknown, 'body.session_id', /not found/);
        refusedAt(currency, 'body.currency', /pays in USD or LRD/);
        const paidTwin = twinAnswers.filter((r) => r.status === 200);
        assert.equal(paidTwin.length, 1, twinAnswers.map((r) => r.text).join(' | '));
        assert.equal(paidTwin[0]!.body.status, 'COMPLETED');
        refusedAt(twinAnswers.find((r) => r.status !== 200)!, 'body.session_id', /payment in progress|already paid/);
        const cardOk = cardAnswers.filter((r) => r.status === 200);
        assert.equal(cardOk.length, 1, cardAnswers.map((r) => r.text).join(' | '));
        assert.equal(cardOk[0]!.body.requires_action, true);
        refusedAt(cardAnswers.find((r) => r.status !== 200)!, 'body.payment_account_id', /one attempt/);

        assert.equal(await count(h, 'executions'), executionsBefore + 6 + 1 + 1, 'six invoices, one twin, one card attempt');
        const after = await wallet(m.api, 'USD');
        assert.equal(cents(after.available_balance) - cents(before.available_balance), 6 * 1000 + 700);
        const src = ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: shared.id }));
        assert.equal(src.status, 'PAID');
      });

      it('stays PROCESSING while the payer approves, then completes when the carrier says so', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m);
        const account = await paymentAccount(m, { number: msisdn('001') });
        const ref = randomUUID();
        const res = ok(await collect(m, await checkoutSession(m, inv), account, 'USD', ref));
        assert.equal(res.status, 'PROCESSING');
        assert.ok(res.provider_transaction_id);
        assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: inv.id })).status, 'PROCESSING');
        const cancel = await m.api.delete(`/v1/invoices/cancel/${inv.id}`);
        assert.equal(cancel.status, 422, 'no cancel while a payment is in flight');
        await settleAfter(h, 5_000);
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'PROCESSING');
        await settleAfter(h, 11_000);
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'COMPLETED');
        assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: inv.id })).status, 'PAID');
      });

      it('fails when the payer declines, reopens the invoice, and a new session with a new key can pay it', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m);
        const declined = await paymentAccount(m, { number: msisdn('010') });
        const ref = randomUUID();
        ok(await collect(m, await checkoutSession(m, inv), declined, 'USD', ref));
        await settleAfter(h, 21_000);
        const failed = ok(await m.api.get(`/v1/status/collection/${ref}`));
        assert.equal(failed.status, 'FAILED');
        assert.match(failed.gateway_message, /PAYMENT_NOT_APPROVED/);
        assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: inv.id })).status, 'ACTIVE');
        const good = await paymentAccount(m, { number: msisdn('000') });
        assert.equal(ok(await collect(m, await checkoutSession(m, inv), good)).status, 'COMPLETED');
      });

      it('converts when the payer pays in another currency (USD invoice, LRD payer)', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m, { items: [{ amount: 100 }] });
        const account = await paymentAccount(m, { number: msisdn('000') });
        const prediction = ok(
          await m.api.get('/v1/predictions/payment-source/amount-and-fees', {
            source_type: 'INVOICE', source_id: inv.id, target_currency: 'LRD', payment_method: 'MTN_MOMO_LBR', provider: 'PAWAPAY',
          }),
        );
        const res = ok(await collect(m, await checkoutSession(m, inv), account, 'LRD'));
        assert.equal(res.status, 'COMPLETED');
        assert.equal(res.payer_currency, 'LRD');
        assert.equal(res.payee_currency, 'USD');
        assert.equal(res.payee_amount, 100);
        assert.equal(String(res.payer_amount.toFixed(2)), prediction.payer_amount, 'the execution charges what the prediction showed');
        const receipt = ok(await m.api.get(`/v1/invoices/receipt/${inv.id}`));
        assert.equal(receipt.fx_currency_from, 'USD');
        assert.equal(receipt.fx_currency_to, 'LRD');
        assert.match(receipt.fx_rate, /^\d+(\.\d+)?$/);
      });

      it('refuses bad sessions, accounts and currencies with 422 on the field, writing nothing', async () => {
        const m = await h.merchant();
        const other = await h.merchant();
        const inv = await publishedInvoice(m);
        const account = await paymentAccount(m, { number: msisdn('000') });
        const executionsBefore = await count(h, 'executions');

        refusedAt(await collect(m, 999_999, account), 'body.session_id', /not found/);
        const foreignSession = await checkoutSession(other, await publishedInvoice(other));
        refusedAt(await collect(m, foreignSession, account), 'body.session_id', /not found/);
        const session_id = await checkoutSession(m, inv);
        refusedAt(await collect(m, session_id, 999_999), 'body.payment_account_id', /not found/);
        refusedAt(await collect(m, session_id, account, 'RWF'), 'body.currency', /MTN_MOMO_LBR pays in USD or LRD/);
        const payoutAccount = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
        refusedAt(await collect(m, session_id, payoutAccount), 'body.payment_account_id', /registered for PAYOUT/);
        const payoutSessionId = await payoutSession(m, payoutAccount, 5);
        refusedAt(await collect(m, payoutSessionId, account), 'body.session_id', /PAYOUT session.*executions\/payout/);
        const notUuid = await m.api.post('/v1/executions/collection', { session_id: String(session_id), payment_account_id: String(account), currency: 'USD', reference_id: 'abc' });
        refusedAt(notUuid, 'body.reference_id');
        const wrongTypes = await m.api.post('/v1/executions/collection', { session_id: session_id, payment_account_id: account, currency: 'usd', reference_id: randomUUID() });
        assert.deepEqual(wrongTypes.body.detail.map((d: { loc: string[] }) => d.loc.join('.')).sort(), ['body.currency', 'body.payment_account_id', 'body.session_id']);
        (h.clock as ManualClock).advance(31 * 60_000);
        refusedAt(await collect(m, session_id, account), 'body.session_id', /expired/);
        assert.equal(await count(h, 'executions'), executionsBefore, 'nothing written');

        const idle = ok(await m.api.post('/v1/invoices/create', { counterparty_id: (await counterparty(m.api)).id, currency: 'USD', note: 'x', fee_bearer: 'PAYER', as_payment_link: false }));
        refusedAt(await m.api.post('/v1/sessions/checkout', { source_id: idle.id, source_type: 'INVOICE' }), 'body.source_id', /not published/);
      });

      it('refuses a used session with a new key', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m);
        const account = await paymentAccount(m, { number: msisdn('010') });
        const session_id = await checkoutSession(m, inv);
        ok(await collect(m, session_id, account));
        refusedAt(await collect(m, session_id, account), 'body.session_id', /already executed/);
      });

      it('answers card collections with requires_action and a client_secret', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m);
        const card = await paymentAccount(m, { method: 'CREDIT_CARD' });
        const res = ok(await collect(m, await checkoutSession(m, inv), card));
        assert.equal(res.status, 'PROCESSING');
        assert.equal(res.requires_action, true);
        assert.match(res.client_secret, /^pi_[0-9a-f]+_secret_[0-9a-f]+$/);
        const second = await collect(m, await checkoutSession(m, await publishedInvoice(m)), card);
        refusedAt(second, 'body.payment_account_id', /one attempt/);
      });
    });

    describe('status', () => {
      it('answers 404 for unknown and foreign reference ids, 422 for a malformed one', async () => {
        const a = await h.merchant();
        const b = await h.merchant();
        const { response } = await completedCollection(a);
        assert.equal((await a.api.get(`/v1/status/collection/${randomUUID()}`)).status, 404);
        const foreign = await b.api.get(`/v1/status/collection/${response.reference_id}`);
        assert.equal(foreign.status, 404);
        assert.deepEqual(foreign.body, { detail: 'Not Found' });
        assert.equal((await a.api.get(`/v1/status/payout/${response.reference_id}`)).status, 404, 'keys are per operation');
        refusedAt(await a.api.get('/v1/status/collection/not-a-uuid'), 'path.reference_id');
      });

      it('remembers a final answer per instance; an open execution is read from the database on every poll', async () => {
        const m = await h.merchant();
        const { response } = await completedCollection(m);
        const path = `/v1/status/collection/${response.reference_id}`;
        const first = ok(await m.api.get(path));
        // An edit behind the server's back shows whether a poll read the database.
        await h.database.db.execute(sql`update executions set gateway_message = 'edited' where reference_id = ${response.reference_id}`);
        assert.deepEqual(ok(await m.api.get(path.toUpperCase().replace('/V1/STATUS/COLLECTION/', '/v1/status/collection/'))), first, 'final: answered from memory');

        const inv = await publishedInvoice(m);
        const account = await paymentAccount(m, { number: msisdn('060') });
        const ref = randomUUID();
        const started = ok(await collect(m, await checkoutSession(m, inv), account, 'USD', ref));
        assert.equal(started.status, 'PROCESSING');
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).gateway_message, started.gateway_message);
        await h.database.db.execute(sql`update executions set gateway_message = 'edited' where reference_id = ${ref}`);
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).gateway_message, 'edited', 'open: read on every poll');
      });

      it('reads open executions polled together in one statement, each poll getting its own answer', async () => {
        const a = await h.merchant();
        const b = await h.merchant();
        const refs: string[] = [];
        for (let i = 0; i < 5; i++) {
          const ref = randomUUID();
          const started = ok(await collect(a, await checkoutSession(a, await publishedInvoice(a)), await paymentAccount(a, { number: msisdn('060') }), 'USD', ref));
          assert.equal(started.status, 'PROCESSING');
          refs.push(ref);
        }
        const services = h.server.services;
        const auth = (m: typeof a) => ({ merchant_id: m.merchant_id, api_key_id: 0, verified: true });
        const before = { ...services.statusReads.stats };
        // Submitted in one turn of the event loop: one batch, one statement.
        const answers = await Promise.all([
          ...refs.map((ref) => executionStatus(services, auth(a), 'COLLECTION', ref.toUpperCase())),
          executionStatus(services, auth(a), 'COLLECTION', randomUUID()),
          executionStatus(services, auth(b), 'COLLECTION', refs[0]!), // another merchant's key
          executionStatus(services, auth(a), 'PAYOUT', refs[1]!), // keys are per operation
        ]);
        assert.deepEqual(
          answers.map((row) => row && { ref: row.reference_id, merchant: row.merchant_id, status: row.status }),
          [...refs.map((ref) => ({ ref, merchant: a.merchant_id, status: 'PROCESSING' })), undefined, undefined, undefined],
        );
        assert.equal(services.statusReads.stats.units - before.units, 8);
        assert.equal(services.statusReads.stats.batches - before.batches, 1, 'one statement for the eight polls');

        // Over HTTP, many polls at once answer exactly as one at a time would.
        const polls = await Promise.all(refs.flatMap((ref) => [a.api.get(`/v1/status/collection/${ref}`), b.api.get(`/v1/status/collection/${ref}`)]));
        polls.forEach((res, i) => {
          if (i % 2 === 1) return assert.equal(res.status, 404, 'another merchant reads nothing');
          assert.equal(ok(res).reference_id, refs[i / 2]);
        });
      });
    });

    describe('payout', () => {
      it('completes, debits amount plus fees and pays the amount', async () => {
        const m = await h.merchant();
        const account = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
        const before = await wallet(m.api, 'USD');
        const sess = ok(await m.api.post('/v1/sessions/payout', { payout_account_id: account, amount: 500, currency: 'USD' }));
        assert.equal(sess.wallet_id, before.id, 'the server picks the USD wallet');
        assert.equal(sess.amount, 500);
        assert.ok(Date.parse(sess.expires_at) > h.clock.now().getTime());
        const res = ok(await payout(m, sess.id, account));
        assert.equal(res.status, 'COMPLETED');
        assert.equal(res.operation_type, 'PAYOUT');
        assert.equal(res.payee_amount, 500);
        assert.ok(res.payer_amount > 500);
        const after = await wallet(m.api, 'USD');
        assert.equal(cents(before.available_balance) - cents(after.available_balance), cents(res.payer_amount));
        assert.equal(after.pending_balance, 0);
      });

      it('holds the funds while the carrier works and releases them when it fails', async () => {
        const m = await h.merchant();
        const slow = await paymentAccount(m, { number: msisdn('011'), operation: 'PAYOUT' });
        const before = await wallet(m.api, 'USD');
        const ref = randomUUID();
        const res = ok(await payout(m, await payoutSession(m, slow, 40), slow, ref));
        assert.equal(res.status, 'PROCESSING');
        const held = await wallet(m.api, 'USD');
        assert.equal(cents(held.pending_balance), cents(res.payer_amount));
        assert.equal(cents(before.available_balance) - cents(held.available_balance), cents(res.payer_amount));
        await settleAfter(h, 6_000);
        assert.equal(ok(await m.api.get(`/v1/status/payout/${ref}`)).status, 'FAILED');
        assert.deepEqual(await wallet(m.api, 'USD'), before);
        const rejected = await paymentAccount(m, { number: msisdn('012'), operation: 'PAYOUT' });
        const r2 = ok(await payout(m, await payoutSession(m, rejected, 10), rejected));
        assert.equal(r2.status, 'FAILED');
        assert.match(r2.gateway_message, /RECIPIENT_NOT_FOUND/);
        assert.deepEqual(await wallet(m.api, 'USD'), before);
      });

      it('never overdraws: 40 payouts at once against a small wallet', async () => {
        const m = await h.merchant({ fund: false });
        await fundSandboxWallet(h.server.services.ctx, m.merchant_id, 'USD', '100.00');
        const account = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
        const sessions = [];
        for (let i = 0; i < 40; i++) sessions.push(await payoutSession(m, account, 10));
        const results = await Promise.all(sessions.map((sid) => payout(m, sid, account)));
        const done = results.filter((r) => r.body.status === 'COMPLETED');
        const failed = results.filter((r) => r.body.status === 'FAILED');
        assert.equal(done.length + failed.length, 40, results.map((r) => r.text).join('\n'));
        assert.ok(done.length >= 1 && done.length < 10, `${done.length} completed`);
        for (const f of failed) assert.match(f.body.wallet_message, /Insufficient wallet balance/);
        const spent = done.reduce((s, r) => s + cents(r.body.payer_amount), 0);
        const after = await wallet(m.api, 'USD');
        assert.ok(after.available_balance >= 0);
        assert.equal(cents(after.available_balance), 10_000 - spent);
        assert.ok(cents(after.available_balance) < cents(done[0]!.body.payer_amount), 'every payout that fit went through');
      });

      it('checks the passcode: wrong → 403 with attempts left, then locked; missing → 422', async () => {
        const m = await h.merchant();
        const account = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
        const sid = await payoutSession(m, account, 5);
        for (let i = 1; i <= 4; i++) {
          const r = await payout(m, sid, account, randomUUID(), '000000');
          assert.equal(r.status, 403);
          assert.match(r.body.detail, new RegExp(`${5 - i} attempt`));
        }
        const fifth = await payout(m, sid, account, randomUUID(), '000000');
        assert.equal(fifth.status, 403);
        assert.match(fifth.body.detail, /locked/);
        const correctButLocked = await payout(m, sid, account);
        assert.equal(correctButLocked.status, 403);
        assert.match(correctButLocked.body.detail, /locked/);
        (h.clock as ManualClock).advance(16 * 60_000);
        const sid2 = await payoutSession(m, account, 5);
        assert.equal(ok(await payout(m, sid2, account)).status, 'COMPLETED');

        const noPasscode = await m.api.post('/v1/executions/payout', { session_id: String(sid2), payout_account_id: String(account), reference_id: randomUUID() });
        refusedAt(noPasscode, 'body.passcode');
        const wrongPhone = await m.api.post('/v1/executions/payout', {
          session_id: String(sid2), payout_account_id: String(account), reference_id: randomUUID(),
          passcode: { ...passcodeBody(m), token: { code: m.passcode, phone: '231779999999' } },
        });
        assert.equal(wrongPhone.status, 403);
        assert.equal(await count(h, 'executions', sql`merchant_id = ${m.merchant_id}`), 1);
      });

      it('checks at most 5 of 30 wrong passcodes sent at once, then stays locked', async () => {
        const m = await h.merchant();
        const account = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
        const sid = await payoutSession(m, account, 5);
        const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => payout(m, sid, account, randomUUID(), String(100000 + i))));
        assert.ok(answers.every((r) => r.status === 403), answers.map((r) => r.text).join('\n'));
        const checked = answers.filter((r) => /^Invalid payout passcode/.test(r.body.detail)).length;
        assert.equal(checked, 5, 'every guess past the fifth waits for a slot and then meets the lock');
        const correct = await payout(m, sid, account);
        assert.equal(correct.status, 403);
        assert.match(correct.body.detail, /locked/);
        assert.equal(await count(h, 'executions', sql`merchant_id = ${m.merchant_id}`), 0);
      });

      it('is refused to unverified merchants (403), as are transfers and refunds', async () => {
        const m = await h.merchant({ verified: false });
        const account = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
        const usd = await wallet(m.api, 'USD');
        const calls = [
          m.api.post('/v1/sessions/payout', { payout_account_id: account, amount: 5, currency: 'USD' }),
          m.api.post('/v1/executions/payout', { session_id: '1', payout_account_id: String(account), reference_id: randomUUID(), passcode: passcodeBody(m) }),
          m.api.post('/v1/sessions/transfer', { from_wallet_id: usd.id, to_counterparty_id: 1, amount: 5, currency: 'USD', expires_at: inMinutes(h.clock.now(), 10) }),
          m.api.post('/v1/executions/transfer', { session_id: '1', reference_id: randomUUID() }),
          m.api.post('/v1/sessions/refund', { original_payment_intent_id: 1, amount: 5, expires_at: inMinutes(h.clock.now(), 10) }),
          m.api.post('/v1/executions/refund', { session_id: '1', reference_id: randomUUID() }),
        ];
        for (const r of await Promise.all(calls)) {
          assert.equal(r.status, 403, r.text);
          assert.equal(typeof r.body.detail, 'string');
        }
      });
    });

    describe('transfer', () => {
      it('moves money to a counterparty at once, and fails without overdrawing', async () => {
        const m = await h.merchant();
        const cp = (await counterparty(m.api, { relationship_type: 'BENEFICIARY' })).id;
        const usd = await wallet(m.api, 'USD');
        const sess = ok(await m.api.post('/v1/sessions/transfer', { from_wallet_id: usd.id, to_counterparty_id: cp, amount: 250.5, currency: 'USD', expires_at: inMinutes(h.clock.now(), 10) }));
        assert.equal(sess.from_wallet_id, usd.id);
        const res = ok(await m.api.post('/v1/executions/transfer', { session_id: String(sess.id), reference_id: randomUUID() }));
        assert.equal(res.status, 'COMPLETED');
        assert.equal(res.payee_amount, 250.5);
        const after = await wallet(m.api, 'USD');
        assert.equal(cents(usd.available_balance) - cents(after.available_balance), cents(res.payer_amount));

        const big = ok(await m.api.post('/v1/sessions/transfer', { from_wallet_id: usd.id, to_counterparty_id: cp, amount: 1_000_000, currency: 'USD', expires_at: inMinutes(h.clock.now(), 10) }));
        const failed = ok(await m.api.post('/v1/executions/transfer', { session_id: String(big.id), reference_id: randomUUID() }));
        assert.equal(failed.status, 'FAILED');
        assert.match(failed.wallet_message, /Insufficient wallet balance/);
        assert.deepEqual(await wallet(m.api, 'USD'), after);
      });

      it('validates the caller-supplied expiry and the wallet currency', async () => {
        const m = await h.merchant();
        const cp = (await counterparty(m.api)).id;
        const usd = await wallet(m.api, 'USD');
        const base = { from_wallet_id: usd.id, to_counterparty_id: cp, amount: 1, currency: 'USD' };
        refusedAt(await m.api.post('/v1/sessions/transfer', { ...base, expires_at: inMinutes(h.clock.now(), -1) }), 'body.expires_at', /future/);
        refusedAt(await m.api.post('/v1/sessions/transfer', { ...base, expires_at: inMinutes(h.clock.now(), 60 * 25) }), 'body.expires_at', /24 hours/);
        refusedAt(await m.api.post('/v1/sessions/transfer', { ...base, currency: 'LRD', expires_at: inMinutes(h.clock.now(), 5) }), 'body.currency', /holds USD/);
        refusedAt(await m.api.post('/v1/sessions/transfer', { ...base, amount: 1.001, expires_at: inMinutes(h.clock.now(), 5) }), 'body.amount', /decimal places/);
      });
    });

    describe('refund', () => {
      it('refunds part, then the rest, and refuses more than is left', async () => {
        const m = await h.merchant();
        const paid = await completedCollection(m, { amount: 100 });
        const before = await wallet(m.api, 'USD');
        const expires_at = inMinutes(h.clock.now(), 10);
        const s1 = ok(await m.api.post('/v1/sessions/refund', { original_payment_intent_id: paid.payment_intent_id, amount: 30, reason: 'damaged', expires_at }));
        assert.equal(s1.amount, 30);
        assert.equal(s1.currency, 'USD');
        const r1 = ok(await m.api.post('/v1/executions/refund', { session_id: String(s1.id), reference_id: randomUUID() }));
        assert.equal(r1.status, 'COMPLETED');
        assert.equal(r1.operation_type, 'REFUND');
        refusedAt(await m.api.post('/v1/sessions/refund', { original_payment_intent_id: paid.payment_intent_id, amount: 70.01, expires_at }), 'body.amount', /left to refund.*70\.00 USD/);
        const s2 = ok(await m.api.post('/v1/sessions/refund', { original_payment_intent_id: paid.payment_intent_id, amount: 70, expires_at }));
        assert.equal(ok(await m.api.post('/v1/executions/refund', { session_id: String(s2.id), reference_id: randomUUID() })).status, 'COMPLETED');
        const after = await wallet(m.api, 'USD');
        assert.equal(cents(before.available_balance) - cents(after.available_balance), 10_000);
        refusedAt(await m.api.post('/v1/sessions/refund', { original_payment_intent_id: paid.payment_intent_id, amount: 0.01, expires_at }), 'body.amount');
        refusedAt(await m.api.post('/v1/sessions/refund', { original_payment_intent_id: 999_999, amount: 1, expires_at }), 'body.original_payment_intent_id', /not found/);
      });

      it('lets only what is left through when refunds race', async () => {
        const m = await h.merchant();
        const paid = await completedCollection(m, { amount: 100 });
        const expires_at = inMinutes(h.clock.now(), 10);
        const sessions = [];
        for (let i = 0; i < 3; i++) sessions.push(ok(await m.api.post('/v1/sessions/refund', { original_payment_intent_id: paid.payment_intent_id, amount: 60, expires_at })).id);
        const results = await Promise.all(sessions.map((id) => m.api.post('/v1/executions/refund', { session_id: String(id), reference_id: randomUUID() })));
        const statuses = results.map((r) => r.body.status).sort();
        assert.deepEqual(statuses, ['COMPLETED', 'FAILED', 'FAILED']);
        for (const r of results.filter((x) => x.body.status === 'FAILED')) assert.match(r.body.wallet_message, /exceeds what is left/);
      });
    });

    describe('recovery', () => {
      it('resumes when the carrier was unreachable, with the same carrier key (503 once)', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m);
        const account = await paymentAccount(m, { number: msisdn('050') });
        const ref = randomUUID();
        const first = ok(await collect(m, await checkoutSession(m, inv), account, 'USD', ref));
        assert.equal(first.status, 'PENDING');
        assert.match(first.gateway_message, /unreachable/);
        await settleAfter(h, 6_000);
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'PROCESSING');
        await settleAfter(h, 16_000);
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'COMPLETED');
      });

      it('a status poll resumes a PENDING execution whose carrier call is due, without the reconciler', async () => {
        const m = await h.merchant();
        const account = await paymentAccount(m, { number: msisdn('050') });
        const ref = randomUUID();
        const first = ok(await collect(m, await checkoutSession(m, await publishedInvoice(m)), account, 'USD', ref));
        assert.equal(first.status, 'PENDING');
        // Past its next check, with no reconciler run: the poll itself makes the carrier call (503 once, then accepted).
        (h.clock as ManualClock).advance(6_000);
        const polled = ok(await m.api.get(`/v1/status/collection/${ref}`));
        assert.equal(polled.status, 'PROCESSING');
        assert.equal(polled.reference_id, ref);
        assert.equal(polled.payer_amount, first.payer_amount);
        const [row] = await rows<{ status: string; check_attempts: number }>(h.database.db, sql`select status, check_attempts from executions where reference_id = ${ref}`);
        assert.equal(row!.status, 'PROCESSING');
      });

      it('finds an accepted payment whose initiate answer was lost (late success after our timeout)', async () => {
        const m = await h.merchant();
        const account = await paymentAccount(m, { number: msisdn('040') });
        const ref = randomUUID();
        const first = ok(await collect(m, await checkoutSession(m, await publishedInvoice(m)), account, 'USD', ref));
        assert.equal(first.status, 'PENDING');
        await settleAfter(h, 6_000);
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'PROCESSING');
        await settleAfter(h, 40_000);
        assert.equal(ok(await m.api.get(`/v1/status/collection/${ref}`)).status, 'COMPLETED');
        assert.equal(await count(h, 'ledger_transactions', sql`execution_id = (select id from executions where reference_id = ${ref})`), 1);
      });

      it('fails, moving nothing, when the carrier never receives it (503 forever)', async () => {
        const m = await h.merchant();
        const inv = await publishedInvoice(m);
        const account = await paymentAccount(m, { number: msisdn('051') });
        const ref = randomUUID();
        ok(await collect(m, await checkoutSession(m, inv), account, 'USD', ref));
        // bounded: 8 initiate attempts with backoff (5 s … 5 min) fit in 50 minutes, inside the token's hour
        for (let i = 0; i < 10; i++) await settleAfter(h, 5 * 60_000);
        const end = ok(await m.api.get(`/v1/status/collection/${ref}`));
        assert.equal(end.status, 'FAILED');
        assert.match(end.gateway_message, /CARRIER_UNAVAILABLE/);
        assert.equal(ok(await m.api.get('/v1/status/source', { source_type: 'INVOICE', source_id: inv.id })).status, 'ACTIVE');
      });

      it('finishes PROCESSING executions after a server restart', async () => {
        const m = await h.merchant();
        const account = await paymentAccount(m, { number: msisdn('001') });
        const ref = randomUUID();
        assert.equal(ok(await collect(m, await checkoutSession(m, await publishedInvoice(m)), account, 'USD', ref)).status, 'PROCESSING');
        await h.restart();
        const fresh = new Api(h.baseUrl, m.token);
        await settleAfter(h, 20_000);
        assert.equal(ok(await fresh.get(`/v1/status/collection/${ref}`)).status, 'COMPLETED');
      });
    });
  });
}
