/**
 * Reference data and lookups on a real database (PGlite and PostgreSQL): seeding is idempotent and
 * safe concurrently; the rows in force follow their effective windows; tier fallback; inverse and
 * triangulated FX; admin changes splice the timeline; the cached snapshot answers like the
 * targeted reads and expires.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { ManualClock } from '../../src/clock.js';
import { openServices } from '../../src/server.js';
import type { Ctx } from '../../src/services/context.js';
import { assignTier, createTier, makeDefaultTier, setFxRate, setGatewayFee, setTierRate } from '../../src/services/fee-admin.js';
import { fxFor, gatewayFeeFor, loadSnapshot, loadTargeted, ReferenceCache, type ReferenceSnapshot, tierRateFor } from '../../src/services/fees.js';
import { createMerchant } from '../../src/services/merchants.js';
import { quote, QuoteError, type QuoteInput } from '../../src/services/pricing.js';
import { seedReferenceData, SEED_GATEWAY_FEES, SEED_TIER_RATES } from '../../src/services/seed.js';
import { rows } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { findOwnerTier, findTierByName, gatewayFeeTimeline } from '../../src/store/fees.js';
import { backends } from '../helpers/backends.js';
import { openTestDatabase, testConfig } from '../helpers/server.js';

const T = (iso: string) => new Date(iso);

async function counts(ctx: Ctx) {
  const [r] = await rows<Record<string, number>>(
    ctx.database.db,
    sql`select (select count(*)::int from providers) as providers, (select count(*)::int from gateway_fees) as gateway,
               (select count(*)::int from fee_tiers) as tiers, (select count(*)::int from fee_tier_rates) as rates,
               (select count(*)::int from fx_rates) as fx, (select count(*)::int from fee_tiers where is_default) as defaults`,
  );
  return Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, Number(v)]));
}

for (const backend of backends()) {
  describe(`fees and FX lookups [${backend}]`, () => {
    const clock = new ManualClock(T('2026-01-15T12:00:00Z'));
    let ctx: Ctx;
    let drop: () => Promise<void>;
    let merchant_id: number;

    before(async () => {
      const opened = await openTestDatabase(backend);
      drop = opened.drop;
      ctx = (await openServices(testConfig({ LOG_LEVEL: 'silent' }), { clock, database: opened.database })).ctx;
      merchant_id = (await createMerchant(ctx, { name: 'Lookup Co', type: 'ORGANIZATION', email: 'a@b.test', phone: '231770000009' })).id;
    });
    after(async () => {
      await ctx.database.close();
      await drop();
    });

    const input = (over: Partial<QuoteInput> = {}): QuoteInput => ({
      merchant_id,
      merchant_type: 'ORGANIZATION',
      base_minor: 10_000n,
      base_currency: 'USD',
      payer_currency: 'USD',
      method: 'MTN_MOMO_LBR',
      provider: 'PAWAPAY',
      operation_type: 'COLLECTION',
      fee_bearer: 'PAYER',
      at: clock.now(),
      ...over,
    });

    it('seeds once: a second run and concurrent runs add nothing', async () => {
      const first = await counts(ctx); // openServices already seeded
      assert.deepEqual(first, { providers: 3, gateway: SEED_GATEWAY_FEES.length, tiers: 2, rates: SEED_TIER_RATES.length, fx: 3, defaults: 1 });
      await Promise.all([seedReferenceData(ctx), seedReferenceData(ctx), seedReferenceData(ctx)]);
      assert.deepEqual(await counts(ctx), first);
    });

    it('seeds an empty database exactly once when instances start together', async () => {
      const fresh = await openTestDatabase(backend);
      try {
        await migrate(fresh.database);
        const bare: Ctx = { ...ctx, database: fresh.database };
        await Promise.all([seedReferenceData(bare), seedReferenceData(bare), seedReferenceData(bare)]);
        assert.deepEqual(await counts(bare), { providers: 3, gateway: SEED_GATEWAY_FEES.length, tiers: 2, rates: SEED_TIER_RATES.length, fx: 3, defaults: 1 });
      } finally {
        await fresh.database.close();
        await fresh.drop();
      }
    });

    it('reads the seeded rates in force, with the tier falling back to its any-method row', async () => {
      const at = clock.now();
      const tier = (await findTierByName(ctx.database.db, 'default'))!;
      const snap = await loadTargeted(ctx.database.db, { payment_method: 'CREDIT_CARD', operation_type: 'COLLECTION', tier_id: tier.id }, at);
      const card = gatewayFeeFor(snap, 'STRIPE', 'CREDIT_CARD', 'COLLECTION', at)!;
      assert.equal(card.percentage, '2.9000');
      assert.equal(card.fixed_fee_minor, 30n);
      assert.equal(card.fixed_fee_currency, 'USD');
      assert.equal(tierRateFor(snap, tier.id, 'COLLECTION', 'CREDIT_CARD', at)!.percentage, '1.0000');
      const momo = await loadTargeted(ctx.database.db, { payment_method: 'MTN_MOMO_LBR', operation_type: 'COLLECTION', tier_id: tier.id }, at);
      const fallback = tierRateFor(momo, tier.id, 'COLLECTION', 'MTN_MOMO_LBR', at)!;
      assert.equal(fallback.payment_method, null);
      assert.equal(fallback.percentage, '1.5000');
      // Before the seeds took effect nothing is in force.
      const early = T('2025-12-31T00:00:00Z');
      const none = await loadTargeted(ctx.database.db, { payment_method: 'MTN_MOMO_LBR', operation_type: 'COLLECTION', tier_id: tier.id }, early);
      assert.equal(gatewayFeeFor(none, 'PAWAPAY', 'MTN_MOMO_LBR', 'COLLECTION', early), undefined);
    });

    it('resolves FX direct, inverse and through USD from the stored rates', async () => {
      const at = clock.now();
      const snap = await loadSnapshot(ctx.database.db, at);
      assert.equal(fxFor(snap, 'USD', 'LRD', at)!.path, 'direct');
      const inverse = fxFor(snap, 'RWF', 'USD', at)!;
      assert.equal(inverse.path, 'inverse');
      assert.deepEqual(inverse.rate, { digits: 6920415n, scale: 10 }); // 1/1445 = 0.00069204152…
      const tri = fxFor(snap, 'LRD', 'RWF', at)!;
      assert.equal(tri.path, 'triangulated');
      assert.deepEqual(tri.rows.map((r) => `${r.base_currency}${r.quote_currency}`), ['USDLRD', 'USDRWF']);
    });

    it('finds the owner tier: the default without an assignment, the assigned one after', async () => {
      const before = (await findOwnerTier(ctx.database.db, 'ORGANIZATION', merchant_id))!;
      assert.equal(before.tier.name, 'default');
      assert.equal(before.assignment, null);
      const assigned = await assignTier(ctx, merchant_id, 'growth');
      const after = (await findOwnerTier(ctx.database.db, 'ORGANIZATION', merchant_id))!;
      assert.equal(after.tier.name, 'growth');
      assert.equal(after.assignment!.id, assigned.id);
      // Another owner type with the same id is someone else.
      assert.equal((await findOwnerTier(ctx.database.db, 'MICRO_ORGANIZATION', merchant_id))!.tier.name, 'default');
      const q = await quote(ctx.database.db, input());
      assert.equal(q.rates.tier.name, 'growth');
      assert.equal(q.price.platform_fee_minor, 100n); // growth: 1.0 % of 100.00
      await assignTier(ctx, merchant_id, 'default');
    });

    it('splices an admin change into the timeline: scheduled, then in force, never overlapping', async () => {
      const from = T('2026-02-01T00:00:00Z');
      await setGatewayFee(ctx, { provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', operation: 'COLLECTION', percent: '2.75', from: from.toISOString() });
      const jan = await quote(ctx.database.db, input({ at: T('2026-01-31T23:59:59Z') }));
      const feb = await quote(ctx.database.db, input({ at: from }));
      assert.equal(jan.price.gateway_fee_minor, 300n); // seeded 3.0 %
      assert.equal(feb.price.gateway_fee_minor, 275n);
      // A change dated before the scheduled one ends where that one starts.
      await setGatewayFee(ctx, { provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', operation: 'COLLECTION', percent: '2.5', from: '2026-01-20T00:00:00Z' });
      const provider_id = (await rows<{ id: number }>(ctx.database.db, sql`select id from providers where code = 'PAWAPAY'`))[0]!.id;
      const timeline = await gatewayFeeTimeline(ctx.database.db, { provider_id: Number(provider_id), payment_method: 'MTN_MOMO_LBR', operation_type: 'COLLECTION' });
      assert.deepEqual(
        timeline.map((r) => [r.percentage, r.effective_from.toISOString(), r.effective_to?.toISOString() ?? null]),
        [
          ['3.0000', '2026-01-01T00:00:00.000Z', '2026-01-20T00:00:00.000Z'],
          ['2.5000', '2026-01-20T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
          ['2.7500', '2026-02-01T00:00:00.000Z', null],
        ],
      );
      for (let i = 1; i < timeline.length; i++) assert.equal(timeline[i - 1]!.effective_to!.getTime(), timeline[i]!.effective_from.getTime());
      assert.equal((await quote(ctx.database.db, input({ at: T('2026-01-25T00:00:00Z') }))).price.gateway_fee_minor, 250n);
    });

    it('converts a fixed fee set in another currency once, half-up, and prices tier fixed fees', async () => {
      // Stripe's 0.30 USD on an RWF amount: 0.30 × 1445 = 433.5 → 434 RWF.
      const rwf = await quote(ctx.database.db, input({ base_minor: 100_000n, base_currency: 'RWF', payer_currency: 'RWF', method: 'CREDIT_CARD', provider: 'STRIPE' }));
      assert.equal(rwf.rates.gateway.fixed_in_base_minor, 434n);
      assert.equal(rwf.price.gateway_fee_minor, 2_900n + 434n);
      await createTier(ctx, 'fixed-fee-tier');
      await setTierRate(ctx, { tier: 'fixed-fee-tier', operation: 'COLLECTION', percent: '0', fx_percent: '1', amount: '50', currency: 'LRD', from: '2026-01-01T00:00:00Z' });
      const m2 = (await createMerchant(ctx, { name: 'Fixed Co', type: 'MICRO_ORGANIZATION', email: 'f@b.test', phone: '231770000010' })).id;
      await assignTier(ctx, m2, 'fixed-fee-tier');
      const usd = await quote(ctx.database.db, input({ merchant_id: m2, merchant_type: 'MICRO_ORGANIZATION' }));
      // 50.00 LRD in USD at 1/189.75 (inverse, 10 dp): 5000 × 0.0052700922 = 26.350461 cents → 26.
      assert.equal(usd.rates.platform.fixed_in_base_minor, 26n);
      assert.equal(usd.price.platform_fee_minor, 26n);
    });

    it('refuses what cannot be priced with a QuoteError naming the input', async () => {
      const refusal = async (over: Partial<QuoteInput>) => {
        try {
          await quote(ctx.database.db, input(over));
        } catch (err) {
          assert.ok(err instanceof QuoteError, String(err));
          return [err.problem, err.field];
        }
        assert.fail('expected a QuoteError');
      };
      assert.deepEqual(await refusal({ provider: 'STRIPE' }), ['invalid_method_provider', 'provider']);
      assert.deepEqual(await refusal({ payer_currency: 'RWF' }), ['currency_not_supported_by_method', 'payer_currency']);
      assert.deepEqual(await refusal({ operation_type: 'TRANSFER' }), ['no_gateway_fee', 'operation_type']);
      // 0.10 USD by card with the payee bearing Stripe's 0.30 USD fixed fee.
      assert.deepEqual(await refusal({ fee_bearer: 'PAYEE', base_minor: 10n, method: 'CREDIT_CARD', provider: 'STRIPE' }), ['fees_exceed_amount', 'base_minor']);
      assert.deepEqual(await refusal({ at: T('2025-06-01T00:00:00Z') }), ['no_gateway_fee', 'operation_type']);
    });

    it('answers from a cached snapshot exactly as from targeted reads, until the TTL or a local change', async () => {
      let mono = 0;
      const cache = new ReferenceCache(5000, () => mono);
      const at = clock.now();
      const cached = await quote(ctx.database.db, input({ payer_currency: 'LRD' }), cache);
      const direct = await quote(ctx.database.db, input({ payer_currency: 'LRD' }));
      assert.deepEqual(cached, direct);
      // A change written behind the cache's back (another instance): the snapshot still answers…
      await ctx.database.db.execute(sql`insert into fx_rates (base_currency, quote_currency, rate, effective_from, created_by, created_at) values ('USD', 'LRD', 200, ${T('2026-01-02T00:00:00Z')}, 'other', ${at})`);
      assert.equal((await quote(ctx.database.db, input({ payer_currency: 'LRD' }), cache)).rates.fx!.rate, cached.rates.fx!.rate);
      // …until the TTL passes.
      mono += 5001;
      assert.equal((await quote(ctx.database.db, input({ payer_currency: 'LRD' }), cache)).rates.fx!.rate, '200');
      // Scheduled rows are in the snapshot: a later instant sees them without a reload.
      await setFxRate(ctx, { base: 'USD', quote: 'LRD', rate: '201.5', from: '2026-01-16T00:00:00Z' });
      cache.clear();
      assert.equal((await quote(ctx.database.db, input({ payer_currency: 'LRD' }), cache)).rates.fx!.rate, '200');
      assert.equal((await quote(ctx.database.db, input({ payer_currency: 'LRD', at: T('2026-01-16T00:00:00Z') }), cache)).rates.fx!.rate, '201.5');
      // An instant before the snapshot's horizon reads the database.
      const old = await quote(ctx.database.db, input({ payer_currency: 'LRD', at: T('2026-01-01T12:00:00Z') }), cache);
      assert.equal(old.rates.fx!.rate, '189.75');
    });

    it("prices inside the caller's transaction, cached or not (the execution service does this)", async () => {
      const outside = await quote(ctx.database.db, input({ payer_currency: 'LRD' }));
      for (const cache of [undefined, new ReferenceCache(5000)]) {
        const inside = await ctx.database.transaction((tx) => quote(tx, input({ payer_currency: 'LRD' }), cache));
        assert.deepEqual(inside.price, outside.price);
      }
    });

    it('snapshot and targeted reads agree on every seeded key', async () => {
      const at = clock.now();
      const full: ReferenceSnapshot = await loadSnapshot(ctx.database.db, at);
      const tier = (await findTierByName(ctx.database.db, 'default'))!;
      for (const g of SEED_GATEWAY_FEES) {
        const t = await loadTargeted(ctx.database.db, { payment_method: g.method, operation_type: g.operation, tier_id: tier.id }, at);
        assert.deepEqual(gatewayFeeFor(full, g.provider, g.method, g.operation, at), gatewayFeeFor(t, g.provider, g.method, g.operation, at));
        const [a, b] = [tierRateFor(full, tier.id, g.operation, g.method, at), tierRateFor(t, tier.id, g.operation, g.method, at)];
        assert.deepEqual([a?.id, a?.percentage, a?.fx_percentage], [b?.id, b?.percentage, b?.fx_percentage]);
      }
    });

    it('moves the default flag between tiers, one default at a time', async () => {
      await makeDefaultTier(ctx, 'growth');
      assert.equal((await counts(ctx)).defaults, 1);
      assert.equal((await findTierByName(ctx.database.db, 'growth'))!.is_default, true);
      await makeDefaultTier(ctx, 'default');
      await assert.rejects(createTier(ctx, 'default'), /already exists/);
    });
  });
}
