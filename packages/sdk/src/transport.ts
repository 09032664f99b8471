/**
 * One HTTP exchange with the server, and the retry rules that are safe for each kind of request.
 *
 * - Every request with a token: a 401 drops the token, obtains a new one (shared with concurrent
 *   callers) and resends the request once; a second 401 is the caller's DollrAuthError.
 * - Reads (GET) and the token call: retried on network errors, 5xx and 429 with backoff.
 * - Writes: retried only when the server certainly did not act — 429 (refused before the handler)
 *   and a connection that was never made. Anything else is the caller's to judge; executions go
 *   through the safe-execution loop (executions.ts), which asks the status endpoint first.
 */
import { DollrError, DollrNetworkError, DollrRateLimitError, errorForResponse } from './errors.js';
import { anySignal, DEFAULT_RETRY, nextDelay, type RetryPolicy, type Timing } from './retry.js';
import type { TokenManager } from './token.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type QueryValue = string | number | boolean | undefined | null;

export interface ResponseMeta {
  status: number;
  headers: Headers;
  /** The server's `x-request-id`. */
  requestId: string | undefined;
}

/** Per-call options every SDK method takes. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Extra headers (e.g. your own `x-request-id`). */
  headers?: Record<string, string>;
  /** Called with the final response's status and headers (X-Next-Cursor, X-Payment-Intent-Id…). */
  onResponse?: (meta: ResponseMeta) => void;
  /** Per-attempt timeout; the client's default otherwise. */
  timeoutMs?: number;
  /** Override the client's retry policy for this call; `false` sends once. */
  retry?: Partial<RetryPolicy> | false;
}

export interface HttpRequest {
  method: HttpMethod;
  /** A path template such as `/v1/invoices/retrieve/{id}`. */
  path: string;
  pathParams?: Record<string, string | number> | undefined;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  /** False only for the token call. */
  auth?: boolean;
  /** Safe to resend after an ambiguous failure (GET; the token call). */
  idempotent?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
  requestId: string | undefined;
}

export interface TransportOptions {
  baseUrl: string;
  fetch: typeof fetch;
  timing: Timing;
  retry: RetryPolicy;
  timeoutMs: number;
  userAgent: string;
  tokens: TokenManager | undefined;
}

/**
 * Errors raised while getting a token for a request: the request itself was never sent, so any
 * retry rule may resend it (a write included) — and the token call is not retried on its own, so
 * the retries never nest.
 */
const BEFORE_SEND = new WeakSet<object>();
export function failedBeforeSend(err: unknown): boolean {
  return typeof err === 'object' && err !== null && BEFORE_SEND.has(err);
}
async function beforeSend<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (typeof err === 'object' && err !== null) BEFORE_SEND.add(err);
    throw err;
  }
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCodes(err: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || seen.has(e) || depth > 4) return;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    walk((e as { cause?: unknown }).cause, depth + 1);
    for (const inner of ((e as { errors?: unknown[] }).errors ?? []) as unknown[]) walk(inner, depth + 1);
  };
  walk(err, 0);
  return out;
}

/** `http://host:8000/v1/` and `http://host:8000` both mean the server root (paths carry /v1). */
export function normalizeBaseUrl(baseUrl: string): string {
  const u = new URL(baseUrl);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`baseUrl must be http(s): ${baseUrl}`);
  return u.toString().replace(/\/+$/, '').replace(/\/v1$/, '');
}

export function buildPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined || v === '') throw new TypeError(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(String(v));
  });
}

export class Transport {
  readonly baseUrl: string;

  constructor(private readonly o: TransportOptions) {
    this.baseUrl = normalizeBaseUrl(o.baseUrl);
  }

  get timing(): Timing {
    return this.o.timing;
  }

  policy(override: RequestOptions['retry']): RetryPolicy {
    if (override === false) return { ...this.o.retry, attempts_max: 1 };
    return { ...this.o.retry, ...(override ?? {}) };
  }

