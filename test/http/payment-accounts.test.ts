/**
 * Payment accounts over HTTP: valid method/provider/number/country combinations, reuse of
 * mobile-money and payout accounts (also under concurrency), a new card account per attempt,
 * the number never echoed or logged, parties of other merchants refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { findPaymentAccount } from '../../src/services/payment-accounts.js';
import { rows } from '../../src/store/db.js';
import { backends } from '../helpers/backends.js';
import { locs, ok, party, refusedAt } from '../helpers/objects.js';
import { useServer } from '../helpers/server.js';

const KEYS = ['account_name', 'country_code', 'created_at', 'id', 'is_active', 'method', 'party_id', 'provider', 'updated_at'];
const NUMBER = '231771234567';

for (const backend of backends()) {
  describe(`payment accounts [${backend}]`, () => {
    const h = useServer(backend);
    const create = (api: any, body: Record<string, unknown>, operation_type: string | null = 'COLLECTION') =>
      api.post('/v1/payment-accounts/create', body, operation_type === null ? undefined : { operation_type });

    it('creates a mobile-money account without echoing its number, and reuses it', async () => {
      const m = await h.merchant();
      const p = await party(m.api);
      const body = { account_name: 'Amara MTN Wallet', provider: 'MTN_MOMO_LBR', method: 'MTN_MOMO_LBR', party_id: p.id, country_code: 'LR', insensitive_account_number: NUMBER };
      const res = await create(m.api, body);
      const account = ok(res);
      assert.deepEqual(Object.keys(account).sort(), KEYS);
      assert.equal(account.is_active, true);
      assert.equal(account.country_code, 'LR');
      assert.equal(account.party_id, p.id);
      assert.ok(!res.text.includes(NUMBER), 'the number is never echoed');

      const again = ok(await create(m.api, { ...body, account_name: 'Another name', provider: 'PAWAPAY', country_code: undefined }));
      assert.deepEqual(again, account, 'same party + number + method + operation → the same account, unchanged');
      const payout = ok(await create(m.api, body, 'PAYOUT'));
      assert.notEqual(payout.id, account.id, 'another operation is another account');
      assert.equal(ok(await create(m.api, body, 'PAYOUT')).id, payout.id, 'payout accounts are reused too');
      const otherNumber = ok(await create(m.api, { ...body, insensitive_account_number: '231779999999' }));
      assert.notEqual(otherNumber.id, account.id);
      const derived = ok(await create(m.api, { account_name: 'RW', provider: 'PAWAPAY', method: 'AIRTEL_RWA', party_id: p.id, insensitive_account_number: '250731234567' }));
      assert.equal(derived.country_code, 'RW', 'a mobile-money country is filled in from the method');

      assert.ok(!h.logs.join('').includes(NUMBER), 'the number is never logged');
      const stored = await findPaymentAccount(h.database.db, m.merchant_id, account.id);
      assert.equal(stored?.account_number, NUMBER, 'stored for executions');
    });

    it('gives concurrent requests for the same wallet one account', async () => {
      const m = await h.merchant();
      const p = await party(m.api);
      const body = { account_name: 'W', provider: 'PAWAPAY', method: 'ORANGE_MONEY_LBR', party_id: p.id, insensitive_account_number: '231881234567' };
      const ids = (await Promise.all(Array.from({ length: 10 }, () => create(m.api, body)))).map((r) => ok(r).id);
      assert.equal(new Set(ids).size, 1, `one account, got ${ids}`);
    });

    it('creates a new card account on every attempt, without a number', async () => {
      const m = await h.merchant();
      const p = await party(m.api);
      const card = { account_name: 'Customer Card', provider: 'STRIPE', method: 'CREDIT_CARD', party_id: p.id };
      const first = ok(await create(m.api, card));
      const second = ok(await create(m.api, card));
      assert.notEqual(first.id, second.id);
      assert.equal(first.country_code, null);
      refusedAt(await create(m.api, { ...card, insensitive_account_number: '4242424242424242' }), 'body.insensitive_account_number', /take no account number/);
      assert.equal(ok(await create(m.api, { account_name: 'Wallet', provider: 'PLATFORM', method: 'WALLET', party_id: p.id }, 'TRANSFER')).method, 'WALLET');
    });

    it('refuses each broken rule on its field, writing nothing', async () => {
      const a = await h.merchant();
      const b = await h.merchant();
      const p = await party(a.api);
      const good = { account_name: 'W', provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', party_id: p.id, insensitive_account_number: NUMBER };
      refusedAt(await create(a.api, { ...good, provider: 'STRIPE' }), 'body.provider', /^invalid combination/);
      refusedAt(await create(a.api, { ...good, provider: 'ORANGE_MONEY_LBR' }), 'body.provider', /^invalid combination/);
      refusedAt(await create(a.api, { ...good, insensitive_account_number: undefined }), 'body.insensitive_account_number', /field required for MTN_MOMO_LBR/);
      refusedAt(await create(a.api, { ...good, insensitive_account_number: '+231771234567' }), 'body.insensitive_account_number', /phone numbers/);
      refusedAt(await create(a.api, { ...good, country_code: 'RW' }), 'body.country_code', /LR method/);
      refusedAt(await create(a.api, { ...good, country_code: 'Liberia' }), 'body.country_code');
      refusedAt(await create(a.api, { ...good, method: 'MPESA' }), 'body.method');
      refusedAt(await create(a.api, { ...good, account_name: '  ' }), 'body.account_name', /blank/);
      refusedAt(await create(a.api, { ...good, party_id: (await party(b.api)).id }), 'body.party_id', /^party not found$/);
      refusedAt(await create(a.api, good, null), 'query.operation_type', /field required/);
      refusedAt(await create(a.api, good, 'DEPOSIT'), 'query.operation_type');
      assert.deepEqual(locs(await create(a.api, {})), ['body.account_name', 'body.method', 'body.party_id', 'body.provider']);
      const created = ok(await create(a.api, good));
      assert.equal(await findPaymentAccount(h.database.db, b.merchant_id, created.id), undefined, "another merchant's account is not found");
      const [count] = await rows<{ n: number }>(h.database.db, sql`select count(*)::int as n from payment_accounts where merchant_id = ${a.merchant_id}`);
      assert.equal(count!.n, 1, 'refused requests wrote nothing');
    });
  });
}
