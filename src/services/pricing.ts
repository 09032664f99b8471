/**
 * Quote one money movement: find the rates in force (merchant tier, gateway fee, FX) and price it
 * with the pure rules of src/domain/pricing.ts. Takes an Executor so the execution service can
 * price inside its own transaction; costs one indexed query for the owner's tier plus, without a
 * cached snapshot, three more (gateway fee, tier rates, FX pairs).
 */
import { DomainError, invalid } from '../domain/errors.js';
import {
  COUNTRY_OF_METHOD,
  CURRENCIES_OF_COUNTRY,
  type FeeBearer,
  GATEWAY_OF_METHOD,
  isValidMethodProvider,
  type OperationType,
  type OwnerType,
  type PaymentMethod,
  type Provider,
} from '../domain/enums.js';
import { currencyInfo, formatMinor } from '../domain/money.js';
import { convertMinor, type FeeRule, feeOf, percentOf, percentToPpm, type Price, price, PricingError } from '../domain/pricing.js';
import type { FxPath } from '../domain/rates.js';
import type { Executor } from '../store/db.js';
import type { TierRow } from '../store/fees.js';
import type { Ctx } from './context.js';
import { fxFor, gatewayFeeFor, NO_CACHE, type ReferenceCache, referenceCache, type ReferenceSnapshot, tierRateFor } from './fees.js';

export interface QuoteInput {
  readonly merchant_id: number;
  readonly merchant_type: OwnerType;
  /** The amount in minor units of base_currency (invoice/order total, payout or transfer amount). */
  readonly base_minor: bigint;
  readonly base_currency: string;
  /** The currency that moves through the gateway (a collection's `currency`, a prediction's target). */
  readonly payer_currency: string;
  readonly method: PaymentMethod;
  readonly provider: Provider;
  readonly operation_type: OperationType;
  readonly fee_bearer: FeeBearer;
  /** The instant whose rates apply (the caller's clock). */
  readonly at: Date;
  /** Whose tier prices it; defaults to the merchant itself. */
  readonly owner?: { readonly type: OwnerType; readonly id: number };
}

export interface FeeRateUsed {
  readonly id: number;
  readonly percentage: string; // as stored, e.g. "2.9000"
  readonly fixed_fee_minor: bigint; // in fixed_fee_currency
  readonly fixed_fee_currency: string | null;
  readonly fixed_in_base_minor: bigint; // the fixed part converted into the base currency (once, half-up)
}

export interface QuoteRates {
  readonly at: Date;
  readonly tier: { readonly id: number; readonly name: string; readonly is_default: boolean; readonly assignment_id: number | null };
  readonly platform: FeeRateUsed & { readonly payment_method: string | null; readonly fx_percentage: string };
  readonly gateway: FeeRateUsed & { readonly provider: 'PAWAPAY' | 'STRIPE' | 'PLATFORM' };
  /** null when the payer pays in the base currency. */
  readonly fx: {
    readonly rate: string; // payer currency per base unit, ≤ 10 decimals (what a receipt stores)
    readonly from: string;
    readonly to: string;
    readonly path: FxPath;
    readonly rate_ids: readonly number[];
    readonly markup_percentage: string; // the tier's fx_percentage
  } | null;
}

export interface Quote {
  readonly price: Price;
  readonly rates: QuoteRates;
}

/** Which input a quote problem is about; the caller maps it to its own `loc` (query or body field). */
export type QuoteField = 'base_minor' | 'base_currency' | 'payer_currency' | 'method' | 'provider' | 'operation_type' | 'owner';

export type QuoteProblem =
  | 'invalid_method_provider'
  | 'unsupported_currency'
  | 'currency_not_supported_by_method'
  | 'no_fee_tier'
  | 'no_gateway_fee'
  | 'no_platform_rate'
  | 'fx_rate_missing'
  | 'fees_exceed_amount'
  | 'converted_amount_zero';

/** An expected refusal (→ 422), never a bug: the message says what to change. */
export class QuoteError extends Error {
  constructor(
    readonly problem: QuoteProblem,
    readonly field: QuoteField,
    message: string,
  ) {
    super(message);
    this.name = 'QuoteError';
  }
}

/** A QuoteError as the 422 the docs show, at `[prefix, name of the field]`. */
export function quoteErrorToInvalid(err: QuoteError, prefix: string, names: Partial<Record<QuoteField, string>>): DomainError {
  return invalid([prefix, names[err.field] ?? err.field], err.message, `value_error.pricing.${err.problem}`);
}

function checkInput(input: QuoteInput): void {
  if (input.base_minor <= 0n) throw new Error('assertion: quote of a non-positive amount');
  if (!isValidMethodProvider(input.method, input.provider)) {
    throw new QuoteError(
      'invalid_method_provider',
      'provider',
      `invalid combination: payment_method ${input.method} is carried by provider ${GATEWAY_OF_METHOD[input.method]}, not ${input.provider}`,
    );
  }
  for (const [field, code] of [
    ['base_currency', input.base_currency],
    ['payer_currency', input.payer_currency],
  ] as const) {
    if (!currencyInfo(code)) throw new QuoteError('unsupported_currency', field, `unsupported currency ${code}; this server holds USD, LRD, RWF, NGN`);
  }
  const country = COUNTRY_OF_METHOD[input.method];
  const allowed = country ? CURRENCIES_OF_COUNTRY[country] : undefined;
  if (allowed && !allowed.includes(input.payer_currency)) {
    throw new QuoteError('currency_not_supported_by_method', 'payer_currency', `${input.method} pays in ${allowed.join(' or ')}, not ${input.payer_currency}`);
  }
}

