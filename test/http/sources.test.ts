/**
 * Invoices and orders over HTTP — the same suite for both kinds: the whole lifecycle, exact totals,
 * items and their limits, every refusal's 422 location, numbers allocated under concurrency,
 * receipts (refused before PAID; shaped from the paying execution once PAID), and one merchant
 * never reaching another's sources.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ManualClock } from '../../src/clock.js';
import { reconcileDue } from '../../src/jobs/reconcile.js';
import { backends } from '../helpers/backends.js';
import {
  addItem,
  assertNotFound,
  counterparty,
  locs,
  ok,
  published,
  refusedAt,
  source,
  type SourcePath,
} from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

const COMMON_KEYS = [
  'as_payment_link',
  'counterparty_id',
  'created_at',
  'currency',
  'fee_bearer',
  'id',
  'note',
  'owner_id',
  'owner_type',
  'paid_at',
  'reference_id',
  'status',
  'total_amount',
  'updated_at',
];

const KINDS: { path: SourcePath; type: 'INVOICE' | 'ORDER'; prefix: string; number: string; idField: string; items: string; due: boolean }[] = [
  { path: 'invoices', type: 'INVOICE', prefix: 'INV', number: 'invoice_number', idField: 'invoice_id', items: 'invoice_items', due: true },
  { path: 'orders', type: 'ORDER', prefix: 'ORD', number: 'order_number', idField: 'order_id', items: 'order_items', due: false },
];

for (const backend of backends()) {
  for (const k of KINDS) {
    describe(`${k.path} [${backend}]`, () => {
      const h = useServer(backend);
      const base = `/v1/${k.path}`;

      it('walks the lifecycle: create → items → publish → cancel, with the documented fields', async () => {
        const m = await h.merchant();
        const cp = await counterparty(m.api);
        const body: Record<string, unknown> = { counterparty_id: cp.id, currency: 'USD', note: 'Consulting services', fee_bearer: 'PAYER', as_payment_link: true };
        if (k.due) body.due_date = '2026-12-31T23:59:59Z';
        const created = ok(await m.api.post(`${base}/create`, body));
        assert.deepEqual(Object.keys(created).sort(), [...COMMON_KEYS, k.number, ...(k.due ? ['due_date'] : [])].sort());
        assert.equal(created[k.number], `${k.prefix}-2026-00001`);
        assert.equal(created.status, 'IDLE');
        assert.equal(created.total_amount, 0);
        assert.equal(created.owner_id, m.merchant_id);
        assert.equal(created.owner_type, 'ORGANIZATION');
        assert.equal(created.reference_id, null);
        assert.equal(created.paid_at, null);
        if (k.due) assert.equal(created.due_date, '2026-12-31T23:59:59.000Z');

        const item = await addItem(m.api, k.path, created.id, { name: 'Session', qty: 3, amount: 19.99 });
        assert.deepEqual(Object.keys(item).sort(), ['amount', 'created_at', 'currency', 'id', k.idField, 'name', 'qty', 'updated_at'].sort());
        assert.equal(item[k.idField], created.id);
        assert.equal(item.amount, 19.99);
        const second = await addItem(m.api, k.path, created.id, { name: 'Travel', qty: 1, amount: 100 });

        let detail = ok(await m.api.get(`${base}/retrieve/${created.id}`));
        assert.equal(detail.total_amount, 159.97);
        assert.deepEqual(detail[k.items].map((i: any) => i.id), [item.id, second.id]);
        assert.equal(detail.counterparty.id, cp.id);
        assert.equal(detail.counterparty.party.id, cp.party_id);
        assert.deepEqual(ok(await m.api.get(`${base}/retrieve/number/${created[k.number]}`)), detail);

        const changed = ok(await m.api.put(`${base}/${created.id}/items/${second.id}/update`, { qty: 2, name: 'Flights' }));
        assert.equal(changed.qty, 2);
        assert.equal(changed.name, 'Flights');
        assert.equal(changed.amount, 100);
        assert.equal(ok(await m.api.get(`${base}/retrieve/${created.id}`)).total_amount, 259.97);
        assert.deepEqual(ok(await m.api.delete(`${base}/${created.id}/items/${second.id}/remove`)), {});
        assert.equal(ok(await m.api.get(`${base}/retrieve/${created.id}`)).total_amount, 59.97);

        const upd: Record<string, unknown> = { note: 'Updated scope', fee_bearer: 'PAYEE', reference_id: 'po-77' };
        if (k.due) upd.due_date = null;
        const updated = ok(await m.api.put(`${base}/update/${created.id}`, upd));
        assert.equal(updated.note, 'Updated scope');
        assert.equal(updated.fee_bearer, 'PAYEE');
        assert.equal(updated.reference_id, 'po-77');
        if (k.due) assert.equal(updated.due_date, null);

        // The quickstart's fetch sends Content-Type: application/json with no body.
        const pub = await m.api.request('PUT', `${base}/publish/${created.id}`, { headers: { 'content-type': 'application/json' } });
        const active = ok(pub);
        assert.equal(active.status, 'ACTIVE');
        assert.equal(active.total_amount, 59.97);

        refusedAt(await m.api.post(`${base}/${created.id}/items/add`, { name: 'x', currency: 'USD', qty: 1, amount: 1 }), `path.${k.idField}`, /is ACTIVE; only an IDLE/);
        refusedAt(await m.api.put(`${base}/${created.id}/items/${item.id}/update`, { qty: 1 }), `path.${k.idField}`, /is ACTIVE/);
        refusedAt(await m.api.delete(`${base}/${created.id}/items/${item.id}/remove`), `path.${k.idField}`, /is ACTIVE/);
        refusedAt(await m.api.put(`${base}/update/${created.id}`, { note: 'late' }), 'path.id', /is ACTIVE/);
        refusedAt(await m.api.put(`${base}/publish/${created.id}`), 'path.id', /only an IDLE .* can be published/);

        const canceled = ok(await m.api.delete(`${base}/cancel/${created.id}`));
        assert.equal(canceled.status, 'CANCELED');
        refusedAt(await m.api.delete(`${base}/cancel/${created.id}`), 'path.id', /already canceled/);
        refusedAt(await m.api.put(`${base}/publish/${created.id}`), 'path.id', /is CANCELED/);

        const idle = await source(m.api, k.path);
        assert.equal(ok(await m.api.delete(`${base}/cancel/${idle.id}`)).status, 'CANCELED', 'an IDLE source cancels too');
      });

      it('keeps totals exact: 3 × 19.99, 0.1 + 0.2, whole RWF, decimal text as sent', async () => {
        const m = await h.merchant();
        const usd = await source(m.api, k.path);
        await addItem(m.api, k.path, usd.id, { qty: 1, amount: 0.1 });
        await addItem(m.api, k.path, usd.id, { qty: 1, amount: 0.2 });
        assert.equal(ok(await m.api.get(`${base}/retrieve/${usd.id}`)).total_amount, 0.3);
        const raw = await m.api.request('POST', `${base}/${usd.id}/items/add`, {
          raw: '{"name":"Strategy Session","currency":"USD","qty":3,"amount":19.990}',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(ok(raw).amount, 19.99);
        const detail = await m.api.get(`${base}/retrieve/${usd.id}`);
        assert.match(detail.text, /"total_amount":60.27[,}]/);

        const rwf = await source(m.api, k.path, { currency: 'RWF' });
        await addItem(m.api, k.path, rwf.id, { currency: 'RWF', qty: 7, amount: 1500 });
        assert.equal(ok(await m.api.get(`${base}/retrieve/${rwf.id}`)).total_amount, 10500);
        refusedAt(await m.api.post(`${base}/${rwf.id}/items/add`, { name: 'x', currency: 'RWF', qty: 1, amount: 1500.5 }), 'body.amount', /whole numbers/);
        refusedAt(await m.api.post(`${base}/${usd.id}/items/add`, { name: 'x', currency: 'USD', qty: 1, amount: 10.001 }), 'body.amount', /2 decimal places/);
        const [first] = ok(await m.api.get(`${base}/retrieve/${rwf.id}`))[k.items];
        refusedAt(await m.api.put(`${base}/${rwf.id}/items/${first.id}/update`, { amount: 2.5 }), 'body.amount', /RWF amounts are whole numbers/);
        assert.equal(ok(await m.api.put(`${base}/${rwf.id}/items/${first.id}/update`, { amount: 2 })).amount, 2);
        assert.equal(ok(await m.api.get(`${base}/retrieve/${rwf.id}`)).total_amount, 14);
      });

      it('refuses broken create and item requests on their fields, writing nothing', async () => {
        const a = await h.merchant();
        const b = await h.merchant();
        const missing = ['body.as_payment_link', 'body.counterparty_id', 'body.currency', 'body.fee_bearer', 'body.note'];
        assert.deepEqual(locs(await a.api.post(`${base}/create`, {})), missing);
        const theirs = await counterparty(b.api);
        refusedAt(await a.api.post(`${base}/create`, { counterparty_id: theirs.id, currency: 'USD', note: '', fee_bearer: 'PAYER', as_payment_link: false }), 'body.counterparty_id', /^counterparty not found$/);
        const cp = await counterparty(a.api);
        const good = { counterparty_id: cp.id, currency: 'USD', note: '', fee_bearer: 'PAYER', as_payment_link: false };
        refusedAt(await a.api.post(`${base}/create`, { ...good, currency: 'EUR' }), 'body.currency', /unsupported currency EUR/);
        refusedAt(await a.api.post(`${base}/create`, { ...good, currency: 'usd' }), 'body.currency');
        refusedAt(await a.api.post(`${base}/create`, { ...good, fee_bearer: 'BOTH' }), 'body.fee_bearer');
        refusedAt(await a.api.post(`${base}/create`, { ...good, as_payment_link: 'yes' }), 'body.as_payment_link');
        refusedAt(await a.api.post(`${base}/create`, { ...good, note: 'x'.repeat(1001) }), 'body.note', /at most 1000/);
        if (k.due) refusedAt(await a.api.post(`${base}/create`, { ...good, due_date: 'tomorrow' }), 'body.due_date');
        else refusedAt(await a.api.post(`${base}/create`, { ...good, due_date: '2026-12-31T00:00:00Z' }), 'body.due_date', /extra fields/);
        assert.deepEqual(ok(await a.api.get(`${base}/list`)), [], 'nothing was written');

        const s = await source(a.api, k.path);
        const item = { name: 'Session', currency: 'USD', qty: 1, amount: 10 };
        assert.deepEqual(locs(await a.api.post(`${base}/${s.id}/items/add`, {})), ['body.amount', 'body.currency', 'body.name', 'body.qty']);
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, currency: 'LRD' }), 'body.currency', /must be the .* currency USD/);
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, qty: 0 }), 'body.qty');
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, qty: 10_001 }), 'body.qty', /10000/);
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, qty: 1.5 }), 'body.qty');
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, amount: 0 }), 'body.amount');
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, amount: -5 }), 'body.amount');
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, amount: '10' }), 'body.amount');
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, name: ' ' }), 'body.name', /blank/);
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, name: 'x'.repeat(201) }), 'body.name');
        refusedAt(await a.api.post(`${base}/${s.id}/items/add`, { ...item, qty_typo: 1 }), 'body.qty_typo');
        const detail = ok(await a.api.get(`${base}/retrieve/${s.id}`));
        assert.deepEqual(detail[k.items], []);
        assert.equal(detail.total_amount, 0);
        refusedAt(await a.api.put(`${base}/publish/${s.id}`), 'path.id', /has no items; add at least one item/);
        assert.equal(ok(await a.api.get(`${base}/retrieve/${s.id}`)).status, 'IDLE');

        refusedAt(await a.api.put(`${base}/update/${s.id}`, { note: null }), 'body.note');
        refusedAt(await a.api.put(`${base}/update/${s.id}`, { currency: 'LRD' }), 'body.currency', /extra fields/);
        refusedAt(await a.api.get(`${base}/retrieve/0`), 'path.id');
        refusedAt(await a.api.get(`${base}/list`, { status: 'DRAFT' }), 'query.status');
      });

      it('limits items to 100 and the total to the money maximum', async () => {
        const m = await h.merchant();
        const big = await source(m.api, k.path);
        const top = await addItem(m.api, k.path, big.id, { qty: 10_000, amount: 100_000_000 }); // 10^12 USD: the maximum
        assert.equal(ok(await m.api.get(`${base}/retrieve/${big.id}`)).total_amount, 1e12);
        refusedAt(await m.api.post(`${base}/${big.id}/items/add`, { name: 'x', currency: 'USD', qty: 1, amount: 0.01 }), 'body.amount', /total would exceed/);
        await m.api.put(`${base}/${big.id}/items/${top.id}/update`, { qty: 9_999 });
        refusedAt(await m.api.put(`${base}/${big.id}/items/${top.id}/update`, { qty: 10_000, amount: 100_000_000.01 }), 'body.amount', /total would exceed/);
        refusedAt(await m.api.put(`${base}/${big.id}/items/${top.id}/update`, { amount: 1e12 + 1 }), 'body.amount');
        assert.equal(ok(await m.api.get(`${base}/retrieve/${big.id}`)).total_amount, 999_900_000_000);

        const many = await source(m.api, k.path);
        for (let i = 0; i < 100; i++) await addItem(m.api, k.path, many.id, { name: `Line ${i}`, amount: 0.01 });
        refusedAt(await m.api.post(`${base}/${many.id}/items/add`, { name: 'one more', currency: 'USD', qty: 1, amount: 0.01 }), `path.${k.idField}`, /at most 100 items/);
        const detail = ok(await m.api.get(`${base}/retrieve/${many.id}`));
        assert.equal(detail[k.items].length, 100);
        assert.equal(detail.total_amount, 1);
      });

      it('allocates 20 distinct consecutive numbers to 20 concurrent creates, and restarts them each year', async () => {
        const m = await h.merchant();
        const cp = await counterparty(m.api);
        const first = await source(m.api, k.path, { counterparty_id: cp.id });
        const results = await Promise.all(Array.from({ length: 20 }, () => source(m.api, k.path, { counterparty_id: cp.id })));
        const numbers = results.map((r) => r[k.number]).sort();
        const expected = Array.from({ length: 20 }, (_, i) => `${k.prefix}-2026-${String(i + 2).padStart(5, '0')}`);
        assert.equal(first[k.number], `${k.prefix}-2026-00001`);
        assert.deepEqual(numbers, expected);
        const other = await h.merchant();
        assert.equal((await source(other.api, k.path))[k.number], `${k.prefix}-2026-00001`, 'numbers are per merchant');
      });

      it('lists with currency and status filters, paging by id', async () => {
        const m = await h.merchant();
        const usd = await source(m.api, k.path);
        const live = await published(m.api, k.path);
        const lrd = await source(m.api, k.path, { currency: 'LRD' });
        const ids = async (q: Record<string, string | number> = {}) => ok(await m.api.get(`${base}/list`, q)).map((s: any) => s.id);
        assert.deepEqual(await ids(), [usd.id, live.id, lrd.id]);
        assert.deepEqual(await ids({ currency: 'USD' }), [usd.id, live.id]);
        assert.deepEqual(await ids({ status: 'ACTIVE' }), [live.id]);
        assert.deepEqual(await ids({ currency: 'LRD', status: 'ACTIVE' }), []);
        const page = await m.api.get(`${base}/list`, { limit: 1, starting_after: usd.id });
        assert.deepEqual(ok(page).map((s: any) => s.id), [live.id]);
        assert.equal(page.headers.get('x-next-cursor'), String(live.id));
        const listed = ok(await m.api.get(`${base}/list`, { status: 'ACTIVE' }))[0];
        assert.ok(!(k.items in listed) && !('counterparty' in listed), 'list rows are the plain response');
        const other = k.path === 'invoices' ? 'orders' : 'invoices';
        assert.deepEqual(ok(await m.api.get(`/v1/${other}/list`)), [], `${k.path} are not ${other}`);
        assertNotFound(await m.api.get(`/v1/${other}/retrieve/${usd.id}`));
      });

      it('refuses cancel while PROCESSING and once PAID; serves the receipt once PAID', async () => {
        const m = await h.merchant();
        const s = await published(m.api, k.path, {}, { qty: 3, amount: 19.99 });
        refusedAt(await m.api.get(`${base}/receipt/${s.id}`), 'path.id', /is ACTIVE; its receipt exists once it is PAID/);
        refusedAt(await m.api.get(`${base}/receipt/number/${s[k.number]}`), `path.${k.number}`, /is ACTIVE/);

        // A real collection: the payer approves on the handset after 15 s (sandbox number ending 001), paying in LRD.
        const party = ok(await m.api.get(`${base}/retrieve/${s.id}`)).counterparty.party;
        const account = ok(
          await m.api.post('/v1/payment-accounts/create', { account_name: 'Amara MTN Wallet', provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', party_id: party.id, insensitive_account_number: '231881234001' }, { operation_type: 'COLLECTION' }),
        );
        const session = ok(await m.api.post('/v1/sessions/checkout', { source_id: s.id, source_type: k.type }));
        const execution = ok(await m.api.post('/v1/executions/collection', { session_id: String(session.id), payment_account_id: String(account.id), currency: 'LRD', reference_id: crypto.randomUUID() }));
        assert.equal(execution.status, 'PROCESSING');
        refusedAt(await m.api.delete(`${base}/cancel/${s.id}`), 'path.id', /payment is in flight/);
        refusedAt(await m.api.get(`${base}/receipt/${s.id}`), 'path.id', /is PROCESSING/);

        (h.clock as ManualClock).advance(16_000);
        await reconcileDue(h.server.services);
        refusedAt(await m.api.delete(`${base}/cancel/${s.id}`), 'path.id', /paid .* cannot be canceled/);
        const receipt = ok(await m.api.get(`${base}/receipt/${s.id}`));
        const done = ok(await m.api.get(`/v1/status/collection/${execution.reference_id}`));
        assert.equal(done.status, 'COMPLETED');
        assert.deepEqual(ok(await m.api.get(`${base}/receipt/number/${s[k.number]}`)), receipt);
        assert.equal(receipt[k.idField], s.id);
        assert.equal(receipt[k.number], s[k.number]);
        assert.equal(receipt.status, 'PAID');
        assert.equal(receipt.total_amount, 59.97);
        assert.equal(receipt.paid_at, h.clock.now().toISOString());
        assert.equal(receipt.counterparty_name, party.fullname);
        assert.equal(receipt.counterparty_phone, party.phone);
        assert.equal(receipt.payer_amount, done.payer_amount);
        assert.equal(receipt.payer_currency, 'LRD');
        assert.equal(receipt.payee_amount, 59.97);
        assert.equal(receipt.payee_currency, 'USD');
        const c = (n: number) => Math.round(n * 100);
        assert.ok(receipt.platform_fee > 0 && receipt.gateway_fee > 0 && receipt.fx_fee > 0);
        assert.ok(c(receipt.platform_fee) + c(receipt.gateway_fee) + c(receipt.fx_fee) > 0);
        assert.equal(receipt.fx_currency_from, 'USD');
        assert.equal(receipt.fx_currency_to, 'LRD');
        assert.match(receipt.fx_rate, /^\d+(\.\d+)?$/);
        assert.equal(receipt.payment_provider, 'PAWAPAY');
        assert.equal(receipt.payment_method, 'MTN_MOMO_LBR');
        assert.equal(receipt.account_name, 'Amara MTN Wallet');
        assert.equal(receipt.gateway_confirmed_at, h.clock.now().toISOString());
        assert.equal(receipt.provider_transaction_id, done.provider_transaction_id);
        assert.deepEqual(receipt.items.map((i: any) => [i.name, i.qty, i.amount, i.currency]), [['Strategy Session', 3, 19.99, 'USD']]);
        assert.equal('due_date' in receipt, k.due);
        assert.ok(!JSON.stringify(receipt).includes('231881234001'), 'the account number is never shown');
        const paid = ok(await m.api.get(`${base}/retrieve/${s.id}`));
        assert.equal(paid.status, 'PAID');
        assert.equal(paid.paid_at, receipt.paid_at);
      });

      it("answers 404 for another merchant's source and items, on every route", async () => {
        const a = await h.merchant();
        const b = await h.merchant();
        await source(b.api, k.path);
        await source(b.api, k.path);
        const theirs = await source(b.api, k.path); // number …-00003, which `a` (two sources) does not have
        const theirItem = await addItem(b.api, k.path, theirs.id);
        const mine = await source(a.api, k.path);
        const myOther = await source(a.api, k.path);
        const myItem = await addItem(a.api, k.path, myOther.id);
        const item = { name: 'x', currency: 'USD', qty: 1, amount: 1 };
        for (const res of [
          await a.api.get(`${base}/retrieve/${theirs.id}`),
          await a.api.get(`${base}/retrieve/number/${theirs[k.number]}`),
          await a.api.put(`${base}/update/${theirs.id}`, { note: 'mine now' }),
          await a.api.put(`${base}/publish/${theirs.id}`),
          await a.api.delete(`${base}/cancel/${theirs.id}`),
          await a.api.post(`${base}/${theirs.id}/items/add`, item),
          await a.api.put(`${base}/${theirs.id}/items/${theirItem.id}/update`, { qty: 2 }),
          await a.api.delete(`${base}/${theirs.id}/items/${theirItem.id}/remove`),
          await a.api.put(`${base}/${mine.id}/items/${theirItem.id}/update`, { qty: 2 }),
          await a.api.delete(`${base}/${mine.id}/items/${myItem.id}/remove`), // an item of another source of mine
          await a.api.get(`${base}/receipt/${theirs.id}`),
          await a.api.get(`${base}/receipt/number/${theirs[k.number]}`),
          await a.api.get(`${base}/retrieve/number/${k.prefix}-1999-00001`),
        ]) {
          assertNotFound(res);
        }
        const still = ok(await b.api.get(`${base}/retrieve/${theirs.id}`));
        assert.equal(still.status, 'IDLE');
        assert.equal(still.note, 'Consulting');
        assert.equal(still[k.items].length, 1);
        assert.equal(ok(await a.api.get(`${base}/retrieve/${myOther.id}`))[k.items].length, 1);
      });

      it('numbers the first source of a new year from 00001', async () => {
        const m = await h.merchant();
        await source(m.api, k.path);
        (h.clock as ManualClock).set(new Date('2027-01-01T00:00:01Z'));
        const token = ok(await h.anon.post('/v1/jwt/client/obtain/token', { client_id: m.client_id, client_secret: m.client_secret })).access_token;
        const next = await source(m.api.withToken(token), k.path);
        assert.equal(next[k.number], `${k.prefix}-2027-00001`);
      });
    });
  }
}
