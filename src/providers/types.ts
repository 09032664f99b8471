/**
 * The connector interface every carrier adapter implements — the in-process sandboxes and a real
 * pawaPay/Stripe adapter alike. The money core only ever talks to carriers through this.
 */
import { createHash } from 'node:crypto';
import type { PaymentMethod } from '../domain/enums.js';

export type CarrierOperation = 'collection' | 'payout' | 'refund';
export type Gateway = 'PAWAPAY' | 'STRIPE' | 'PLATFORM';

export interface CarrierRequest {
  readonly operation: CarrierOperation;
  /** Stable per execution; the carrier deduplicates on it (pawaPay's depositId/payoutId/refundId). */
  readonly idempotency_key: string;
  readonly amount_minor: bigint;
  readonly currency: string;
  readonly method: PaymentMethod;
  /** Mobile-money number (E.164 digits) of the payer or beneficiary. */
  readonly msisdn?: string | undefined;
  /** For refunds: the carrier's id of the collection being refunded. */
  readonly original_key?: string | undefined;
  readonly description: string;
}

export type CarrierState = 'accepted' | 'completed' | 'failed' | 'requires_action' | 'not_found';

export interface CarrierResult {
  readonly state: CarrierState;
  readonly provider_transaction_id?: string | undefined;
  /** Human-readable carrier message (becomes the execution's gateway_message). */
  readonly message?: string | undefined;
  /** Carrier failure code (pawaPay style: PAYER_NOT_FOUND, INSUFFICIENT_BALANCE, …). */
  readonly failure_code?: string | undefined;
  /** Card 3DS: the secret the browser confirms with. */
  readonly client_secret?: string | undefined;
  /** When to ask again (polling backoff hint). */
  readonly retry_after_ms?: number | undefined;
}

/** A carrier's asynchronous notice about one of our requests (a webhook/callback it sent us). */
export interface CarrierCallback {
  readonly operation: CarrierOperation;
  readonly idempotency_key: string;
  readonly result: CarrierResult;
}

export interface CarrierConnector {
  readonly gateway: Gateway;
  initiate(req: CarrierRequest): Promise<CarrierResult>;
  /** The carrier's truth for a request we made (or 'not_found' if it never arrived). */
  query(operation: CarrierOperation, idempotency_key: string): Promise<CarrierResult>;
  /**
   * Read a callback the carrier POSTed to us (`POST /callbacks/<gateway>`). Returns undefined when
   * the body is not one of its callbacks or fails its authenticity check; the server answers 400 then.
   * A callback is a hint: settlement applies it once, and reconciliation still asks `query`.
   * It may be async: a connector that cannot authenticate a callback confirms it with the carrier first.
   */
  parseCallback?(
    headers: Record<string, string | string[] | undefined>,
    body: unknown,
    rawBody: string,
  ): CarrierCallback | undefined | Promise<CarrierCallback | undefined>;
}

/** Thrown when the carrier could not be reached or answered 5xx: the outcome is unknown, ask again later. */
export class CarrierUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CarrierUnavailable';
  }
}

/**
 * The carrier idempotency key of an execution: a UUID (version-4 shaped, as pawaPay requires)
 * derived from the merchant, operation and the merchant's reference_id, so every retry and every
 * instance computes the same key without storing it.
 */
export function carrierKey(merchant_id: number, operation: string, reference_id: string): string {
  const b = createHash('sha256').update(`dollr:${merchant_id}:${operation}:${reference_id.toLowerCase()}`).digest();
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
