/**
 * GET /v1/predictions/* use cases: fee and FX previews priced exactly as an execution would be
 * (same quote(), same rates at the same instant), and operator/card detection. Read-only.
 */
import { invalid, notFound } from '../domain/errors.js';
import { sandboxCard, SANDBOX_CARD_EXAMPLES } from '../domain/cards.js';
import {
  type FeeBearer,
  GATEWAY_OF_METHOD,
  isValidMethodProvider,
  type OperationType,
  type OwnerType,
  type PaymentMethod,
  type Provider,
  type SourceType,
  SOURCE_TYPES,
} from '../domain/enums.js';
import { CURRENCY_CODES, formatMinor } from '../domain/money.js';
import { describeNumberingProblem, operatorOf } from '../domain/numbering.js';
import { findSource } from '../store/sources.js';
import type { Ctx } from './context.js';
import { referenceCache } from './fees.js';
import { getMerchant } from './merchants.js';
import { type Quote, quote, QuoteError, type QuoteField, quoteErrorToInvalid } from './pricing.js';

export interface PredictionAmounts {
  payer_amount: string;
  payer_currency: string;
  payee_amount: string;
  payee_currency: string;
  platform_fee: string;
  platform_currency: string;
  fx_fee: string | null;
  gateway_fee: string | null;
  gateway_currency: string | null;
}

/**
 * The response's amounts: decimal strings at the currency's exponent ("255.00", "1500"). Fees are
 * in the base currency, where they are computed. fx_fee is null without FX; gateway_fee and
 * gateway_currency are null for PLATFORM (wallet) movements, which use no external gateway.
 */
export function predictionAmounts(q: Quote): PredictionAmounts {
  const p = q.price;
  const base = p.payee_currency;
  const external = q.rates.gateway.provider !== 'PLATFORM';
  return {
    payer_amount: formatMinor(p.payer_minor, p.payer_currency),
    payer_currency: p.payer_currency,
    payee_amount: formatMinor(p.payee_minor, base),
    payee_currency: base,
    platform_fee: formatMinor(p.platform_fee_minor, base),
    platform_currency: base,
    fx_fee: p.fx ? formatMinor(p.fx_fee_minor, base) : null,
    gateway_fee: external ? formatMinor(p.gateway_fee_minor, base) : null,
    gateway_currency: external ? base : null,
  };
}

/** The merchant whose tier prices a prediction: the caller, and only the caller (another owner → 404). */
async function pricingOwner(ctx: Ctx, caller_merchant_id: number, owner_type?: OwnerType, owner_id?: number) {
  if (owner_id !== undefined && owner_id !== caller_merchant_id) throw notFound();
  const merchant = await getMerchant(ctx, caller_merchant_id);
  if (!merchant) throw notFound();
  if (owner_type !== undefined && owner_type !== merchant.type) throw notFound();
  return { merchant_id: merchant.id, merchant_type: merchant.type as OwnerType };
}

async function priceOrRefuse(ctx: Ctx, input: Parameters<typeof quote>[1], names: Partial<Record<QuoteField, string>>): Promise<Quote> {
  try {
    return await quote(ctx.database.db, input, referenceCache(ctx));
  } catch (err) {
    if (err instanceof QuoteError) throw quoteErrorToInvalid(err, 'query', names);
    throw err;
  }
}

const AMOUNT_QUERY_NAMES: Partial<Record<QuoteField, string>> = {
  base_minor: 'base_amount',
  base_currency: 'base_currency',
  payer_currency: 'target_currency',
  method: 'payment_method',
  provider: 'provider',
  operation_type: 'operation_type',
  owner: 'owner_id',
};

export interface AmountPredictionQuery {
  base_minor: bigint;
  base_currency: string;
  target_currency: string;
  payment_method: PaymentMethod;
  operation_type: OperationType;
  provider: Provider;
  fee_bearer: FeeBearer;
  owner_type?: OwnerType | undefined;
  owner_id?: number | undefined;
}

