/**
 * The payer's side of hosted checkout and pay links, scoped by the source's hosted token: what the
 * page shows (merchant, items, total, status, expiry), a quote for a currency and method, paying,
 * the attempt's status and a realtime key for it.
 *
 * The browser is never trusted for amounts or ownership: the server prices with `quote`, creates
 * the checkout session, the payment account (for the source's counterparty's party; MoMo accounts
 * reused by number) and the collection itself, acting for the source's merchant. The page only
 * chooses a currency, a method, a phone and the attempt's reference_id — a UUIDv4 under the same
 * idempotency contract as the API: the same key is the same attempt.
 */
import { CURRENCIES_OF_COUNTRY, COUNTRY_OF_METHOD, type FeeBearer, GATEWAY_OF_METHOD, MOMO_METHODS, type OwnerType, type PaymentMethod, type SourceType } from '../domain/enums.js';
import { DomainError, invalid, notFound } from '../domain/errors.js';
import { formatMinor } from '../domain/money.js';
import { describeNumberingProblem, NUMBERING_PLANS, operatorOf } from '../domain/numbering.js';
import { SOURCE_KINDS, type SourceKind, type View } from '../domain/sources.js';
import { findCounterpartyWithParty } from '../store/counterparties.js';
import { type ExecutionRow, type ExecutionStatusRow, findExecutionByReference } from '../store/executions.js';
import { findSourceByHostedToken } from '../store/hosted.js';
import { findMerchant, type MerchantRow } from '../store/merchants.js';
import { findPaymentAccount } from '../store/payment-accounts.js';
import { listItems, type SourceRow } from '../store/sources.js';
import type { AuthContext } from './auth.js';
import { toExecutionResponse, type ExecutionResponse } from './execution-view.js';
import { CARD_CURRENCIES, executeCollection, executionStatus } from './executions.js';
import { referenceCache } from './fees.js';
import type { Services } from './index.js';
import { createPaymentAccount } from './payment-accounts.js';
import { quote, QuoteError, quoteErrorToInvalid } from './pricing.js';
import { issueCollectionKey } from './realtime.js';
import { createCheckoutSession } from './sessions.js';
import { getReceipt } from './sources.js';

/** What the page can do with a source right now. */
export type HostedState = 'payable' | 'processing' | 'paid' | 'expired' | 'canceled' | 'unpublished';

export const HOSTED_METHODS: readonly PaymentMethod[] = [...MOMO_METHODS, 'CREDIT_CARD'];

interface Hosted {
  token: string;
  source: SourceRow;
  kind: SourceKind;
  merchant: MerchantRow;
  /** The merchant the server acts for: the page never holds an API token. */
  auth: AuthContext;
}

async function load(s: Services, token: string): Promise<Hosted> {
  const db = s.ctx.database.db;
  const source = await findSourceByHostedToken(db, token);
  if (!source) throw notFound();
  const merchant = await findMerchant(db, source.merchant_id);
  if (!merchant) throw new Error(`assertion: source ${source.id} has no merchant`);
  const auth: AuthContext = { merchant_id: merchant.id, api_key_id: 0, verified: merchant.verification_status === 'VERIFIED' };
  return { token, source, kind: SOURCE_KINDS[source.source_type as SourceType], merchant, auth };
}

export function hostedState(source: Pick<SourceRow, 'status' | 'checkout_expires_at'>, now: Date): HostedState {
  switch (source.status) {
    case 'CANCELED':
      return 'canceled';
    case 'PAID':
      return 'paid';
    case 'PROCESSING':
      return 'processing';
    case 'ACTIVE':
      return source.checkout_expires_at && source.checkout_expires_at.getTime() <= now.getTime() ? 'expired' : 'payable';
    default:
      return 'unpublished';
  }
}

/** What the payer reads about a state that is not simply "pay now". */
export function stateMessage(state: HostedState, h: { merchant_name: string; noun: string; expires_at: Date | null }): string | null {
  switch (state) {
    case 'payable':
      return null;
    case 'processing':
      return `A payment for this ${h.noun} is in progress. This page updates when it finishes.`;
    case 'paid':
      return `This ${h.noun} is paid. Thank you!`;
    case 'expired':
      return `This checkout expired on ${h.expires_at?.toISOString().replace('T', ' ').slice(0, 16)} UTC. Ask ${h.merchant_name} for a new payment link.`;
    case 'canceled':
      return `${h.merchant_name} canceled this ${h.noun}; it can no longer be paid.`;
    case 'unpublished':
      return `This ${h.noun} is not ready for payment yet.`;
  }
}