/** A fixed fee set in another currency, in base minor units: converted once, half-up, at the mid rate. */
function fixedInBase(snap: ReferenceSnapshot, fixed_minor: bigint, currency: string | null, base: string, at: Date, what: string): bigint {
  if (fixed_minor === 0n || currency === null || currency === base) return fixed_minor;
  const fx = fxFor(snap, currency, base, at);
  if (!fx) throw new QuoteError('fx_rate_missing', 'base_currency', `no exchange rate from ${currency} to ${base} to convert the ${what} fixed fee; ask the operator to set one`);
  return convertMinor(fixed_minor, currency, base, fx.rate);
}

function ppm(percent: string): bigint {
  const v = percentToPpm(percent);
  if (v === undefined) throw new Error(`assertion: stored percentage ${percent} is not a valid percent`);
  return v;
}

export async function quote(ex: Executor, input: QuoteInput, cache: ReferenceCache = NO_CACHE): Promise<Quote> {
  checkInput(input);
  const { at, method, operation_type, base_currency: base, payer_currency: payer } = input;
  const owner = input.owner ?? { type: input.merchant_type, id: input.merchant_id };
  const owned = await cache.ownerTier(ex, owner.type, owner.id);
  if (!owned) throw new QuoteError('no_fee_tier', 'owner', 'no fee tier applies (no assignment and no default tier); ask the operator to create a default tier');
  const tier: TierRow = owned.tier;

  const snap = await cache.view(ex, { payment_method: method, operation_type, tier_id: tier.id }, at);
  const gateway = GATEWAY_OF_METHOD[method];
  const gatewayRow = gatewayFeeFor(snap, gateway, method, operation_type, at);
  if (!gatewayRow) {
    throw new QuoteError('no_gateway_fee', 'operation_type', `${method} does not support ${operation_type}: no ${gateway} fee is in force for it`);
  }
  const tierRate = tierRateFor(snap, tier.id, operation_type, method, at);
  if (!tierRate) {
    throw new QuoteError('no_platform_rate', 'operation_type', `fee tier ${tier.name} has no platform rate in force for ${operation_type} with ${method}`);
  }
  const fx = base === payer ? undefined : fxFor(snap, base, payer, at);
  if (base !== payer && !fx) throw new QuoteError('fx_rate_missing', 'payer_currency', `no exchange rate from ${base} to ${payer}; pay in ${base} or ask the operator to set a rate`);

  const platformFixed = fixedInBase(snap, tierRate.fixed_fee_minor, tierRate.fixed_fee_currency, base, at, 'platform');
  const gatewayFixed = fixedInBase(snap, gatewayRow.fixed_fee_minor, gatewayRow.fixed_fee_currency, base, at, 'gateway');
  const platform: FeeRule = { percent_ppm: ppm(tierRate.percentage), fixed_minor: platformFixed };
  const gatewayRule: FeeRule = { percent_ppm: ppm(gatewayRow.percentage), fixed_minor: gatewayFixed };
  const fxRule = fx ? { rate: fx.rate, markup_ppm: ppm(tierRate.fx_percentage) } : null;

  let priced: Price;
  try {
    priced = price({ base_minor: input.base_minor, base_currency: base, payer_currency: payer, fee_bearer: input.fee_bearer, platform, gateway: gatewayRule, fx: fxRule });
  } catch (err) {
    if (!(err instanceof PricingError)) throw err;
    if (err.problem === 'fees_exceed_amount') {
      const fees = feeOf(input.base_minor, platform) + feeOf(input.base_minor, gatewayRule) + (fxRule ? percentOf(input.base_minor, fxRule.markup_ppm) : 0n);
      throw new QuoteError(
        'fees_exceed_amount',
        'base_minor',
        `the fees (${formatMinor(fees, base)} ${base}) leave nothing for the payee of ${formatMinor(input.base_minor, base)} ${base}; raise the amount or let the payer bear the fees`,
      );
    }
    if (err.problem === 'converted_amount_zero') {
      throw new QuoteError('converted_amount_zero', 'base_minor', `the amount converts to 0 ${payer}; raise it`);
    }
    throw err; // fx_rate_missing / fx_rate_unexpected cannot happen here: a bug
  }

  return {
    price: priced,
    rates: {
      at,
      tier: { id: tier.id, name: tier.name, is_default: tier.is_default, assignment_id: owned.assignment?.id ?? null },
      platform: {
        id: tierRate.id,
        payment_method: tierRate.payment_method,
        percentage: tierRate.percentage,
        fx_percentage: tierRate.fx_percentage,
        fixed_fee_minor: tierRate.fixed_fee_minor,
        fixed_fee_currency: tierRate.fixed_fee_currency,
        fixed_in_base_minor: platformFixed,
      },
      gateway: {
        id: gatewayRow.id,
        provider: gateway,
        percentage: gatewayRow.percentage,
        fixed_fee_minor: gatewayRow.fixed_fee_minor,
        fixed_fee_currency: gatewayRow.fixed_fee_currency,
        fixed_in_base_minor: gatewayFixed,
      },
      fx: fx
        ? { rate: priced.fx!.rate, from: base, to: payer, path: fx.path, rate_ids: fx.rows.map((r) => r.id), markup_percentage: tierRate.fx_percentage }
        : null,
    },
  };
}

/**
 * How the money core prices a movement inside its transaction: `quote` with this instance's
 * reference cache, expected refusals turned into 422s at the caller's own field names.
 */
export type Pricer = (ex: Executor, input: QuoteInput, names: Partial<Record<QuoteField, string>>) => Promise<Price>;

export function pricerFor(ctx: Ctx): Pricer {
  const cache = referenceCache(ctx);
  return async (ex, input, names) => {
    try {
      return (await quote(ex, input, cache)).price;
    } catch (err) {
      if (err instanceof QuoteError) throw quoteErrorToInvalid(err, 'body', names);
      throw err;
    }
  };
}
