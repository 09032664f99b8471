/**
 * pawaPay Merchant API v2 on the wire: request, response and callback bodies, and pure mappings
 * to and from our CarrierRequest/CarrierResult. No I/O: the connector (connector.ts) and the
 * simulator (simulator.ts) both speak through these, so they cannot drift apart.
 *
 * Sources (docs.pawapay.io, v2): initiate deposit/payout/refund, check status, callbacks, failure
 * codes. What the docs leave open and we decided is marked "inferred" where it is used.
 */
import { MOMO_METHODS, type PaymentMethod } from '../../domain/enums.js';
import { currencyInfo, formatMinor, parseAmountMinor } from '../../domain/money.js';
import { FAILURE_MESSAGES } from '../sandbox/scenarios.js';
import type { CarrierOperation, CarrierRequest, CarrierResult } from '../types.js';

// ---------------------------------------------------------------------------------------------
// Wire types

/** How each of our operations is named on pawaPay's side. */
export const OPERATIONS = {
  collection: { path: '/v2/deposits', id_field: 'depositId', party_field: 'payer' },
  payout: { path: '/v2/payouts', id_field: 'payoutId', party_field: 'recipient' },
  refund: { path: '/v2/refunds', id_field: 'refundId', party_field: undefined },
} as const satisfies Record<CarrierOperation, { path: string; id_field: string; party_field: string | undefined }>;

export type IdField = (typeof OPERATIONS)[CarrierOperation]['id_field'];

export interface AccountDetails {
  phoneNumber: string;
  provider: string;
}

export interface MmoParty {
  type: 'MMO';
  accountDetails: AccountDetails;
}

export interface DepositRequest {
  depositId: string;
  amount: string;
  currency: string;
  payer: MmoParty;
}

export interface PayoutRequest {
  payoutId: string;
  amount: string;
  currency: string;
  recipient: MmoParty;
}

export interface RefundRequest {
  refundId: string;
  depositId: string;
  amount: string;
  currency: string;
}

export type InitiationRequest = DepositRequest | PayoutRequest | RefundRequest;

export interface FailureReason {
  failureCode: string;
  failureMessage?: string;
}

/** The answer to POST /v2/{deposits|payouts|refunds}. */
export const INITIATION_STATUSES = ['ACCEPTED', 'REJECTED', 'DUPLICATE_IGNORED'] as const;
export type InitiationStatus = (typeof INITIATION_STATUSES)[number];

export interface InitiationResponse {
  depositId?: string;
  payoutId?: string;
  refundId?: string;
  status: InitiationStatus;
  created?: string;
  failureReason?: FailureReason;
}

/**
 * A payment's status in pawaPay. Only COMPLETED and FAILED are final. v2 documents ACCEPTED,
 * PROCESSING, IN_RECONCILIATION (and ENQUEUED for payouts); SUBMITTED is v1's name for PROCESSING.
 */