export interface HostedSummary {
  token: string;
  merchant_name: string;
  source_type: string;
  noun: string;
  number: string;
  currency: string;
  total_amount: string;
  items: { name: string; qty: number; amount: string; line_total: string }[];
  status: string;
  state: HostedState;
  message: string | null;
  expires_at: Date | null;
  success_url: string | null;
  cancel_url: string | null;
  receipt_url: string | null;
  /** What the page offers: mobile-money markets (numbering plans and currencies) and card currencies. */
  options: {
    momo: { country: string; country_name: string; calling_code: string; nsn_length: number; currencies: readonly string[]; ranges: { prefix: string; carrier: string; method: string }[] }[];
    card_currencies: readonly string[];
  };
}

const MOMO_OPTIONS = NUMBERING_PLANS.map((p) => ({
  country: p.country,
  country_name: p.country_name,
  calling_code: p.calling_code,
  nsn_length: p.nsn_length,
  currencies: CURRENCIES_OF_COUNTRY[p.country] ?? [],
  ranges: p.ranges.map((r) => ({ prefix: r.prefix, carrier: r.carrier, method: r.method })),
}));

/** GET /hosted/{token}: everything the page shows. */
export async function hostedSummary(s: Services, token: string, base_url: string): Promise<HostedSummary> {
  const h = await load(s, token);
  const { source, kind, merchant } = h;
  const items = await listItems(s.ctx.database.db, source.id);
  const state = hostedState(source, s.ctx.clock.now());
  return {
    token,
    merchant_name: merchant.name,
    source_type: source.source_type,
    noun: kind.noun,
    number: source.number,
    currency: source.currency,
    total_amount: formatMinor(source.total_amount_minor, source.currency),
    items: items.map((i) => ({
      name: i.name,
      qty: i.qty,
      amount: formatMinor(i.unit_amount_minor, i.currency),
      line_total: formatMinor(i.unit_amount_minor * BigInt(i.qty), i.currency),
    })),
    status: source.status,
    state,
    message: stateMessage(state, { merchant_name: merchant.name, noun: kind.noun, expires_at: source.checkout_expires_at }),
    expires_at: source.checkout_expires_at,
    success_url: source.success_url,
    cancel_url: source.cancel_url,
    receipt_url: source.status === 'PAID' ? `${base_url}/receipt/${token}` : null,
    options: { momo: MOMO_OPTIONS, card_currencies: CARD_CURRENCIES },
  };
}

function requireMethod(method: string, loc: readonly (string | number)[]): PaymentMethod {
  if (!(HOSTED_METHODS as readonly string[]).includes(method)) {
    throw invalid(loc, `method must be one of ${HOSTED_METHODS.join(', ')}`, 'type_error.enum');
  }
  return method as PaymentMethod;
}

/** The currencies the payer may pay in with a method: its market's for MoMo, USD for cards. */
export function payerCurrencies(method: PaymentMethod): readonly string[] {
  if (method === 'CREDIT_CARD') return CARD_CURRENCIES;
  return CURRENCIES_OF_COUNTRY[COUNTRY_OF_METHOD[method] ?? ''] ?? [];
}

export interface HostedQuote {
  method: string;
  currency: string;
  payer_amount: string;
  payer_currency: string;
  payee_amount: string;
  payee_currency: string;
  fees: string;
  platform_fee: string;
  gateway_fee: string;
  fx_fee: string | null;
  fx_rate: string | null;
  fee_bearer: string;
}

/** GET /hosted/{token}/quote: the amount the payer pays in `currency` with `method`, priced by the server. */
export async function hostedQuote(s: Services, token: string, q: { currency: string; method: string }): Promise<HostedQuote> {
  const h = await load(s, token);
  const method = requireMethod(q.method, ['query', 'method']);
  const allowed = payerCurrencies(method);
  if (!allowed.includes(q.currency)) throw invalid(['query', 'currency'], `${method} pays in ${allowed.join(' or ')}, not ${q.currency}`, 'value_error.currency');
  const { source, merchant } = h;
  try {
    const priced = await quote(
      s.ctx.database.db,
      {
        merchant_id: merchant.id,
        merchant_type: merchant.type as OwnerType,
        base_minor: source.total_amount_minor,
        base_currency: source.currency,
        payer_currency: q.currency,
        method,
        provider: GATEWAY_OF_METHOD[method],
        operation_type: 'COLLECTION',
        fee_bearer: source.fee_bearer as FeeBearer,
        at: s.ctx.clock.now(),
      },
      referenceCache(s.ctx),
    );
    const p = priced.price;
    const base = p.payee_currency;
    return {
      method,
      currency: q.currency,
      payer_amount: formatMinor(p.payer_minor, p.payer_currency),
      payer_currency: p.payer_currency,
      payee_amount: formatMinor(p.payee_minor, base),
      payee_currency: base,
      fees: formatMinor(p.platform_fee_minor + p.gateway_fee_minor + p.fx_fee_minor, base),
      platform_fee: formatMinor(p.platform_fee_minor, base),
      gateway_fee: formatMinor(p.gateway_fee_minor, base),
      fx_fee: p.fx ? formatMinor(p.fx_fee_minor, base) : null,
      fx_rate: priced.rates.fx?.rate ?? null,
      fee_bearer: source.fee_bearer,
    };
  } catch (err) {
    if (err instanceof QuoteError) throw quoteErrorToInvalid(err, 'query', { payer_currency: 'currency', method: 'method', provider: 'method', operation_type: 'method' });
    throw err;
  }
}

