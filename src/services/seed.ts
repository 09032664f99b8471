/**
 * Reference data every server needs before its first quote: providers, gateway fees, fee tiers
 * with their platform rates, and FX rates. Run on every start, right after the migrations:
 * it inserts only what is missing (an operator's later change is never overwritten, and a key
 * that already has any row, even a closed one, is left alone), in one transaction holding an
 * advisory lock, so instances starting together on one PostgreSQL seed it exactly once.
 *
 * Where the numbers come from (all effective 2026-01-01T00:00:00Z; operators set their own with
 * `npm run admin -- fees:… / fx:set`):
 *  - STRIPE CREDIT_CARD: 2.9 % + 0.30 USD, Stripe's published standard price for domestic cards
 *    (stripe.com/pricing); Stripe charges nothing to refund (the original fee is not returned).
 *  - PAWAPAY mobile money: pawaPay does not publish a price list (it quotes per merchant and
 *    market). Collections 3.0 % in Liberia and 2.0 % in Rwanda, payouts 2.0 % / 1.5 %, refunds at
 *    the payout price, placed within the 2–3 % collection / 1–2 % payout band that aggregators
 *    publish for MoMo (e.g. Ecobank's developer portal lists MoMo collection at 2.0 %; MTN MoMoPay
 *    Rwanda charges merchants 0.5 % at the operator level, before any aggregator margin).
 *  - PLATFORM WALLET: 0 % (wallet-to-wallet, no external gateway).
 *  - Tiers `default` and `growth`: Dollr publishes no platform prices; these are illustrative.
 *  - FX mid rates per USD, illustrative early-2026 levels: LRD 189.75 (the Central Bank of Liberia
 *    reported L$194–197 in January 2025 and ~L$199.6 from March to May 2025; 189.75 sits in the
 *    180–200 band expected for 2026), RWF 1,445.00 and NGN 1,460.00 (approximate late-2025 market
 *    levels, not checked against an official fixing here). Other pairs are derived (inverse, or
 *    through USD).
 */
import { sql } from 'drizzle-orm';
import type { Ctx } from './context.js';

export const SEED_EFFECTIVE_FROM = new Date('2026-01-01T00:00:00Z');
const SEED_LOCK_KEY = 7_426_911_002; // arbitrary, stable: "dollr reference data"

export const SEED_PROVIDERS = [
  { code: 'PAWAPAY', name: 'pawaPay (mobile money)' },
  { code: 'STRIPE', name: 'Stripe (cards)' },
  { code: 'PLATFORM', name: 'Dollr platform wallet' },
] as const;

interface GatewayFeeSeed {
  provider: string;
  method: string;
  operation: string;
  percentage: string;
  fixed_minor: bigint;
  fixed_currency: string | null;
}

const momo = (method: string, collection: string, payout: string): GatewayFeeSeed[] => [
  { provider: 'PAWAPAY', method, operation: 'COLLECTION', percentage: collection, fixed_minor: 0n, fixed_currency: null },
  { provider: 'PAWAPAY', method, operation: 'PAYOUT', percentage: payout, fixed_minor: 0n, fixed_currency: null },
  { provider: 'PAWAPAY', method, operation: 'REFUND', percentage: payout, fixed_minor: 0n, fixed_currency: null },
];

export const SEED_GATEWAY_FEES: readonly GatewayFeeSeed[] = [
  ...momo('MTN_MOMO_LBR', '3.0', '2.0'),
  ...momo('ORANGE_MONEY_LBR', '3.0', '2.0'),
  ...momo('MTN_MOMO_RWA', '2.0', '1.5'),
  ...momo('AIRTEL_RWA', '2.0', '1.5'),
  ...momo('ORANGE_MONEY_RWA', '2.0', '1.5'),
  { provider: 'STRIPE', method: 'CREDIT_CARD', operation: 'COLLECTION', percentage: '2.9', fixed_minor: 30n, fixed_currency: 'USD' },
  { provider: 'STRIPE', method: 'CREDIT_CARD', operation: 'REFUND', percentage: '0', fixed_minor: 0n, fixed_currency: null },
  ...(['TRANSFER', 'PAYOUT', 'REFUND'] as const).map((operation) => ({
    provider: 'PLATFORM',
    method: 'WALLET',
    operation,
    percentage: '0',
    fixed_minor: 0n,
    fixed_currency: null,
  })),
];

export const SEED_TIERS = [
  { name: 'default', is_default: true },
  { name: 'growth', is_default: false },
] as const;

interface TierRateSeed {
  tier: string;
  operation: string;
  method: string | null;
  percentage: string;
  fx_percentage: string;
}

