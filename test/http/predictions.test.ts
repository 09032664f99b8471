/**
 * GET /v1/predictions/* over HTTP on both databases: the docs' examples priced exactly (amounts as
 * decimal strings at the currency's exponent), FX and fee-bearer modes, tier pricing, published
 * sources, operator and card detection, and every refusal as 404 or a 422 located in the query.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignTier } from '../../src/services/fee-admin.js';
import { addItem, ok, source as createSource } from '../helpers/objects.js';
import { backends } from '../helpers/backends.js';
import type { MerchantFixture } from '../helpers/server.js';
import { useServer } from '../helpers/server.js';

const AMOUNT = '/v1/predictions/amount-and-fees';
const SOURCE = '/v1/predictions/payment-source/amount-and-fees';
const MMO = '/v1/predictions/mmo-provider-info';
const CARD = '/v1/predictions/card-provider-info';

/** The docs' example query (api/predictions.md): 250 USD by MTN MoMo Liberia, payer bears the fees. */
const DOC_EXAMPLE = {
  base_amount: '250',
  base_currency: 'USD',
  target_currency: 'USD',
  payment_method: 'MTN_MOMO_LBR',
  operation_type: 'COLLECTION',
  provider: 'PAWAPAY',
  fee_bearer: 'PAYER',
};

const detailAt = (body: any, loc: string) => body.detail.find((d: any) => d.loc.join('.') === loc);