export const PAYMENT_STATUSES = ['ACCEPTED', 'SUBMITTED', 'ENQUEUED', 'PROCESSING', 'IN_RECONCILIATION', 'COMPLETED', 'FAILED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** A deposit, payout or refund as GET /v2/…/{id} answers it in `data` and as a callback body carries it. */
export interface Payment {
  depositId?: string;
  payoutId?: string;
  refundId?: string;
  status: PaymentStatus;
  amount: string;
  currency: string;
  country?: string;
  payer?: MmoParty;
  recipient?: MmoParty;
  created?: string;
  providerTransactionId?: string;
  failureReason?: FailureReason;
}

/** GET /v2/{deposits|payouts|refunds}/{id}. */
export interface StatusResponse {
  status: 'FOUND' | 'NOT_FOUND';
  data?: Payment;
}

/** pawaPay's error body on 4xx (technical failures: INVALID_INPUT, MISSING_PARAMETER, AUTHENTICATION_ERROR…). */
export interface ErrorResponse {
  status?: string;
  failureReason?: FailureReason;
}

/** GET /v2/public-key/http: the keys pawaPay signs callbacks with (shape inferred from pawaPay's signature sample). */
export interface PublicKeyEntry {
  id: string;
  key: string;
}

// ---------------------------------------------------------------------------------------------
// Limits and codes

/** pawaPay ids are UUIDv4 strings of 36 characters. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** E.164 without '+': country code and subscriber number, at most 15 digits. */
const MSISDN_RE = /^[1-9]\d{7,14}$/;
const TEXT_MAX = 500;

/** Failure codes pawaPay documents (v2 failure_codes), with what we tell the merchant. */
export const PAWAPAY_FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  ...FAILURE_MESSAGES,
  PAYMENT_IN_PROGRESS: 'The payer has another payment in progress',
  PAYER_LIMIT_REACHED: 'The payer has reached a wallet limit',
  WALLET_LIMIT_REACHED: 'The recipient has reached a wallet limit',
  MANUALLY_CANCELLED: 'The payment was cancelled by pawaPay operations',
  PAWAPAY_WALLET_OUT_OF_FUNDS: 'The pawaPay wallet has insufficient funds for this payment',
  DEPOSIT_ALREADY_REFUNDED: 'The deposit has already been refunded',
  REFUND_IN_PROGRESS: 'Another refund of this deposit is in progress',
  AMOUNT_OUT_OF_BOUNDS: 'The amount is outside the provider limits',
  AMOUNT_TOO_LARGE: 'The amount is larger than allowed',
  INVALID_AMOUNT: 'The amount has more decimals than the provider supports',
  INVALID_PHONE_NUMBER: 'The phone number is not a valid MSISDN for the provider',
  INVALID_CURRENCY: 'The currency is not supported by the provider',
  INVALID_PROVIDER: 'The provider is not valid for this payment',
  INVALID_PARAMETER: 'pawaPay refused a parameter of the request',
  MISSING_PARAMETER: 'pawaPay found a mandatory parameter missing',
  INVALID_INPUT: 'pawaPay could not parse the request',
  DEPOSITS_NOT_ALLOWED: 'Deposits are not enabled for this provider on the pawaPay account',
  PAYOUTS_NOT_ALLOWED: 'Payouts are not enabled for this provider on the pawaPay account',
  REFUNDS_NOT_ALLOWED: 'Refunds are not enabled for this provider on the pawaPay account',
  PROVIDER_TEMPORARILY_UNAVAILABLE: 'The provider is temporarily unavailable',
  UNSPECIFIED_FAILURE: 'The provider failed the payment without a reason',
  UNKNOWN_ERROR: 'pawaPay failed the payment for an unknown reason',
  OTHER_ERROR: 'The operator failed the payment',
};

/** Codes that mean "we sent pawaPay something it cannot take": a bug or bad data on our side, never retried. */
export const TECHNICAL_FAILURE_CODES = new Set(['INVALID_INPUT', 'MISSING_PARAMETER', 'UNSUPPORTED_PARAMETER', 'INVALID_PARAMETER', 'DUPLICATE_METADATA_FIELD']);

/** "CODE: message", the shape of an execution's gateway_message for a failure (as the in-process sandbox writes it). */
export function failureText(code: string, message?: string): string {
  const text = message?.trim() || PAWAPAY_FAILURE_MESSAGES[code] || 'pawaPay failed the payment';
  return `${code}: ${text}`.slice(0, TEXT_MAX);
}

// ---------------------------------------------------------------------------------------------
// Our request → pawaPay's

/** pawaPay's provider code for one of our methods. Our MoMo method names are pawaPay's codes. */
export function providerOf(method: PaymentMethod): string | undefined {
  return (MOMO_METHODS as readonly string[]).includes(method) ? method : undefined;
}

/** The MSISDN pawaPay wants (digits, country code first, no '+'), or undefined when it is not one. */
export function phoneNumberOf(msisdn: string | undefined): string | undefined {
  const digits = (msisdn ?? '').replace(/[\s+\-()]/g, '');
  return MSISDN_RE.test(digits) ? digits : undefined;
}

/**
 * A pawaPay amount: a decimal string at the currency's exponent ("12.30" USD, "1553" RWF), made
 * from integer minor units without floats. pawaPay allows 0–2 decimals and trailing zeros.
 */
