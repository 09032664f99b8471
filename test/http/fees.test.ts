/**
 * GET /v1/fees/* over HTTP on both databases: field names and JSON types, filters, the caller's
 * own tier only (404 otherwise), and 422s located in the query.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignTier, setGatewayFee } from '../../src/services/fee-admin.js';
import { getMerchant } from '../../src/services/merchants.js';
import { SEED_GATEWAY_FEES } from '../../src/services/seed.js';
import { backends } from '../helpers/backends.js';
import { useServer } from '../helpers/server.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const locs = (body: any) => body.detail.map((d: any) => d.loc.join('.')).sort();

for (const backend of backends()) {
  describe(`fees API [${backend}]`, () => {
    const h = useServer(backend);

    it('lists the gateway fees in force with the FeeWithProviderResponse fields', async () => {
      const m = await h.merchant();
      const all = await m.api.get('/v1/fees/gateway');
      assert.equal(all.status, 200);
      assert.equal(all.body.length, SEED_GATEWAY_FEES.length);

      const momo = await m.api.get('/v1/fees/gateway', { payment_method: 'MTN_MOMO_LBR', operation_type: 'COLLECTION' });
      assert.equal(momo.status, 200);
      assert.equal(momo.body.length, 1);
      const row = momo.body[0];
      assert.deepEqual(Object.keys(row).sort(), [
        'created_at', 'effective_from', 'effective_to', 'fixed_fee', 'fixed_fee_currency', 'id', 'operation_type', 'payment_method', 'percentage', 'provider_id', 'updated_at',
      ]);
      assert.equal(typeof row.id, 'number');
      assert.equal(typeof row.provider_id, 'number');
      assert.equal(row.percentage, '3.0000');
      assert.equal(row.fixed_fee, '0');
      assert.equal(row.fixed_fee_currency, null);
      assert.equal(row.effective_to, null);
      assert.match(row.effective_from, ISO);
      assert.match(row.created_at, ISO);

      const card = await m.api.get('/v1/fees/gateway', { payment_method: 'CREDIT_CARD', operation_type: 'COLLECTION' });
      assert.deepEqual([card.body[0].percentage, card.body[0].fixed_fee, card.body[0].fixed_fee_currency], ['2.9000', '0.30', 'USD']);
      const cards = await m.api.get('/v1/fees/gateway', { payment_method: 'CREDIT_CARD' });
      assert.deepEqual(cards.body.map((r: any) => r.operation_type).sort(), ['COLLECTION', 'REFUND']);
    });

    it('shows a changed gateway fee once it is in force, not before', async () => {
      const m = await h.merchant();
      const ctx = h.server.services.ctx;
      const from = new Date(h.clock.now().getTime() + 60_000);
      await setGatewayFee(ctx, { provider: 'PAWAPAY', method: 'AIRTEL_RWA', operation: 'PAYOUT', percent: '1.25', from: from.toISOString() });
      const now = await m.api.get('/v1/fees/gateway', { payment_method: 'AIRTEL_RWA', operation_type: 'PAYOUT' });
      assert.equal(now.body[0].percentage, '1.5000');
      assert.match(now.body[0].effective_to, ISO);
      (h.clock as any).advance(60_000);
      const later = await m.api.get('/v1/fees/gateway', { payment_method: 'AIRTEL_RWA', operation_type: 'PAYOUT' });
      assert.equal(later.body.length, 1);
      assert.equal(later.body[0].percentage, '1.2500');
      assert.equal(later.body[0].effective_from, from.toISOString());
    });

    it('lists platform rates with their tier embedded, filtered by operation and tier name', async () => {
      const m = await h.merchant();
      const res = await m.api.get('/v1/fees/platform', { operation_type: 'COLLECTION', fee_tier_name: 'default' });
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 2);
      const any = res.body.find((r: any) => r.payment_method === null);
      const card = res.body.find((r: any) => r.payment_method === 'CREDIT_CARD');
      assert.deepEqual(Object.keys(any).sort(), [
        'created_at', 'effective_from', 'effective_to', 'fixed_fee', 'fixed_fee_currency', 'fx_percentage', 'id', 'operation_type', 'payment_method', 'percentage', 'tier',
      ]);
      assert.deepEqual([any.percentage, any.fx_percentage, any.fixed_fee, any.fixed_fee_currency], ['1.5000', '2.0000', '0', null]);
      assert.equal(card.percentage, '1.0000');
      assert.deepEqual(Object.keys(any.tier).sort(), ['created_at', 'id', 'is_default', 'name', 'updated_at']);
      assert.deepEqual([any.tier.name, any.tier.is_default], ['default', true]);

      const growth = await m.api.get('/v1/fees/platform', { fee_tier_name: 'growth' });
      assert.deepEqual(growth.body.map((r: any) => r.operation_type).sort(), ['COLLECTION', 'PAYOUT', 'REFUND', 'TRANSFER']);
      const everything = await m.api.get('/v1/fees/platform');
      assert.equal(everything.body.length, 9);
      const unknown = await m.api.get('/v1/fees/platform', { fee_tier_name: 'no-such-tier' });
      assert.deepEqual([unknown.status, unknown.body], [200, []]);
    });

    it('lists the tiers', async () => {
      const m = await h.merchant();
      const res = await m.api.get('/v1/fees/tiers');
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.map((t: any) => [t.name, t.is_default]),
        [
          ['default', true],
          ['growth', false],
        ],
      );
      assert.equal(typeof res.body[0].id, 'number');
      assert.match(res.body[0].updated_at, ISO);
    });

    it("answers the caller's own tier: the default without an assignment, then the assigned one", async () => {
      const m = await h.merchant();
      const merchant = (await getMerchant(h.server.services.ctx, m.merchant_id))!;
      const res = await m.api.get('/v1/fees/merchant-tier', { owner_type: m.merchant_type, owner_id: m.merchant_id });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        id: 0,
        owner_type: 'ORGANIZATION',
        owner_id: m.merchant_id,
        assigned_at: merchant.created_at.toISOString(),
        assigned_by: 'system',
        tier: res.body.tier,
      });
      assert.equal(res.body.tier.name, 'default');

      const assigned = await assignTier(h.server.services.ctx, m.merchant_id, 'growth');
      const after = await m.api.get('/v1/fees/merchant-tier', { owner_type: m.merchant_type, owner_id: m.merchant_id });
      assert.equal(after.body.id, assigned.id);
      assert.ok(after.body.id > 0);
      assert.equal(after.body.assigned_by, 'admin-cli');
      assert.equal(after.body.tier.name, 'growth');
    });

    it("answers 404 for another owner's tier and 422 for malformed queries", async () => {
      const m = await h.merchant();
      const other = await h.merchant();
      const theirs = await m.api.get('/v1/fees/merchant-tier', { owner_type: 'ORGANIZATION', owner_id: other.merchant_id });
      assert.deepEqual([theirs.status, theirs.body], [404, { detail: 'Not Found' }]);
      const wrongType = await m.api.get('/v1/fees/merchant-tier', { owner_type: 'MICRO_ORGANIZATION', owner_id: m.merchant_id });
      assert.equal(wrongType.status, 404);
      const user = await m.api.get('/v1/fees/merchant-tier', { owner_type: 'USER', owner_id: m.merchant_id });
      assert.equal(user.status, 404);

      const missing = await m.api.get('/v1/fees/merchant-tier');
      assert.equal(missing.status, 422);
      assert.deepEqual(locs(missing.body), ['query.owner_id', 'query.owner_type']);
      const notInt = await m.api.get('/v1/fees/merchant-tier', { owner_type: 'ORGANIZATION', owner_id: 'abc' });
      assert.deepEqual(locs(notInt.body), ['query.owner_id']);
      const badEnum = await m.api.get('/v1/fees/gateway', { payment_method: 'PAYPAL', operation_type: 'SOMETHING' });
      assert.equal(badEnum.status, 422);
      assert.deepEqual(locs(badEnum.body), ['query.operation_type', 'query.payment_method']);
      assert.equal(badEnum.body.detail[0].type, 'type_error.enum');
      const badOp = await m.api.get('/v1/fees/platform', { operation_type: 'collection' });
      assert.deepEqual(locs(badOp.body), ['query.operation_type']);
    });

    it('needs the bearer token', async () => {
      for (const path of ['/v1/fees/gateway', '/v1/fees/platform', '/v1/fees/tiers', '/v1/fees/merchant-tier']) {
        const res = await h.anon.get(path);
        assert.deepEqual([res.status, res.body], [401, { detail: 'Not authenticated' }], path);
      }
    });
  });
}