for (const backend of backends()) {
  describe(`predictions API [${backend}]`, () => {
    const h = useServer(backend);

    /** A published invoice (or order) of one item through the API; `status` IDLE leaves it a draft, CANCELED cancels it. */
    async function source(
      m: MerchantFixture,
      over: { source_type?: 'INVOICE' | 'ORDER'; currency?: string; fee_bearer?: 'PAYER' | 'PAYEE'; amount?: number; status?: 'IDLE' | 'ACTIVE' | 'CANCELED' } = {},
    ): Promise<number> {
      const path = over.source_type === 'ORDER' ? 'orders' : 'invoices';
      const currency = over.currency ?? 'USD';
      const s = await createSource(m.api, path, { currency, fee_bearer: over.fee_bearer ?? 'PAYER' });
      await addItem(m.api, path, s.id, { currency, amount: over.amount ?? 100 });
      if (over.status === 'IDLE') return s.id;
      ok(await m.api.put(`/v1/${path}/publish/${s.id}`));
      if (over.status === 'CANCELED') ok(await m.api.delete(`/v1/${path}/cancel/${s.id}`));
      return s.id;
    }

    describe('amount-and-fees', () => {
      it("prices the docs' example: fees on top, amounts as strings at the currency's exponent", async () => {
        const m = await h.merchant();
        const res = await m.api.get(AMOUNT, DOC_EXAMPLE);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // default tier 1.5 % (3.75) + pawaPay Liberia 3.0 % (7.50) on top of 250.00
        assert.deepEqual(res.body, {
          payer_amount: '261.25',
          payer_currency: 'USD',
          payee_amount: '250.00',
          payee_currency: 'USD',
          platform_fee: '3.75',
          platform_currency: 'USD',
          fx_fee: null,
          gateway_fee: '7.50',
          gateway_currency: 'USD',
        });
      });

      it('takes the fees out of the total when the payee bears them', async () => {
        const m = await h.merchant();
        const res = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, fee_bearer: 'PAYEE' });
        assert.deepEqual([res.body.payer_amount, res.body.payee_amount, res.body.platform_fee, res.body.gateway_fee], ['250.00', '238.75', '3.75', '7.50']);
      });

      it('converts once into the target currency with the tier FX markup (USD invoice paid in LRD)', async () => {
        const m = await h.merchant();
        const res = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, base_amount: '100', target_currency: 'LRD' });
        assert.equal(res.status, 200);
        // gross = 100 + 1.50 + 3.00 + fx 2 % of 104.50 (2.09) = 106.59 USD × 189.75 = 20,225.4525 → 20,225.45 LRD
        assert.deepEqual(res.body, {
          payer_amount: '20225.45',
          payer_currency: 'LRD',
          payee_amount: '100.00',
          payee_currency: 'USD',
          platform_fee: '1.50',
          platform_currency: 'USD',
          fx_fee: '2.09',
          gateway_fee: '3.00',
          gateway_currency: 'USD',
        });
      });

      it('keeps RWF whole (exponent 0) and prices Stripe cards with the fixed fee converted from USD', async () => {
        const m = await h.merchant();
        const res = await m.api.get(AMOUNT, {
          base_amount: '10000',
          base_currency: 'RWF',
          target_currency: 'RWF',
          payment_method: 'CREDIT_CARD',
          operation_type: 'COLLECTION',
          provider: 'STRIPE',
          fee_bearer: 'PAYER',
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // platform (card row) 1.0 % = 100; Stripe 2.9 % = 290 + 0.30 USD × 1445 = 433.5 → 434
        assert.deepEqual([res.body.payer_amount, res.body.platform_fee, res.body.gateway_fee], ['10824', '100', '724']);
        const mtn = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, base_amount: '1500', base_currency: 'RWF', target_currency: 'RWF', payment_method: 'MTN_MOMO_RWA' });
        assert.deepEqual([mtn.body.payer_amount, mtn.body.platform_fee, mtn.body.gateway_fee], ['1553', '23', '30']); // 22.5 → 23 (half-up)
      });

      it('reads the amount exactly: a large amount keeps every cent', async () => {
        const m = await h.merchant();
        const res = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, base_amount: '999999999999.99' });
        assert.equal(res.status, 200);
        assert.equal(res.body.payee_amount, '999999999999.99');
        // 1.5 % = 14999999999.99985 → 15000000000.00; 3 % = 29999999999.9997 → 30000000000.00
        assert.equal(res.body.payer_amount, '1044999999999.99');
      });

      it('prices wallet transfers with no gateway fee, and accepts the spec quirk provider=MTN_MOMO_LBR', async () => {
        const m = await h.merchant();
        const wallet = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, payment_method: 'WALLET', provider: 'PLATFORM', operation_type: 'TRANSFER' });
        assert.deepEqual([wallet.body.platform_fee, wallet.body.gateway_fee, wallet.body.gateway_currency], ['1.25', null, null]);
        const quirk = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, provider: 'MTN_MOMO_LBR' });
        assert.equal(quirk.status, 200);
        assert.equal(quirk.body.payer_amount, '261.25');
      });

      it("uses the owner's tier: the caller's own, never another merchant's (404)", async () => {
        const m = await h.merchant();
        const other = await h.merchant();
        await assignTier(h.server.services.ctx, m.merchant_id, 'growth');
        const own = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, owner_type: 'ORGANIZATION', owner_id: m.merchant_id });
        assert.equal(own.body.platform_fee, '2.50'); // growth: 1.0 %
        const implicit = await m.api.get(AMOUNT, DOC_EXAMPLE);
        assert.equal(implicit.body.platform_fee, '2.50');
        const theirs = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, owner_type: 'ORGANIZATION', owner_id: other.merchant_id });
        assert.deepEqual([theirs.status, theirs.body], [404, { detail: 'Not Found' }]);
        const wrongType = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, owner_type: 'USER', owner_id: m.merchant_id });
        assert.equal(wrongType.status, 404);
      });

      it('refuses amounts its currency cannot hold, with 422 on query.base_amount', async () => {
        const m = await h.merchant();
        for (const [amount, currency, type] of [
          ['250.001', 'USD', 'value_error.decimal.max_places'],
          ['1500.5', 'RWF', 'value_error.decimal.max_places'],
          ['0', 'USD', 'value_error.number.not_gt'],
          ['-5', 'USD', 'value_error.number.not_gt'],
          ['abc', 'USD', 'type_error.number'],
          ['2e12', 'USD', 'value_error.number.not_le'],
        ]) {
          const res = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, base_amount: amount, base_currency: currency, target_currency: currency });
          assert.equal(res.status, 422, `${amount} ${currency}`);
          assert.equal(detailAt(res.body, 'query.base_amount')?.type, type, `${amount} ${currency}: ${JSON.stringify(res.body)}`);
        }
      });

      it('lists every missing or malformed field, each at its query loc', async () => {
        const m = await h.merchant();
        const none = await m.api.get(AMOUNT);
        assert.equal(none.status, 422);
        assert.deepEqual(
          none.body.detail.map((d: any) => d.loc.join('.')).sort(),
          ['base_amount', 'base_currency', 'fee_bearer', 'operation_type', 'payment_method', 'provider', 'target_currency'].map((f) => `query.${f}`),
        );
        const bad = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, target_currency: 'usd', base_currency: 'EUR', fee_bearer: 'BOTH' });
        assert.equal(detailAt(bad.body, 'query.target_currency').type, 'value_error.str.regex');
        assert.equal(detailAt(bad.body, 'query.base_currency').type, 'value_error.currency');
        assert.equal(detailAt(bad.body, 'query.fee_bearer').type, 'type_error.enum');
      });

      it('refuses what cannot be priced: method/provider, market currency, unsupported operation, fees above the amount', async () => {
        const m = await h.merchant();
        const cases: [Record<string, string>, string, RegExp][] = [
          [{ provider: 'STRIPE' }, 'query.provider', /invalid combination: payment_method MTN_MOMO_LBR is carried by provider PAWAPAY/],
          [{ payment_method: 'CREDIT_CARD', provider: 'PAWAPAY' }, 'query.provider', /invalid combination/],
          [{ target_currency: 'RWF' }, 'query.target_currency', /MTN_MOMO_LBR pays in USD or LRD/],
          [{ operation_type: 'TRANSFER' }, 'query.operation_type', /MTN_MOMO_LBR does not support TRANSFER/],
          [{ payment_method: 'CREDIT_CARD', provider: 'STRIPE', fee_bearer: 'PAYEE', base_amount: '0.10' }, 'query.base_amount', /leave nothing for the payee/],
        ];
        for (const [over, loc, msg] of cases) {
          const res = await m.api.get(AMOUNT, { ...DOC_EXAMPLE, ...over });
          assert.equal(res.status, 422, JSON.stringify(over));
          assert.equal(res.body.detail.length, 1);
          assert.equal(res.body.detail[0].loc.join('.'), loc, JSON.stringify(res.body));
          assert.match(res.body.detail[0].msg, msg);
        }
      });
    });

    describe('payment-source/amount-and-fees', () => {
      it("prices a published invoice from its total, currency and fee bearer", async () => {
        const m = await h.merchant();
        const id = await source(m);
        const res = await m.api.get(SOURCE, { source_type: 'INVOICE', source_id: id, target_currency: 'USD', payment_method: 'CREDIT_CARD', provider: 'STRIPE' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // 100.00 + 1.00 (card tier row) + 2.90 + 0.30
        assert.deepEqual([res.body.payer_amount, res.body.payee_amount, res.body.platform_fee, res.body.gateway_fee], ['104.20', '100.00', '1.00', '3.20']);
        const lrd = await m.api.get(SOURCE, { source_type: 'INVOICE', source_id: id, target_currency: 'LRD', payment_method: 'MTN_MOMO_LBR', provider: 'PAWAPAY' });
        assert.equal(lrd.body.payer_currency, 'LRD');
        assert.equal(lrd.body.payee_amount, '100.00');
        assert.notEqual(lrd.body.fx_fee, null);
        const payee = await source(m, { source_type: 'ORDER', fee_bearer: 'PAYEE', currency: 'RWF', amount: 5000 });
        const rwf = await m.api.get(SOURCE, { source_type: 'ORDER', source_id: payee, target_currency: 'RWF', payment_method: 'AIRTEL_RWA', provider: 'PAWAPAY' });
        assert.deepEqual([rwf.body.payer_amount, rwf.body.payee_amount, rwf.body.platform_fee, rwf.body.gateway_fee], ['5000', '4825', '75', '100']);
      });

      it('answers 404 for sources the caller cannot see and 422 for sources that cannot be paid', async () => {
        const m = await h.merchant();
        const other = await h.merchant();
        const theirs = await source(other);
        const q = { target_currency: 'USD', payment_method: 'CREDIT_CARD', provider: 'STRIPE' };
        assert.equal((await m.api.get(SOURCE, { ...q, source_type: 'INVOICE', source_id: theirs })).status, 404);
        assert.equal((await m.api.get(SOURCE, { ...q, source_type: 'INVOICE', source_id: 987654 })).status, 404);
        const mine = await source(m);
        assert.equal((await m.api.get(SOURCE, { ...q, source_type: 'ORDER', source_id: mine })).status, 404);

        for (const status of ['IDLE', 'CANCELED'] as const) {
          const id = await source(m, { status });
          const res = await m.api.get(SOURCE, { ...q, source_type: 'INVOICE', source_id: id });
          assert.equal(res.status, 422, status);
          assert.deepEqual(res.body.detail[0].loc, ['query', 'source_id']);
          assert.match(res.body.detail[0].msg, new RegExp(status));
        }
        const sub = await m.api.get(SOURCE, { ...q, source_type: 'SUBSCRIPTION', source_id: mine });
        assert.deepEqual([sub.status, sub.body.detail[0].loc], [422, ['query', 'source_type']]);
        const bad = await m.api.get(SOURCE, { ...q, source_type: 'RECEIPT', source_id: 'x' });
        assert.deepEqual(bad.body.detail.map((d: any) => d.loc.join('.')).sort(), ['query.source_id', 'query.source_type']);
        const combo = await m.api.get(SOURCE, { ...q, provider: 'PAWAPAY', source_type: 'INVOICE', source_id: mine });
        assert.deepEqual([combo.status, combo.body.detail[0].loc], [422, ['query', 'provider']]);
      });
    });

    describe('mmo-provider-info', () => {
      it("detects the operator from the number's prefix", async () => {
        const m = await h.merchant();
        const lr = await m.api.get(MMO, { phone: '231771234567', operation_type: 'COLLECTION' });
        assert.equal(lr.status, 200);
        assert.deepEqual(lr.body, {
          carrier: 'Orange',
          country: 'LR',
          currencies: ['USD', 'LRD'],
          phone: '231771234567',
          payment_method: 'ORANGE_MONEY_LBR',
          gateway_provider: 'PAWAPAY',
          operation_type: 'COLLECTION',
        });
        const mtn = await m.api.get(MMO, { phone: '231886123456', operation_type: 'PAYOUT' });
        assert.deepEqual([mtn.body.carrier, mtn.body.payment_method, mtn.body.operation_type], ['MTN', 'MTN_MOMO_LBR', 'PAYOUT']);
        const rw = await m.api.get(MMO, { phone: '250731234567', operation_type: 'COLLECTION' });
        assert.deepEqual([rw.body.carrier, rw.body.country, rw.body.currencies, rw.body.payment_method], ['Airtel', 'RW', ['RWF'], 'AIRTEL_RWA']);
      });

      it('refuses other markets and unallocated prefixes with 422 on query.phone naming the supported markets', async () => {
        const m = await h.merchant();
        for (const phone of ['2348031234567', '231551234567', '23177123456', '250751234567']) {
          const res = await m.api.get(MMO, { phone, operation_type: 'COLLECTION' });
          assert.equal(res.status, 422, phone);
          assert.deepEqual(res.body.detail[0].loc, ['query', 'phone']);
          assert.match(res.body.detail[0].msg, /Liberia \+231 .* Rwanda \+250/);
        }
        const plus = await m.api.get(MMO, { phone: '+231771234567', operation_type: 'COLLECTION' });
        assert.equal(detailAt(plus.body, 'query.phone').type, 'value_error.str.regex');
        const missing = await m.api.get(MMO, { phone: '231771234567' });
        assert.deepEqual(missing.body.detail.map((d: any) => d.loc.join('.')), ['query.operation_type']);
      });
    });

    describe('card-provider-info', () => {
      it('answers brand, country and routing for sandbox PaymentMethod ids', async () => {
        const m = await h.merchant();
        const res = await m.api.get(CARD, { payment_method_id: 'pm_card_visa', operation_type: 'COLLECTION', provider: 'STRIPE' });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { brand: 'visa', country: 'US', currencies: ['USD', 'LRD', 'RWF', 'NGN'], payment_method: 'CREDIT_CARD', gateway_provider: 'STRIPE' });
        const gb = await m.api.get(CARD, { payment_method_id: 'pm_card_gb', operation_type: 'COLLECTION', provider: 'STRIPE' });
        assert.deepEqual([gb.body.brand, gb.body.country], ['visa', 'GB']);
        const amex = await m.api.get(CARD, { payment_method_id: 'pm_card_amex', operation_type: 'COLLECTION', provider: 'STRIPE' });
        assert.equal(amex.body.brand, 'amex');
      });

      it('refuses unknown ids and other providers with 422 on their query field', async () => {
        const m = await h.merchant();
        const unknown = await m.api.get(CARD, { payment_method_id: 'pm_card_nope', operation_type: 'COLLECTION', provider: 'STRIPE' });
        assert.deepEqual([unknown.status, unknown.body.detail[0].loc], [422, ['query', 'payment_method_id']]);
        assert.match(unknown.body.detail[0].msg, /pm_card_visa/);
        const provider = await m.api.get(CARD, { payment_method_id: 'pm_card_visa', operation_type: 'COLLECTION', provider: 'PAWAPAY' });
        assert.deepEqual([provider.status, provider.body.detail[0].loc], [422, ['query', 'provider']]);
        const malformed = await m.api.get(CARD, { payment_method_id: 'card_visa', operation_type: 'COLLECTION', provider: 'STRIPE' });
        assert.equal(detailAt(malformed.body, 'query.payment_method_id').type, 'value_error.str.regex');
      });
    });

    it('documents every prediction and fee path in /openapi.json', async () => {
      const res = await h.anon.get('/openapi.json');
      for (const path of ['/v1/predictions/amount-and-fees', '/v1/predictions/payment-source/amount-and-fees', '/v1/predictions/mmo-provider-info', '/v1/predictions/card-provider-info', '/v1/fees/gateway', '/v1/fees/platform', '/v1/fees/merchant-tier', '/v1/fees/tiers']) {
        assert.ok(res.body.paths[path]?.get, path);
        assert.ok(res.body.paths[path].get.responses['422'], path);
      }
    });
  });
}
