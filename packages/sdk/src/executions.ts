/**
 * Safe execution, the docs' rules made code:
 *
 * 1. The reference_id (the caller's, or a UUIDv4 the SDK makes) exists BEFORE the request, and
 *    `onReferenceId` is awaited first so the caller can persist it.
 * 2. A network error or a 5xx leaves the outcome unknown: ask GET /v1/status/{op}/{reference_id}.
 *    Found and past PENDING → that state is the answer (the attempt landed; nothing is resent).
 *    Not found, still PENDING, or the status call failed too → resend with the SAME reference_id
 *    (the server answers a duplicate with the current state, so this can never move money twice).
 * 3. 429 → wait Retry-After and resend (the server refused before doing anything).
 * 4. Backoff with jitter, bounded attempts and total time (retry.ts).
 * 5. A new reference_id only when the attempt is confirmed FAILED or not found (404 on status after
 *    the retries are spent), and only when the caller opted in with `newAttempt`.
 */
import { randomUUID } from 'node:crypto';
import { DollrError, DollrNetworkError, DollrRateLimitError } from './errors.js';
import { nextDelay } from './retry.js';
import { failedBeforeSend, type RawResponse, type RequestOptions, type Transport } from './transport.js';
import type { CollectionBody, ExecutionResponse, Operation, PayoutBody, RefundBody, TransferBody } from './types.js';

export interface ExecutionBodies {
  collection: CollectionBody;
  payout: PayoutBody;
  transfer: TransferBody;
  refund: RefundBody;
}

type IdKey = 'session_id' | 'payment_account_id' | 'payout_account_id';
/**
 * What a caller passes: the body without a required reference_id; ids may be numbers (the wire
 * format wants strings — "55" — which is the docs' most common 422, so the SDK converts).
 */
export type ExecutionInput<B> = { [K in keyof B as K extends 'reference_id' ? never : K]: K extends IdKey ? string | number : B[K] } & {
  reference_id?: string;
};

export interface NewAttemptInfo<B> {
  /** Why the previous attempt is over: the server answered FAILED, or has no such execution. */
  reason: 'FAILED' | 'NOT_FOUND';
  previous_reference_id: string;
  /** The FAILED execution (absent for NOT_FOUND). */
  previous?: ExecutionResponse;
  previous_input: ExecutionInput<B>;
}

export interface ExecuteOptions<B> extends RequestOptions {
  /** Awaited before the first request that uses a reference_id: persist it here. */
  onReferenceId?: (reference_id: string) => void | Promise<void>;
  /**
   * Opt-in: after a confirmed FAILED or NOT_FOUND, return the input for a fresh attempt (a new
   * session, usually) and the SDK makes a new reference_id for it; return undefined to stop.
   */
  newAttempt?: (info: NewAttemptInfo<B>) => Promise<ExecutionInput<B> | undefined> | ExecutionInput<B> | undefined;
  /** How many fresh attempts `newAttempt` may start (default 1). */
  newAttemptsMax?: number;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function newReferenceId(): string {
  return randomUUID();
}

function toWire<B>(input: ExecutionInput<B>, reference_id: string): B {
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>), reference_id };
  for (const k of ['session_id', 'payment_account_id', 'payout_account_id']) {
    if (typeof out[k] === 'number') out[k] = String(out[k]);
  }
  return out as B;
}

type Settled = { kind: 'answer'; execution: ExecutionResponse } | { kind: 'not_found'; error: DollrError };

export class SafeExecutor {
  constructor(private readonly t: Transport) {}