  /** A request with its retry rules; resolves to the parsed 2xx body or throws a typed error. */
  async request<T>(req: HttpRequest, opts: RequestOptions = {}): Promise<T> {
    const policy = this.policy(opts.retry);
    const idempotent = req.idempotent ?? req.method === 'GET';
    const started_ms = this.o.timing.now();
    for (let attempt = 1; ; attempt++) {
      let failure: DollrError;
      try {
        const res = await this.exchange(req, opts);
        if (res.status >= 200 && res.status < 300) {
          opts.onResponse?.({ status: res.status, headers: res.headers, requestId: res.requestId });
          return res.body as T;
        }
        failure = this.toError(req, res);
      } catch (err) {
        const retryableBeforeSend = failedBeforeSend(err) && err instanceof DollrError && (err.status === 0 || err.status === 429 || err.status >= 500);
        if (!(err instanceof DollrNetworkError) && !retryableBeforeSend) throw err;
        failure = err as DollrError;
      }
      const retryable =
        failedBeforeSend(failure) ||
        failure instanceof DollrRateLimitError ||
        (failure instanceof DollrNetworkError && (idempotent || failure.notSent)) ||
        (idempotent && failure.status >= 500);
      if (!retryable) throw failure;
      const at_least = failure instanceof DollrRateLimitError ? (failure.retryAfterMs ?? 0) : 0;
      const delay = nextDelay(policy, attempt, started_ms, this.o.timing.now(), this.o.timing.random, at_least);
      if (delay === undefined) throw failure;
      await this.o.timing.sleep(delay, opts.signal);
    }
  }

  /**
   * Open a text/event-stream (the realtime status stream authenticates with the access_token in
   * its query, not a bearer header). Resolves once headers arrive; a non-2xx answer is thrown typed.
   */
  async openStream(req: HttpRequest, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const path = buildPath(req.path, req.pathParams);
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await this.o.fetch(url, { method: 'GET', headers: { accept: 'text/event-stream', 'user-agent': this.o.userAgent }, signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      throw new DollrNetworkError(`Network error on GET ${req.path}: ${errorCodes(err)[0] ?? (err as Error)?.message}`, {
        method: 'GET',
        path: req.path,
        cause: err,
        notSent: errorCodes(err).some((c) => NOT_SENT_CODES.has(c)),
      });
    }
    const requestId = res.headers.get('x-request-id') ?? undefined;
    if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      const text = await res.text().catch(() => '');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      // Log the route, never the URL: it carries the access token.
      throw this.toError({ ...req, query: undefined }, { status: res.status, headers: res.headers, body, requestId });
    }
    return res.body;
  }

  toError(req: HttpRequest, res: RawResponse): DollrError {
    return errorForResponse(res.status, res.body, {
      requestId: res.requestId,
      method: req.method,
      path: buildPath(req.path, req.pathParams),
      retryAfter: res.headers.get('retry-after'),
      now_ms: this.o.timing.now(),
    });
  }

  /**
   * One exchange — plus, for an authenticated request answered 401, one resend with a newly
   * obtained token. Throws DollrNetworkError when no answer arrives; returns any HTTP answer.
   */
  async exchange(req: HttpRequest, opts: RequestOptions = {}): Promise<RawResponse> {
    const auth = req.auth ?? true;
    if (!auth || !this.o.tokens) return this.send(req, opts, undefined);
    const token = await beforeSend(this.o.tokens.get());
    const res = await this.send(req, opts, token);
    if (res.status !== 401) return res;
    const renewed = await beforeSend(this.o.tokens.renewAfterRejection(token));
    return this.send(req, opts, renewed);
  }

  private async send(req: HttpRequest, opts: RequestOptions, token: string | undefined): Promise<RawResponse> {
    const path = buildPath(req.path, req.pathParams);
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.o.userAgent, ...(opts.headers ?? {}) };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('request timed out', 'TimeoutError')), opts.timeoutMs ?? this.o.timeoutMs);
    const combined = anySignal([opts.signal, timeout.signal]);
    try {
      const res = await this.o.fetch(url, { method: req.method, headers, body, signal: combined.signal });
      const text = await res.text();
      let parsed: unknown = text;
      if (text && (res.headers.get('content-type') ?? '').includes('json')) {
        try {
          parsed = JSON.parse(text);
        } catch {
          // keep the text: a proxy's error page, say
        }
      } else if (!text) parsed = undefined;
      return { status: res.status, headers: res.headers, body: parsed, requestId: res.headers.get('x-request-id') ?? undefined };
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err; // the caller gave up: not a network problem
      const codes = errorCodes(err);
      const timedOut = timeout.signal.aborted;
      const reason = timedOut ? `no answer within ${opts.timeoutMs ?? this.o.timeoutMs} ms` : (codes[0] ?? (err as Error)?.message ?? 'network error');
      throw new DollrNetworkError(`Network error on ${req.method} ${path}: ${reason}`, {
        method: req.method,
        path,
        cause: err,
        notSent: !timedOut && codes.some((c) => NOT_SENT_CODES.has(c)),
      });
    } finally {
      clearTimeout(timer);
      combined.dispose();
    }
  }
}

export { DEFAULT_RETRY };