export function toPawapayAmount(amount_minor: bigint, currency: string): string {
  if (amount_minor <= 0n) throw new Error(`assertion: a carrier amount is positive (got ${amount_minor})`);
  return formatMinor(amount_minor, currency);
}

/** Minor units from a pawaPay amount string, exactly; undefined when it is not an amount in `currency`. */
export function fromPawapayAmount(text: unknown, currency: string): bigint | undefined {
  if (typeof text !== 'string' || !currencyInfo(currency)) return undefined;
  const parsed = parseAmountMinor(text, currency);
  return parsed.ok ? parsed.amount_minor : undefined;
}

export type BuiltInitiation =
  | { readonly ok: true; readonly path: string; readonly body: InitiationRequest }
  | { readonly ok: false; readonly result: CarrierResult };

/**
 * The POST for an initiate call, or — when the request cannot be expressed in pawaPay's terms
 * (no valid MSISDN, a method pawaPay does not carry) — the failure to record without calling out.
 * Nothing has been sent in that case, so failing is safe: no money can have moved.
 */
export function buildInitiation(req: CarrierRequest): BuiltInitiation {
  if (!UUID_RE.test(req.idempotency_key)) throw new Error('assertion: pawaPay ids are UUIDs');
  const amount = toPawapayAmount(req.amount_minor, req.currency);
  const refuse = (code: string, message: string): BuiltInitiation => ({ ok: false, result: { state: 'failed', failure_code: code, message: failureText(code, message) } });
  if (req.operation === 'refund') {
    if (!req.original_key || !UUID_RE.test(req.original_key)) return refuse('INVALID_PARAMETER', 'a refund needs the depositId of the collection it refunds');
    const body: RefundRequest = { refundId: req.idempotency_key, depositId: req.original_key, amount, currency: req.currency };
    return { ok: true, path: OPERATIONS.refund.path, body };
  }
  const provider = providerOf(req.method);
  if (!provider) return refuse('INVALID_PROVIDER', `${req.method} is not carried by pawaPay`);
  const phoneNumber = phoneNumberOf(req.msisdn);
  if (!phoneNumber) return refuse('INVALID_PHONE_NUMBER', 'the mobile-money number is not an E.164 MSISDN');
  const party: MmoParty = { type: 'MMO', accountDetails: { phoneNumber, provider } };
  if (req.operation === 'collection') {
    const body: DepositRequest = { depositId: req.idempotency_key, amount, currency: req.currency, payer: party };
    return { ok: true, path: OPERATIONS.collection.path, body };
  }
  const body: PayoutRequest = { payoutId: req.idempotency_key, amount, currency: req.currency, recipient: party };
  return { ok: true, path: OPERATIONS.payout.path, body };
}

// ---------------------------------------------------------------------------------------------
// pawaPay's answers → our CarrierResult

/** How soon to ask again about a payment still in flight (a hint; settlement backs off from it). */
export const IN_FLIGHT_RETRY_MS = 5_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shortString = (v: unknown, max = TEXT_MAX): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

function readFailureReason(v: unknown): FailureReason | undefined {
  if (!isObject(v) || !shortString(v.failureCode, 64)) return undefined;
  return { failureCode: v.failureCode, ...(shortString(v.failureMessage) ? { failureMessage: v.failureMessage } : {}) };
}

/** The initiate answer, checked field by field (we never trust a body's shape). */
export function readInitiationResponse(v: unknown): InitiationResponse | undefined {
  if (!isObject(v) || !(INITIATION_STATUSES as readonly unknown[]).includes(v.status)) return undefined;
  const failureReason = readFailureReason(v.failureReason);
  return { status: v.status as InitiationStatus, ...(failureReason ? { failureReason } : {}) };
}