  async execute<O extends Operation>(
    op: O,
    input: ExecutionInput<ExecutionBodies[O]>,
    opts: ExecuteOptions<ExecutionBodies[O]> = {},
  ): Promise<ExecutionResponse> {
    let current = input;
    let reference_id = input.reference_id ?? newReferenceId();
    let fresh_left = opts.newAttemptsMax ?? 1;
    for (;;) {
      if (!UUID_V4.test(reference_id)) throw new TypeError(`reference_id must be a version-4 UUID: ${reference_id}`);
      await opts.onReferenceId?.(reference_id);
      const settled = await this.settle(op, toWire(current, reference_id), reference_id, opts);
      const failed = settled.kind === 'not_found' || settled.execution.status === 'FAILED';
      if (failed && opts.newAttempt && fresh_left > 0) {
        const next = await opts.newAttempt({
          reason: settled.kind === 'not_found' ? 'NOT_FOUND' : 'FAILED',
          previous_reference_id: reference_id,
          ...(settled.kind === 'answer' ? { previous: settled.execution } : {}),
          previous_input: current,
        });
        if (next) {
          fresh_left--;
          current = next;
          reference_id = next.reference_id && next.reference_id !== reference_id ? next.reference_id : newReferenceId();
          continue;
        }
      }
      if (settled.kind === 'not_found') throw settled.error;
      return settled.execution;
    }
  }

  /** Drive one reference_id to an answer: the execution's state, or a confirmed "not found". */
  private async settle(op: Operation, body: unknown, reference_id: string, opts: RequestOptions): Promise<Settled> {
    const { timing } = this.t;
    const policy = this.t.policy(opts.retry);
    const req = { method: 'POST' as const, path: `/v1/executions/${op}`, body };
    const started_ms = timing.now();
    let last_known: ExecutionResponse | undefined;
    for (let attempt = 1; ; attempt++) {
      let ambiguous: DollrError;
      let at_least_ms = 0;
      let res: RawResponse | undefined;
      let unsent = false;
      try {
        res = await this.t.exchange(req, opts);
      } catch (err) {
        // No token could be had: the execution was never sent; back off and try again.
        unsent = failedBeforeSend(err) && err instanceof DollrError && (err.status === 0 || err.status === 429 || err.status >= 500);
        if (!(err instanceof DollrNetworkError) && !unsent) throw err;
        ambiguous = err as DollrError;
        if (err instanceof DollrNetworkError && err.notSent) unsent = true;
      }
      if (res) {
        if (res.status >= 200 && res.status < 300) {
          opts.onResponse?.({ status: res.status, headers: res.headers, requestId: res.requestId });
          return { kind: 'answer', execution: res.body as ExecutionResponse };
        }
        const err = this.t.toError(req, res);
        err.referenceId = reference_id;
        if (err instanceof DollrRateLimitError) at_least_ms = err.retryAfterMs ?? 0;
        else if (res.status < 500) throw err; // 4xx: the server decided; nothing to retry
        ambiguous = err;
      }
      ambiguous!.referenceId = reference_id;

      // Unknown outcome (not a 429 nor a request never sent): the status endpoint knows.
      let confirmed_missing = false;
      if (!(ambiguous! instanceof DollrRateLimitError) && !unsent) {
        const st = await this.status(op, reference_id, opts);
        if (st.kind === 'found') {
          last_known = st.execution;
          if (st.execution.status !== 'PENDING') return { kind: 'answer', execution: st.execution };
        }
        confirmed_missing = st.kind === 'missing';
      }
      const delay = nextDelay(policy, attempt, started_ms, timing.now(), timing.random, at_least_ms);
      if (delay === undefined) {
        if (last_known) return { kind: 'answer', execution: last_known };
        if (confirmed_missing) return { kind: 'not_found', error: ambiguous! };
        throw ambiguous!;
      }
      await timing.sleep(delay, opts.signal);
    }
  }

  /** GET /v1/status/{op}/{reference_id}, once, without throwing: found, missing (404) or unknown. */
  async status(
    op: Operation,
    reference_id: string,
    opts: RequestOptions,
  ): Promise<{ kind: 'found'; execution: ExecutionResponse } | { kind: 'missing' } | { kind: 'unknown' }> {
    try {
      const res = await this.t.exchange({ method: 'GET', path: `/v1/status/${op}/{reference_id}`, pathParams: { reference_id } }, opts);
      if (res.status === 200) return { kind: 'found', execution: res.body as ExecutionResponse };
      if (res.status === 404) return { kind: 'missing' };
      return { kind: 'unknown' };
    } catch (err) {
      if (err instanceof DollrNetworkError) return { kind: 'unknown' };
      throw err;
    }
  }
}