export interface PayInput {
  reference_id: string;
  currency: string;
  method?: string | undefined;
  phone?: string | undefined;
}

interface PayPlan {
  method: PaymentMethod;
  currency: string;
  phone: string | null;
}

/** Read what the payer chose: a phone means mobile money (the operator detected, or the one picked in its market); none means a card. */
function planPayment(body: PayInput): PayPlan {
  if (body.phone === undefined) {
    const method = requireMethod(body.method ?? 'CREDIT_CARD', ['body', 'method']);
    if (method !== 'CREDIT_CARD') throw invalid(['body', 'phone'], 'field required: mobile money needs the payer’s phone number', 'value_error.missing');
    if (!CARD_CURRENCIES.includes(body.currency)) throw invalid(['body', 'currency'], `cards pay in ${CARD_CURRENCIES.join(' or ')}, not ${body.currency}`, 'value_error.currency');
    return { method, currency: body.currency, phone: null };
  }
  const found = operatorOf(body.phone);
  if (!found.ok) throw invalid(['body', 'phone'], describeNumberingProblem(found), 'value_error.phone.unsupported');
  const method = body.method === undefined ? found.match.method : requireMethod(body.method, ['body', 'method']);
  if (method === 'CREDIT_CARD') throw invalid(['body', 'method'], 'a card payment takes no phone number', 'value_error.method');
  if (COUNTRY_OF_METHOD[method] !== found.match.country) {
    throw invalid(['body', 'method'], `${method} does not serve ${found.match.country} numbers; pick an operator of the number's country`, 'value_error.method');
  }
  const allowed = payerCurrencies(method);
  if (!allowed.includes(body.currency)) throw invalid(['body', 'currency'], `${method} pays in ${allowed.join(' or ')}, not ${body.currency}`, 'value_error.currency');
  return { method, currency: body.currency, phone: body.phone };
}

export interface AttemptView extends ExecutionResponse {
  source_status: string;
  receipt_url: string | null;
}

function attemptView(row: ExecutionStatusRow, source: SourceRow, base_url: string, token: string): AttemptView {
  const view = toExecutionResponse(row);
  // The payer's browser needs the client_secret only while the card still waits for it.
  if (!(view.status === 'PROCESSING' && view.requires_action)) view.client_secret = null;
  const source_status = row.status === 'COMPLETED' ? 'PAID' : source.status;
  return { ...view, source_status, receipt_url: source_status === 'PAID' ? `${base_url}/receipt/${token}` : null };
}

function reused(reference_id: string): DomainError {
  return invalid(['body', 'reference_id'], `reference_id ${reference_id} already names a different payment; generate a new UUID for a new attempt`, 'value_error.duplicate');
}

/** The same key again: the same attempt (its current state) when it is this source's and the same choice; a 422 otherwise. */
async function sameAttempt(s: Services, h: Hosted, row: ExecutionRow, plan: PayPlan, base_url: string): Promise<AttemptView> {
  if (row.source_id !== h.source.id || row.source_type !== h.source.source_type) throw reused(row.reference_id);
  if (row.method !== plan.method || row.payer_currency !== plan.currency) throw reused(row.reference_id);
  if (plan.phone !== null) {
    const account = row.payment_account_id === null ? undefined : await findPaymentAccount(s.ctx.database.db, h.merchant.id, row.payment_account_id);
    if (account?.account_number !== plan.phone) throw reused(row.reference_id);
  }
  const current = (await executionStatus(s, h.auth, 'COLLECTION', row.reference_id)) ?? row;
  return attemptView(current, (await load(s, h.token)).source, base_url, h.token);
}

/** A refusal of the payable check, on the token (the payer sent no source id). */
function refuse(h: Hosted, state: HostedState): DomainError {
  const msg = stateMessage(state, { merchant_name: h.merchant.name, noun: h.kind.noun, expires_at: h.source.checkout_expires_at });
  return invalid(['path', 'token'], msg ?? 'cannot be paid now', `value_error.state.${state}`);
}