/** A payment (status `data` or callback body), checked; undefined when it is not one. */
export function readPayment(v: unknown): { operation: CarrierOperation; id: string; payment: Payment } | undefined {
  if (!isObject(v)) return undefined;
  const ops = (Object.keys(OPERATIONS) as CarrierOperation[]).filter((op) => typeof v[OPERATIONS[op].id_field] === 'string');
  // A refund carries the depositId it refunds as well: the refundId decides.
  const operation = ops.includes('refund') ? 'refund' : ops.length === 1 ? ops[0] : undefined;
  if (!operation) return undefined;
  const id = v[OPERATIONS[operation].id_field] as string;
  if (!UUID_RE.test(id) || !(PAYMENT_STATUSES as readonly unknown[]).includes(v.status)) return undefined;
  const failureReason = readFailureReason(v.failureReason);
  const payment: Payment = {
    [OPERATIONS[operation].id_field]: id,
    status: v.status as PaymentStatus,
    amount: shortString(v.amount, 32) ? v.amount : '',
    currency: shortString(v.currency, 3) ? v.currency : '',
    ...(shortString(v.providerTransactionId, 128) ? { providerTransactionId: v.providerTransactionId } : {}),
    ...(failureReason ? { failureReason } : {}),
  };
  return { operation, id, payment };
}

export function readStatusResponse(v: unknown): StatusResponse | undefined {
  if (!isObject(v)) return undefined;
  if (v.status === 'NOT_FOUND') return { status: 'NOT_FOUND' };
  if (v.status !== 'FOUND') return undefined;
  const read = readPayment(v.data);
  return read ? { status: 'FOUND', data: read.payment } : undefined;
}

/** The id of a payment, whichever operation it belongs to. */
function idOf(p: Payment): string {
  return (p.refundId ?? p.payoutId ?? p.depositId)!;
}

/**
 * Our view of a payment. COMPLETED/FAILED are final; every other status (ACCEPTED, PROCESSING,
 * IN_RECONCILIATION, ENQUEUED) is in flight. The provider transaction id is the operator's id once
 * pawaPay has it, and pawaPay's own id for the payment (our depositId/payoutId/refundId) before.
 */
export function resultFromPayment(p: Payment): CarrierResult {
  const provider_transaction_id = p.providerTransactionId ?? idOf(p);
  switch (p.status) {
    case 'COMPLETED':
      return { state: 'completed', provider_transaction_id, message: 'Completed by the operator (pawaPay)' };
    case 'FAILED': {
      const code = p.failureReason?.failureCode ?? 'UNKNOWN_ERROR';
      return { state: 'failed', provider_transaction_id, failure_code: code, message: failureText(code, p.failureReason?.failureMessage) };
    }
    default:
      return { state: 'accepted', provider_transaction_id, message: `pawaPay: ${p.status}; waiting for the operator`, retry_after_ms: IN_FLIGHT_RETRY_MS };
  }
}

export function resultFromStatus(s: StatusResponse): CarrierResult {
  if (s.status === 'NOT_FOUND' || !s.data) return { state: 'not_found', message: 'pawaPay has no record of this payment' };
  return resultFromPayment(s.data);
}

/**
 * The initiate answer, as far as it decides: ACCEPTED is in flight, REJECTED failed (pawaPay
 * took nothing, so no money moved), DUPLICATE_IGNORED means pawaPay already has this id — the
 * caller reads its status instead (undefined here).
 */
export function resultFromInitiation(r: InitiationResponse, id: string): CarrierResult | undefined {
  switch (r.status) {
    case 'ACCEPTED':
      return { state: 'accepted', provider_transaction_id: id, message: 'Accepted by pawaPay; waiting for the operator', retry_after_ms: IN_FLIGHT_RETRY_MS };
    case 'REJECTED': {
      const code = r.failureReason?.failureCode ?? 'UNKNOWN_ERROR';
      return { state: 'failed', failure_code: code, message: failureText(code, r.failureReason?.failureMessage) };
    }
    case 'DUPLICATE_IGNORED':
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Used by the simulator to answer as pawaPay does

export function paymentBody(operation: CarrierOperation, id: string, fields: Omit<Payment, 'depositId' | 'payoutId' | 'refundId'> & { depositId?: string }): Payment {
  return { ...fields, [OPERATIONS[operation].id_field]: id };
}
