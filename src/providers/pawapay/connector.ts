/**
 * The pawaPay connector: our CarrierConnector over pawaPay's public Merchant API, **v2**
 * (docs.pawapay.io/v2): bearer-token authentication; POST /v2/deposits, /v2/payouts, /v2/refunds;
 * GET /v2/{deposits|payouts|refunds}/{id}; callbacks POSTed to us with the payment's final state;
 * optional RFC 9421 signed callbacks with keys from GET /v2/public-key/http.
 *
 * Documented behaviour we rely on:
 * - initiate is idempotent on the id (our carrier key, a UUIDv4): a repeat answers DUPLICATE_IGNORED,
 *   so we read the existing payment's status instead. REJECTED means pawaPay took nothing → FAILED.
 * - statuses: COMPLETED and FAILED are final; ACCEPTED, PROCESSING, IN_RECONCILIATION, ENQUEUED
 *   (and v1's SUBMITTED) are in flight. Status reads answer FOUND with `data`, or NOT_FOUND.
 * - 4xx technical failures carry `failureReason {failureCode, failureMessage}`.
 * - amounts are decimal strings; the provider is our method name (MTN_MOMO_LBR, AIRTEL_RWA, …).
 *
 * Where we had to infer (the docs do not say):
 * - HTTP 5xx, 408, 429, timeouts, network errors and unreadable bodies: the outcome is unknown →
 *   CarrierUnavailable; settlement asks again with the same id (never a new one).
 * - 401/403 for our credentials (NO_AUTHENTICATION, AUTHENTICATION_ERROR, AUTHORISATION_ERROR,
 *   HTTP_SIGNATURE_ERROR) are a configuration fault, not the payment's: CarrierUnavailable, so
 *   payments resume once the operator fixes the token instead of failing wholesale. Other 4xx that
 *   carry a pawaPay failureReason → FAILED with it; a 4xx without one (a proxy's 404) → unavailable.
 * - a status read never guesses: anything but FOUND/NOT_FOUND for our id is CarrierUnavailable.
 * - the public-key list is `[{id, key}]` with a PEM (or base64 SPKI) key, as pawaPay's signing
 *   sample reads it.
 *
 * Callbacks (parseCallback): with PAWAPAY_CALLBACK_SIGNATURES=required the signature must verify
 * and cover `content-digest` (which must match the body); the signed body is then applied as it
 * is. Without signatures a callback is only a hint: we re-read the payment from pawaPay's API with
 * our token and apply it only if the API confirms a final status, so a forged callback can at most
 * trigger a status read (it cannot move money, nor push back the polling schedule).
 *
 * Bounded: every call times out (PAWAPAY_TIMEOUT_MS, below settlement's own limit), responses over
 * 64 KiB are refused, redirects are refused (the token never follows one), key refreshes are rate
 * limited.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { type CarrierCallback, type CarrierConnector, type CarrierOperation, type CarrierRequest, type CarrierResult, CarrierUnavailable } from '../types.js';
import {
  buildInitiation,
  failureText,
  OPERATIONS,
  readInitiationResponse,
  readPayment,
  readStatusResponse,
  resultFromInitiation,
  resultFromPayment,
  resultFromStatus,
  UUID_RE,
} from './protocol.js';
import { type HeaderMap, verifyContentDigest, verifyRequest } from './signatures.js';

export const PAWAPAY_TIMEOUT_MS_DEFAULT = 8_000;
export const RESPONSE_BYTES_MAX = 64 * 1024;
/** How often we may refetch pawaPay's public keys when a callback names a key we do not know. */
const KEY_REFRESH_MIN_MS = 60_000;
const KEYS_MAX = 16;
/** Where our server receives pawaPay callbacks (src/http/callbacks.ts). */
export const DEFAULT_CALLBACK_PATH = '/callbacks/pawapay';
/** What a signed callback must cover: the body (through its digest). */
const REQUIRED_SIGNED_COMPONENTS = ['content-digest'] as const;
const CREDENTIAL_FAILURES = new Set(['NO_AUTHENTICATION', 'AUTHENTICATION_ERROR', 'AUTHORISATION_ERROR', 'HTTP_SIGNATURE_ERROR']);

export type CallbackSignatures = 'required' | 'off';

export interface PawapayConnectorOptions {
  /** https://api.sandbox.pawapay.io, https://api.pawapay.io, or the simulator's URL. */
  readonly base_url: string;
  readonly api_token: string;
  readonly clock: Clock;
  readonly timeout_ms?: number;
  readonly callback_signatures?: CallbackSignatures;
  /** The public URL pawaPay posts callbacks to (for a signature's @authority/@path); else the Host header and /callbacks/pawapay. */
  readonly callback_url?: string;
  readonly log?: { warn(obj: object, msg: string): void };
}

