/**
 * Webhook signatures: `Dollr-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * During a secret rotation the header carries several `v1=` values, and the receiver may hold
 * several secrets; any pair that matches passes. Verify the RAW body bytes exactly as received —
 * a body parsed and re-serialized will not match.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DollrSignatureVerificationError } from './errors.js';
import type { ExecutionResponse } from './types.js';

export const SIGNATURE_HEADER = 'dollr-signature';
export const DEFAULT_TOLERANCE_S = 300;
const SIGNATURES_MAX = 16;

export type WebhookEventType = 'execution.processing' | 'execution.completed' | 'execution.failed' | 'source.paid';

export interface WebhookEvent<D = Record<string, unknown>> {
  id: string;
  type: WebhookEventType | (string & {});
  created_at: string;
  data: D;
}

/** The events this server sends: `verifyWebhook<DollrEvent>(…)`, then switch on `type` to narrow `data`. */
export type ExecutionEvent = WebhookEvent<ExecutionResponse> & { type: 'execution.processing' | 'execution.completed' | 'execution.failed' };
export type SourcePaidEvent = WebhookEvent<{
  object: 'source';
  source_type: 'INVOICE' | 'ORDER';
  source_id: number;
  /** The paying collection's id (X-Payment-Intent-Id). */
  payment_intent_id: number;
  reference_id: string;
  paid_at: string;
}> & { type: 'source.paid' };
export type DollrEvent = ExecutionEvent | SourcePaidEvent;

export interface VerifyWebhookOptions {
  /** The raw request body. */
  payload: string | Uint8Array;
  /** The `Dollr-Signature` header's value. */
  header: string | null | undefined;
  /** The endpoint's secret, or several during a rotation. */
  secret: string | readonly string[];
  /** Largest allowed distance between the signed timestamp and now, in seconds (default 300). */
  toleranceSeconds?: number;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

function hmacHex(secret: string, timestamp: string, payload: string | Uint8Array): string {
  const h = createHmac('sha256', secret);
  h.update(`${timestamp}.`);
  h.update(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  return h.digest('hex');
}

/** The header a server sends for `payload` at `timestamp_s` (also handy for testing your handler). */
export function signWebhookPayload(secret: string | readonly string[], payload: string | Uint8Array, timestamp_s: number): string {
  const t = String(Math.floor(timestamp_s));
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return [`t=${t}`, ...secrets.map((s) => `v1=${hmacHex(s, t, payload)}`)].join(',');
}

function parseHeader(header: string): { t: string; v1: string[] } {
  let t: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1' && v1.length < SIGNATURES_MAX) v1.push(v);
  }
  if (!t || !/^\d{1,12}$/.test(t)) throw new DollrSignatureVerificationError('Dollr-Signature has no valid t= timestamp', 'malformed_header');
  if (!v1.length) throw new DollrSignatureVerificationError('Dollr-Signature has no v1= signature', 'malformed_header');
  return { t, v1 };
}

/**
 * Check a delivery and return its parsed event, or throw DollrSignatureVerificationError with the
 * reason (missing or malformed header, timestamp outside the tolerance, no signature matches, or a
 * body that is not an event).
 */
export function verifyWebhook<E extends WebhookEvent<unknown> = WebhookEvent>(opts: VerifyWebhookOptions): E {
  if (!opts.header) throw new DollrSignatureVerificationError('the Dollr-Signature header is missing', 'missing_header');
  const secrets = (typeof opts.secret === 'string' ? [opts.secret] : [...opts.secret]).filter((s) => s.length > 0);
  if (!secrets.length) throw new TypeError('verifyWebhook needs at least one non-empty secret');
  const { t, v1 } = parseHeader(opts.header);
  const tolerance_s = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_S;
  const now_s = (opts.now ?? Date.now)() / 1000;
  if (Math.abs(now_s - Number(t)) > tolerance_s) {
    throw new DollrSignatureVerificationError(`the signature's timestamp is more than ${tolerance_s} s from now`, 'timestamp_out_of_tolerance');
  }
  const candidates = v1.filter((s) => /^[0-9a-f]{64}$/i.test(s)).map((s) => Buffer.from(s, 'hex'));
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(hmacHex(secret, t, opts.payload), 'hex');
    // Constant-time per comparison; every pair is compared, so the time says nothing about which.
    for (const c of candidates) if (timingSafeEqual(expected, c)) matched = true;
  }
  if (!matched) throw new DollrSignatureVerificationError('no v1 signature matches the payload and secret', 'no_matching_signature');

  let event: unknown;
  try {
    event = JSON.parse(typeof opts.payload === 'string' ? opts.payload : Buffer.from(opts.payload).toString('utf8'));
  } catch {
    throw new DollrSignatureVerificationError('the payload is not JSON', 'invalid_payload');
  }
  const e = event as Partial<WebhookEvent>;
  if (!e || typeof e !== 'object' || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.created_at !== 'string' || typeof e.data !== 'object' || e.data === null) {
    throw new DollrSignatureVerificationError('the payload is not a Dollr event {id, type, created_at, data}', 'invalid_payload');
  }
  return e as E;
}