export async function predictAmountAndFees(ctx: Ctx, caller_merchant_id: number, q: AmountPredictionQuery): Promise<PredictionAmounts> {
  const owner = await pricingOwner(ctx, caller_merchant_id, q.owner_type, q.owner_id);
  const priced = await priceOrRefuse(
    ctx,
    {
      ...owner,
      base_minor: q.base_minor,
      base_currency: q.base_currency,
      payer_currency: q.target_currency,
      method: q.payment_method,
      provider: q.provider,
      operation_type: q.operation_type,
      fee_bearer: q.fee_bearer,
      at: ctx.clock.now(),
    },
    AMOUNT_QUERY_NAMES,
  );
  return predictionAmounts(priced);
}

export interface SourcePredictionQuery {
  source_type: string; // INVOICE | ORDER | SUBSCRIPTION (spec enum; the last is refused)
  source_id: number;
  target_currency: string;
  payment_method: PaymentMethod;
  provider: Provider;
}

/** Statuses whose total can be quoted: published and not finished. */
const QUOTABLE_REFUSALS: Record<string, string> = {
  IDLE: 'the source is not published (IDLE); publish it before predicting its fees',
  CANCELED: 'the source is CANCELED and can no longer be paid',
};

export async function predictSourceAmountAndFees(ctx: Ctx, caller_merchant_id: number, q: SourcePredictionQuery): Promise<PredictionAmounts> {
  if (!(SOURCE_TYPES as readonly string[]).includes(q.source_type)) {
    throw invalid(['query', 'source_type'], `${q.source_type} is not publicly supported; use INVOICE or ORDER`, 'value_error.source_type');
  }
  const source = await findSource(ctx.database.db, caller_merchant_id, q.source_type as SourceType, q.source_id);
  if (!source) throw notFound();
  const refusal = QUOTABLE_REFUSALS[source.status];
  if (refusal) throw invalid(['query', 'source_id'], refusal, 'value_error.source_status');
  if (source.total_amount_minor <= 0n) throw invalid(['query', 'source_id'], 'the source has no amount to pay; add items first', 'value_error.source_total');
  const owner = await pricingOwner(ctx, caller_merchant_id);
  const priced = await priceOrRefuse(
    ctx,
    {
      ...owner,
      base_minor: source.total_amount_minor,
      base_currency: source.currency.trim(),
      payer_currency: q.target_currency,
      method: q.payment_method,
      provider: q.provider,
      operation_type: 'COLLECTION',
      fee_bearer: source.fee_bearer as FeeBearer,
      at: ctx.clock.now(),
    },
    { ...AMOUNT_QUERY_NAMES, base_minor: 'source_id', base_currency: 'source_id' },
  );
  return predictionAmounts(priced);
}

/** Operator of a Liberian or Rwandan MoMo number, from the national numbering plans. */
export function predictMmoProviderInfo(phone: string, operation_type: OperationType) {
  const found = operatorOf(phone);
  if (!found.ok) throw invalid(['query', 'phone'], describeNumberingProblem(found), 'value_error.phone.unsupported');
  const m = found.match;
  return {
    carrier: m.carrier,
    country: m.country,
    currencies: [...m.currencies],
    phone: m.phone,
    payment_method: m.method,
    gateway_provider: GATEWAY_OF_METHOD[m.method],
    operation_type,
  };
}

/** A card can be charged in any currency this server holds (Stripe presents all four). */
export const CARD_CURRENCIES = CURRENCY_CODES;

/** Brand and issuing country of a sandbox card PaymentMethod id. */
export function predictCardProviderInfo(payment_method_id: string, provider: Provider) {
  if (!isValidMethodProvider('CREDIT_CARD', provider)) {
    throw invalid(['query', 'provider'], `invalid combination: cards are carried by ${GATEWAY_OF_METHOD.CREDIT_CARD}, not ${provider}`, 'value_error.pricing.invalid_method_provider');
  }
  const card = sandboxCard(payment_method_id);
  if (!card) {
    throw invalid(
      ['query', 'payment_method_id'],
      `unknown payment method id; this server knows the sandbox test ids (e.g. ${SANDBOX_CARD_EXAMPLES.join(', ')})`,
      'value_error.payment_method_id',
    );
  }
  return {
    brand: card.brand,
    country: card.country,
    currencies: [...CARD_CURRENCIES],
    payment_method: 'CREDIT_CARD' as const,
    gateway_provider: GATEWAY_OF_METHOD.CREDIT_CARD,
  };
}