interface HttpAnswer {
  readonly status: number;
  readonly json: unknown;
}

const readFailure = (json: unknown): { failureCode: string; failureMessage?: string } | undefined => {
  const r = (json as { failureReason?: { failureCode?: unknown; failureMessage?: unknown } } | undefined)?.failureReason;
  if (!r || typeof r.failureCode !== 'string' || r.failureCode.length > 64) return undefined;
  return { failureCode: r.failureCode, ...(typeof r.failureMessage === 'string' ? { failureMessage: r.failureMessage.slice(0, 300) } : {}) };
};

export class PawapayConnector implements CarrierConnector {
  readonly gateway = 'PAWAPAY' as const;
  private readonly base_url: string;
  private readonly timeout_ms: number;
  private readonly signatures: CallbackSignatures;
  private keys = new Map<string, KeyObject>();
  private keys_fetched_at = -Infinity;
  private keys_inflight: Promise<void> | undefined;

  constructor(private readonly o: PawapayConnectorOptions) {
    const url = new URL(o.base_url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('assertion: pawaPay base URL is http(s)');
    if (!o.api_token) throw new Error('assertion: pawaPay needs an API token');
    this.base_url = o.base_url.replace(/\/+$/, '');
    this.timeout_ms = o.timeout_ms ?? PAWAPAY_TIMEOUT_MS_DEFAULT;
    if (!(this.timeout_ms > 0 && this.timeout_ms <= 60_000)) throw new Error('assertion: pawaPay timeout is 1 ms – 60 s');
    this.signatures = o.callback_signatures ?? 'off';
  }

  async initiate(req: CarrierRequest): Promise<CarrierResult> {
    const built = buildInitiation(req);
    if (!built.ok) return built.result;
    const answer = await this.call('POST', built.path, built.body);
    if (answer.status >= 200 && answer.status < 300) {
      const r = readInitiationResponse(answer.json);
      if (!r) throw new CarrierUnavailable(`pawaPay answered POST ${built.path} with an unreadable body`);
      // DUPLICATE_IGNORED: pawaPay already has this id (our earlier attempt got through) — its status is the answer.
      return resultFromInitiation(r, req.idempotency_key) ?? this.query(req.operation, req.idempotency_key);
    }
    return this.refusal(answer, `POST ${built.path}`);
  }

  async query(operation: CarrierOperation, idempotency_key: string): Promise<CarrierResult> {
    if (!UUID_RE.test(idempotency_key)) throw new Error('assertion: pawaPay ids are UUIDs');
    const path = `${OPERATIONS[operation].path}/${idempotency_key}`;
    const answer = await this.call('GET', path);
    const s = readStatusResponse(answer.json);
    const ok = answer.status >= 200 && answer.status < 300;
    if (s?.status === 'NOT_FOUND' && (ok || answer.status === 404)) return resultFromStatus(s);
    if (!ok || !s?.data) throw new CarrierUnavailable(`pawaPay answered GET ${OPERATIONS[operation].path}/… with HTTP ${answer.status}${s ? '' : ' and an unreadable body'}`);
    const id = s.data[OPERATIONS[operation].id_field];
    if (id?.toLowerCase() !== idempotency_key.toLowerCase()) throw new CarrierUnavailable('pawaPay answered a status read with another payment');
    return resultFromStatus(s);
  }

  /**
   * A callback pawaPay POSTed us. Signed mode: verified, then applied as sent. Unsigned: a hint —
   * applied only when pawaPay's API confirms a final status now. Anything else is refused (400) and
   * changes nothing, not even the polling schedule (so forged callbacks cannot delay reconciliation);
   * a genuine one that could not be confirmed is redelivered by pawaPay or found by reconciliation.
   */
  async parseCallback(headers: HeaderMap, body: unknown, rawBody: string): Promise<CarrierCallback | undefined> {
    const read = readPayment(body);
    if (!read) return undefined;
    const idempotency_key = read.id.toLowerCase();
    if (this.signatures === 'required') {
      const refused = await this.checkSignature(headers, rawBody);
      if (refused) {
        this.o.log?.warn({ gateway: this.gateway, reason: refused }, 'pawaPay callback refused');
        return undefined;
      }
      return { operation: read.operation, idempotency_key, result: resultFromPayment(read.payment) };
    }
    let result: CarrierResult;
    try {
      result = await this.query(read.operation, idempotency_key);
    } catch (err) {
      if (!(err instanceof CarrierUnavailable)) throw err;
      this.o.log?.warn({ gateway: this.gateway, reason: err.message }, 'pawaPay callback not confirmed: pawaPay unreachable');
      return undefined;
    }
    if (result.state !== 'completed' && result.state !== 'failed') {
      this.o.log?.warn({ gateway: this.gateway, confirmed: result.state }, 'pawaPay callback refused: pawaPay does not confirm a final status');
      return undefined;
    }
    return { operation: read.operation, idempotency_key, result };
  }

  // -------------------------------------------------------------------------------------------

  /** A non-2xx answer to an initiate call: a definite refusal (FAILED) or an unknown outcome (throws). */
  private refusal(answer: HttpAnswer, what: string): CarrierResult {
    const failure = readFailure(answer.json);
    const code = failure?.failureCode;
    if (answer.status >= 500 || answer.status === 408 || answer.status === 429 || answer.status < 400) {
      throw new CarrierUnavailable(`pawaPay answered ${what} with HTTP ${answer.status}`);
    }
    if (!code || CREDENTIAL_FAILURES.has(code)) {
      if (code) this.o.log?.warn({ gateway: this.gateway, failure_code: code }, 'pawaPay refused our credentials; check PAWAPAY_API_TOKEN');
      throw new CarrierUnavailable(`pawaPay answered ${what} with HTTP ${answer.status}${code ? ` ${code}` : ''}`);
    }
    return { state: 'failed', failure_code: code, message: failureText(code, failure.failureMessage) };
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.o.api_token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(`${this.base_url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeout_ms),
      });
      const text = await readCapped(res, RESPONSE_BYTES_MAX);
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, json };
    } catch (err) {
      if (err instanceof CarrierUnavailable) throw err;
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new CarrierUnavailable(`pawaPay did not answer ${method} ${path.split('/').slice(0, 3).join('/')} within ${this.timeout_ms} ms`);
      const c = (err as { cause?: { code?: string; message?: string } })?.cause;
      const cause = c?.code ?? c?.message ?? (err as Error)?.message ?? 'unknown';
      throw new CarrierUnavailable(`pawaPay could not be reached: ${cause}`);
    }
  }

  /** Undefined when the callback's signature and digest verify; else why not. */
  private async checkSignature(headers: HeaderMap, rawBody: string): Promise<string | undefined> {
    if (!verifyContentDigest(headers['content-digest'], rawBody)) return 'Content-Digest is missing or does not match the body';
    const target = this.o.callback_url ? new URL(this.o.callback_url) : undefined;
    const host = typeof headers.host === 'string' ? headers.host : '';
    const outcome = await verifyRequest(
      { method: 'POST', authority: target?.host ?? host, path: target?.pathname ?? DEFAULT_CALLBACK_PATH, headers, ...(target ? { scheme: target.protocol === 'https:' ? 'https' : 'http' } : {}) },
      (keyid) => this.publicKeys(keyid),
      { required: REQUIRED_SIGNED_COMPONENTS, now_s: Math.floor(this.o.clock.now().getTime() / 1000) },
    );
    return outcome.ok ? undefined : outcome.reason;
  }

  /** pawaPay's callback-signing keys: the one named, or all when none is named. Refetched when a new id appears (rate limited). */
  private async publicKeys(keyid: string | undefined): Promise<KeyObject[]> {
    const known = () => (keyid === undefined ? [...this.keys.values()] : this.keys.has(keyid) ? [this.keys.get(keyid)!] : []);
    if (known().length === 0 && performance.now() - this.keys_fetched_at >= KEY_REFRESH_MIN_MS) {
      this.keys_inflight ??= this.fetchKeys().finally(() => {
        this.keys_inflight = undefined;
      });
      await this.keys_inflight;
    }
    return known();
  }

  private async fetchKeys(): Promise<void> {
    this.keys_fetched_at = performance.now();
    let answer: HttpAnswer;
    try {
      answer = await this.call('GET', '/v2/public-key/http');
    } catch (err) {
      this.o.log?.warn({ gateway: this.gateway, err: (err as Error).message }, 'could not fetch pawaPay public keys');
      return;
    }
    if (answer.status !== 200 || !Array.isArray(answer.json)) return;
    const next = new Map<string, KeyObject>();
    for (const entry of answer.json.slice(0, KEYS_MAX) as { id?: unknown; key?: unknown }[]) {
      if (typeof entry?.id !== 'string' || typeof entry.key !== 'string') continue;
      try {
        const pem = entry.key.includes('-----BEGIN') ? entry.key : `-----BEGIN PUBLIC KEY-----\n${entry.key.replace(/\s+/g, '')}\n-----END PUBLIC KEY-----\n`;
        next.set(entry.id, createPublicKey(pem));
      } catch {
        this.o.log?.warn({ gateway: this.gateway, keyid: entry.id }, 'pawaPay published a key we cannot read');
      }
    }
    if (next.size > 0) this.keys = next;
  }
}

/** The response body as text, refusing more than `max` bytes (an endless or huge body is not an answer). */
async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new CarrierUnavailable(`pawaPay answered with ${declared} bytes (more than ${max})`);
  }
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new CarrierUnavailable(`pawaPay answered with more than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
