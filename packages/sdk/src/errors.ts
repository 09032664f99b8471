/**
 * Typed errors: one class per answer a caller handles differently. Every error carries the HTTP
 * status (0 when no answer arrived), the parsed body, the server's request id (`x-request-id`) and,
 * for executions, the reference_id the SDK used — the key to ask the status endpoint with.
 */

/** One item of a 422 `detail` list (FastAPI's shape). Servers may add keys (`input`, `ctx`). */
export interface ValidationDetailItem {
  loc: (string | number)[];
  msg: string;
  type: string;
  [extra: string]: unknown;
}

export interface DollrErrorInit {
  status: number;
  body?: unknown;
  requestId?: string | undefined;
  method?: string;
  path?: string;
  referenceId?: string | undefined;
  cause?: unknown;
}

export class DollrError extends Error {
  override readonly name: string = 'DollrError';
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** The parsed response body (JSON), or its text. */
  readonly body: unknown;
  /** The server's `x-request-id` for the failed request: quote it to support. */
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** For executions: the reference_id of the attempt (ask `status` with it before anything else). */
  referenceId: string | undefined;

  constructor(message: string, init: DollrErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.body = init.body;
    this.requestId = init.requestId;
    this.method = init.method;
    this.path = init.path;
    this.referenceId = init.referenceId;
  }

  /** The `detail` string of 401/403/404/429/5xx bodies, when there is one. */
  get detailMessage(): string | undefined {
    const d = (this.body as { detail?: unknown } | undefined)?.detail;
    return typeof d === 'string' ? d : undefined;
  }
}

/** 422: the request must be fixed; `detail` lists every field that failed. */
export class DollrValidationError extends DollrError {
  override readonly name = 'DollrValidationError';
  readonly detail: ValidationDetailItem[];
  constructor(message: string, init: DollrErrorInit) {
    super(message, init);
    const d = (init.body as { detail?: unknown } | undefined)?.detail;
    this.detail = Array.isArray(d) ? (d as ValidationDetailItem[]) : [];
  }
  /** True when the server refused a reused reference_id with a different payload. */
  get isDuplicateReference(): boolean {
    return this.detail.some((d) => d.type === 'value_error.duplicate' && d.loc.at(-1) === 'reference_id');
  }
}

/** 401: missing, expired or revoked token, or wrong client credentials. */
export class DollrAuthError extends DollrError {
  override readonly name = 'DollrAuthError';
}

/** 403: valid token, but not allowed (unverified merchant, wrong or locked payout passcode). */
export class DollrForbiddenError extends DollrError {
  override readonly name = 'DollrForbiddenError';
}

/** 404: unknown route, or an id the caller may not see. */
export class DollrNotFoundError extends DollrError {
  override readonly name = 'DollrNotFoundError';
}

/** 429: over the rate limit; `retryAfterMs` from the `Retry-After` header (undefined if absent). */
export class DollrRateLimitError extends DollrError {
  override readonly name = 'DollrRateLimitError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, init: DollrErrorInit & { retryAfterMs: number | undefined }) {
    super(message, init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** 5xx: the outcome is unknown; `errorId` is the server's log reference when it sent one. */
export class DollrServerError extends DollrError {
  override readonly name = 'DollrServerError';
  get errorId(): string | undefined {
    const id = (this.body as { error_id?: unknown } | undefined)?.error_id;
    return typeof id === 'string' ? id : undefined;
  }
}

/** No HTTP answer: connection refused or reset, DNS failure, or the per-request timeout. */
export class DollrNetworkError extends DollrError {
  override readonly name = 'DollrNetworkError';
  /** True when the request certainly never reached the server (connection refused, DNS). */
  readonly notSent: boolean;
  constructor(message: string, init: Omit<DollrErrorInit, 'status'> & { notSent: boolean }) {
    super(message, { ...init, status: 0 });
    this.notSent = init.notSent;
  }
}

/** waitForFinal ran out of time; `last` is the last state seen (PENDING or PROCESSING). */
export class DollrTimeoutError extends DollrError {
  override readonly name = 'DollrTimeoutError';
  readonly last: unknown;
  constructor(message: string, init: Omit<DollrErrorInit, 'status'> & { last: unknown }) {
    super(message, { ...init, status: 0 });
    this.last = init.last;
  }
}

/** A webhook's signature, timestamp or payload did not check out. */
export class DollrSignatureVerificationError extends Error {
  override readonly name = 'DollrSignatureVerificationError';
  constructor(
    message: string,
    readonly reason: 'missing_header' | 'malformed_header' | 'timestamp_out_of_tolerance' | 'no_matching_signature' | 'invalid_payload',
  ) {
    super(message);
  }
}

/** "body.currency: field required; body.reference_id: …" — one line per item for humans. */
export function formatValidationDetail(detail: ValidationDetailItem[]): string[] {
  return detail.map((d) => {
    const where = d.loc.filter((p) => p !== '').join('.');
    return where ? `${where}: ${d.msg}` : d.msg;
  });
}

function bodyDetail(body: unknown): string | undefined {
  const d = (body as { detail?: unknown } | undefined)?.detail;
  if (typeof d === 'string') return d;
  if (Array.isArray(d)) return formatValidationDetail(d as ValidationDetailItem[]).join('; ');
  return undefined;
}

/** Parse `Retry-After` (seconds or an HTTP date) into milliseconds from `now_ms`. */
export function parseRetryAfter(value: string | null, now_ms: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now_ms);
}

/** The typed error for an HTTP answer that is not 2xx. */
export function errorForResponse(
  status: number,
  body: unknown,
  meta: { requestId: string | undefined; method: string; path: string; retryAfter: string | null; now_ms: number },
): DollrError {
  const init: DollrErrorInit = { status, body, requestId: meta.requestId, method: meta.method, path: meta.path };
  const detail = bodyDetail(body);
  const what = `${meta.method} ${meta.path}`;
  const msg = (label: string) => `${label} (${status}) on ${what}${detail ? `: ${detail}` : ''}`;
  if (status === 422) return new DollrValidationError(msg('Validation failed'), init);
  if (status === 401) return new DollrAuthError(msg('Not authenticated'), init);
  if (status === 403) return new DollrForbiddenError(msg('Forbidden'), init);
  if (status === 404) return new DollrNotFoundError(msg('Not found'), init);
  if (status === 429) {
    return new DollrRateLimitError(msg('Rate limited'), { ...init, retryAfterMs: parseRetryAfter(meta.retryAfter, meta.now_ms) });
  }
  if (status >= 500) {
    const id = (body as { error_id?: unknown } | undefined)?.error_id;
    return new DollrServerError(`${msg('Server error')}${typeof id === 'string' ? ` (error_id ${id})` : ''}`, init);
  }
  return new DollrError(msg('Request failed'), init);
}