/** Move a use case's 422 on a field the payer never sent (session_id, source_id…) onto the token. */
function onToken(err: unknown): unknown {
  if (!(err instanceof DomainError) || err.kind !== 'validation' || typeof err.detail === 'string') return err;
  const payerFields = new Set(['currency', 'reference_id', 'phone', 'method']);
  const items = err.detail.map((d) => (d.loc[0] === 'body' && !payerFields.has(String(d.loc[1])) ? { ...d, loc: ['path', 'token'] } : d));
  return new DomainError('validation', items);
}

/** POST /hosted/{token}/pay */
export async function hostedPay(s: Services, token: string, body: PayInput, base_url: string): Promise<AttemptView> {
  const h = await load(s, token);
  const plan = planPayment(body);
  const reference_id = body.reference_id.toLowerCase();
  const db = s.ctx.database.db;
  const existing = await findExecutionByReference(db, h.merchant.id, 'COLLECTION', reference_id);
  if (existing) return sameAttempt(s, h, existing, plan, base_url);

  const state = hostedState(h.source, s.ctx.clock.now());
  if (state !== 'payable') throw refuse(h, state);
  if (h.source.counterparty_id === null) throw invalid(['path', 'token'], `this ${h.kind.noun} names no payer; ask ${h.merchant.name} to reissue it`, 'value_error.state');
  const cp = await findCounterpartyWithParty(db, h.merchant.id, h.source.counterparty_id);
  if (!cp?.party) throw invalid(['path', 'token'], `this ${h.kind.noun}'s payer has no contact on file; ask ${h.merchant.name} to reissue it`, 'value_error.state');

  try {
    const session = await createCheckoutSession(s.ctx, h.auth, { source_id: h.source.id, source_type: h.source.source_type });
    const account = await createPaymentAccount(s.ctx, h.merchant.id, {
      operation_type: 'COLLECTION',
      account_name: cp.party.fullname,
      provider: GATEWAY_OF_METHOD[plan.method],
      method: plan.method,
      party_id: cp.party.id,
      insensitive_account_number: plan.phone,
    });
    const row = await executeCollection(s, h.auth, {
      session_id: String(session.id),
      payment_account_id: String(account.id),
      currency: plan.currency,
      reference_id,
    });
    return attemptView(row, (await load(s, token)).source, base_url, token);
  } catch (err) {
    // A twin request with this key may have won the race (double click, retried POST): same key, same attempt.
    const twin = await findExecutionByReference(db, h.merchant.id, 'COLLECTION', reference_id);
    if (twin) return sameAttempt(s, h, twin, plan, base_url);
    throw onToken(err);
  }
}

/** The attempt named by reference_id, only if it pays this source (404 otherwise: nothing about other payments leaks). */
async function attemptOf(s: Services, h: Hosted, reference_id: string): Promise<ExecutionRow> {
  const row = await findExecutionByReference(s.ctx.database.db, h.merchant.id, 'COLLECTION', reference_id.toLowerCase());
  if (!row || row.source_id !== h.source.id || row.source_type !== h.source.source_type) throw notFound();
  return row;
}

/** GET /hosted/{token}/attempts/{reference_id} */
export async function hostedAttempt(s: Services, token: string, reference_id: string, base_url: string): Promise<AttemptView> {
  const h = await load(s, token);
  const row = await attemptOf(s, h, reference_id);
  const current = (await executionStatus(s, h.auth, 'COLLECTION', row.reference_id)) ?? row;
  return attemptView(current, (await load(s, token)).source, base_url, token);
}

/** POST /hosted/{token}/attempts/{reference_id}/realtime-key: a key for the SSE stream of this attempt only. */
export async function hostedRealtimeKey(s: Services, token: string, reference_id: string) {
  const h = await load(s, token);
  const row = await attemptOf(s, h, reference_id);
  if (row.session_id === null) throw new Error(`assertion: collection ${row.id} has no session`);
  const key = await issueCollectionKey(s, h.auth, { session_id: row.session_id, source_type: h.source.source_type, reference_id: row.reference_id });
  return { ...key, stream_url: `/v1/realtime/collection/${row.reference_id}?access_token=${encodeURIComponent(key.access_token)}` };
}

/** The receipt page's data: the source's receipt once PAID (422 on the token before). */
export async function hostedReceipt(s: Services, token: string): Promise<{ receipt: View; merchant_name: string; noun: string }> {
  const h = await load(s, token);
  const receipt = await getReceipt(s.ctx, h.merchant.id, h.source.source_type as SourceType, { id: h.source.id }, ['path', 'token']);
  return { receipt, merchant_name: h.merchant.name, noun: h.kind.noun };
}