export const SEED_TIER_RATES: readonly TierRateSeed[] = [
  { tier: 'default', operation: 'COLLECTION', method: null, percentage: '1.5', fx_percentage: '2.0' },
  { tier: 'default', operation: 'COLLECTION', method: 'CREDIT_CARD', percentage: '1.0', fx_percentage: '2.0' },
  { tier: 'default', operation: 'PAYOUT', method: null, percentage: '1.0', fx_percentage: '2.0' },
  { tier: 'default', operation: 'TRANSFER', method: null, percentage: '0.5', fx_percentage: '1.5' },
  { tier: 'default', operation: 'REFUND', method: null, percentage: '0', fx_percentage: '0' },
  { tier: 'growth', operation: 'COLLECTION', method: null, percentage: '1.0', fx_percentage: '1.5' },
  { tier: 'growth', operation: 'PAYOUT', method: null, percentage: '0.75', fx_percentage: '1.5' },
  { tier: 'growth', operation: 'TRANSFER', method: null, percentage: '0.25', fx_percentage: '1.0' },
  { tier: 'growth', operation: 'REFUND', method: null, percentage: '0', fx_percentage: '0' },
];

export const SEED_FX_RATES = [
  { base: 'USD', quote: 'LRD', rate: '189.75' },
  { base: 'USD', quote: 'RWF', rate: '1445.00' },
  { base: 'USD', quote: 'NGN', rate: '1460.00' },
] as const;

/** Insert whatever reference data is missing. Idempotent and safe to run concurrently. */
export async function seedReferenceData(ctx: Ctx): Promise<void> {
  const at = ctx.clock.now();
  const from = SEED_EFFECTIVE_FROM;
  await ctx.database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK_KEY})`);

    // `where not exists` rather than a bare `on conflict`: a skipped row then burns no identity value.
    const providerValues = sql.join(
      SEED_PROVIDERS.map((p) => sql`(${p.code}::text, ${p.name}::text)`),
      sql`, `,
    );
    await tx.execute(sql`
      insert into providers (code, name, created_at, updated_at)
      select v.code, v.name, ${at}::timestamptz, ${at}::timestamptz from (values ${providerValues}) as v(code, name)
      where not exists (select 1 from providers p where p.code = v.code)
      on conflict (code) do nothing`);

    // A tier is seeded as the default only when no tier is the default yet.
    for (const t of SEED_TIERS) {
      await tx.execute(sql`
        insert into fee_tiers (name, is_default, created_at, updated_at)
        select ${t.name}, ${t.is_default} and not exists (select 1 from fee_tiers where is_default), ${at}::timestamptz, ${at}::timestamptz
        where not exists (select 1 from fee_tiers where name = ${t.name})
        on conflict (name) do nothing`);
    }

    const gatewayValues = sql.join(
      SEED_GATEWAY_FEES.map(
        (g) => sql`(${g.provider}::text, ${g.operation}::text, ${g.method}::text, ${g.percentage}::numeric, ${g.fixed_minor.toString()}::bigint, ${g.fixed_currency}::text)`,
      ),
      sql`, `,
    );
    await tx.execute(sql`
      insert into gateway_fees (provider_id, operation_type, payment_method, percentage, fixed_fee_minor, fixed_fee_currency, effective_from, created_at, updated_at)
      select p.id, v.op, v.method, v.pct, v.fixed, v.cur, ${from}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      from (values ${gatewayValues}) as v(provider, op, method, pct, fixed, cur)
      join providers p on p.code = v.provider
      where not exists (
        select 1 from gateway_fees g where g.provider_id = p.id and g.operation_type = v.op and g.payment_method = v.method)`);

    const rateValues = sql.join(
      SEED_TIER_RATES.map((r) => sql`(${r.tier}::text, ${r.operation}::text, ${r.method}::text, ${r.percentage}::numeric, ${r.fx_percentage}::numeric)`),
      sql`, `,
    );
    await tx.execute(sql`
      insert into fee_tier_rates (tier_id, operation_type, payment_method, percentage, fx_percentage, fixed_fee_minor, fixed_fee_currency, effective_from, created_at, updated_at)
      select t.id, v.op, v.method, v.pct, v.fx_pct, 0, null, ${from}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      from (values ${rateValues}) as v(tier, op, method, pct, fx_pct)
      join fee_tiers t on t.name = v.tier
      where not exists (
        select 1 from fee_tier_rates r
        where r.tier_id = t.id and r.operation_type = v.op and r.payment_method is not distinct from v.method)`);

    const fxValues = sql.join(
      SEED_FX_RATES.map((f) => sql`(${f.base}::text, ${f.quote}::text, ${f.rate}::numeric)`),
      sql`, `,
    );
    await tx.execute(sql`
      insert into fx_rates (base_currency, quote_currency, rate, effective_from, created_by, created_at)
      select v.base, v.quote, v.rate, ${from}::timestamptz, 'seed', ${at}::timestamptz
      from (values ${fxValues}) as v(base, quote, rate)
      where not exists (select 1 from fx_rates f where f.base_currency = v.base and f.quote_currency = v.quote)`);
  });
}
