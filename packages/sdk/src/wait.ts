/**
 * waitForFinal: follow one execution until COMPLETED or FAILED.
 *
 * Polling is the baseline (the docs: mobile money can stay PROCESSING for minutes): the status
 * endpoint is asked at once, then with a growing interval (1 s × 1.5 per poll, at most 10 s), until
 * the deadline (10 minutes by default) or the caller's AbortSignal.
 *
 * For collections, `realtime: { session_id, source_type }` asks status once, then follows the
 * server's event stream (a realtime key, then GET /v1/realtime/collection/{reference_id}) for at
 * most 2 minutes; if the key cannot be had, the stream fails, goes quiet past the ping interval, or
 * closes without a final state, the wait goes on by polling. States never go backwards: a replayed
 * older state from the stream is ignored.
 */
import { DollrError, DollrTimeoutError } from './errors.js';
import { anySignal } from './retry.js';
import { SseParser } from './sse.js';
import type { Transport } from './transport.js';
import { type Body, type ExecutionResponse, FINAL_STATUSES, type Ok, type Operation } from './types.js';

export type RealtimeKeyBody = Body<'/v1/realtime-keys/collection', 'post'>;
/** `expires_in` is in SECONDS here (API tokens use minutes). */
export type RealtimeKey = Ok<'/v1/realtime-keys/collection', 'post'>;

export interface WaitOptions {
  /** Give up after this long (default 10 minutes): DollrTimeoutError with the last state seen. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** First poll interval (default 1000 ms); each next one × pollFactor (1.5), at most pollMaxMs (10 s). */
  pollInitialMs?: number;
  pollFactor?: number;
  pollMaxMs?: number;
  /** Called with each state seen that differs from the previous one (the first included). */
  onUpdate?: (execution: ExecutionResponse) => void;
  /** Collections only: follow the realtime stream first; polling takes over when it fails. */
  realtime?: { session_id: number; source_type: 'INVOICE' | 'ORDER' } | false;
  /** The stream counts as dead after this long without a byte (default 45 s; the server pings every 15 s). */
  streamIdleMs?: number;
  /** Follow the stream at most this long (default 2 minutes), then poll: events are hints, status is the truth. */
  realtimeMaxMs?: number;
}

export const WAIT_DEFAULTS = { timeoutMs: 10 * 60_000, pollInitialMs: 1_000, pollFactor: 1.5, pollMaxMs: 10_000, streamIdleMs: 45_000, realtimeMaxMs: 2 * 60_000 };

const RANK = (status: string) => (status === 'PENDING' ? 0 : status === 'PROCESSING' ? 1 : 2);

export const isFinal = (e: { status: string }) => FINAL_STATUSES.includes(e.status);

export class Waiter {
  constructor(private readonly t: Transport) {}

  async waitForFinal(op: Operation, reference_id: string, opts: WaitOptions = {}): Promise<ExecutionResponse> {
    const timing = this.t.timing;
    const deadline_ms = timing.now() + (opts.timeoutMs ?? WAIT_DEFAULTS.timeoutMs);
    let last: ExecutionResponse | undefined;
    /** Take a state unless it is older than one already seen (a stream may replay history). */
    const seen = (e: ExecutionResponse): boolean => {
      if (last && RANK(e.status) < RANK(last.status)) return false;
      if (!last || last.status !== e.status) opts.onUpdate?.(e);
      last = e;
      return true;
    };
    const poll = (signal: AbortSignal | undefined) =>
      this.t.request<ExecutionResponse>(
        { method: 'GET', path: `/v1/status/${op}/{reference_id}`, pathParams: { reference_id } },
        // Each poll's own retries must not outlive the wait.
        { signal, retry: { total_time_ms: Math.max(0, deadline_ms - timing.now()) } },
      );

    if (opts.realtime && op === 'collection') {
      // The state now, so the stream's replay of older states cannot show a step backwards.
      const now = await poll(opts.signal);
      seen(now);
      if (isFinal(now)) return now;
      const stream_deadline_ms = Math.min(deadline_ms, timing.now() + (opts.realtimeMaxMs ?? WAIT_DEFAULTS.realtimeMaxMs));
      const streamed = await this.followStream(reference_id, opts.realtime, stream_deadline_ms, opts, seen);
      if (streamed) return streamed;
    }

    let interval = opts.pollInitialMs ?? WAIT_DEFAULTS.pollInitialMs;
    for (;;) {
      opts.signal?.throwIfAborted();
      const e = await poll(opts.signal);
      seen(e);
      if (isFinal(e)) return e;
      const left = deadline_ms - timing.now();
      if (left <= 0) {
        throw new DollrTimeoutError(`${op} ${reference_id} is still ${e.status} after ${opts.timeoutMs ?? WAIT_DEFAULTS.timeoutMs} ms`, {
          referenceId: reference_id,
          last: e,
        });
      }
      await timing.sleep(Math.min(interval, left), opts.signal);
      interval = Math.min(opts.pollMaxMs ?? WAIT_DEFAULTS.pollMaxMs, Math.round(interval * (opts.pollFactor ?? WAIT_DEFAULTS.pollFactor)));
    }
  }

  /** POST /v1/realtime-keys/collection (the key's expires_in is in seconds). */
  realtimeKey(body: RealtimeKeyBody, signal?: AbortSignal): Promise<RealtimeKey> {
    return this.t.request<RealtimeKey>({ method: 'POST', path: '/v1/realtime-keys/collection', body }, { signal });
  }

  /**
   * Follow the stream until a final state (returned), or return undefined when it cannot help any
   * more (no key, an error, silence, or the server closed it early) so the caller polls instead.
   */
  private async followStream(
    reference_id: string,
    rt: { session_id: number; source_type: 'INVOICE' | 'ORDER' },
    deadline_ms: number,
    opts: WaitOptions,
    seen: (e: ExecutionResponse) => boolean,
  ): Promise<ExecutionResponse | undefined> {
    const stop = new AbortController();
    const deadline = setTimeout(() => stop.abort(new DOMException('wait deadline', 'TimeoutError')), Math.max(0, deadline_ms - this.t.timing.now()));
    const combined = anySignal([opts.signal, stop.signal]);
    try {
      const key = await this.realtimeKey({ session_id: rt.session_id, source_type: rt.source_type, reference_id }, combined.signal);
      for await (const e of statusEvents(this.t, reference_id, key.access_token, { signal: combined.signal, idleMs: opts.streamIdleMs })) {
        if (seen(e) && isFinal(e)) return e;
      }
      return undefined;
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      // No realtime (an older server: 404), a dropped connection or silence: polling carries on.
      if (err instanceof DollrError || stop.signal.aborted || err instanceof TypeError || (err as Error)?.name === 'TimeoutError') return undefined;
      throw err;
    } finally {
      clearTimeout(deadline);
      combined.dispose();
    }
  }
}

/**
 * The `status` events of one collection's stream, as ExecutionResponse objects, until the server
 * closes it (after COMPLETED or FAILED, or when the key expires). Throws when the stream cannot be
 * opened or stays silent longer than `idleMs` (default 45 s: three missed pings).
 */
export async function* statusEvents(
  t: Transport,
  reference_id: string,
  access_token: string,
  opts: { signal?: AbortSignal | undefined; idleMs?: number | undefined } = {},
): AsyncGenerator<ExecutionResponse> {
  const idle = new AbortController();
  const combined = anySignal([opts.signal, idle.signal]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const kick = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new DOMException('stream idle', 'TimeoutError')), opts.idleMs ?? WAIT_DEFAULTS.streamIdleMs);
  };
  try {
    kick();
    const stream = await t.openStream(
      { method: 'GET', path: '/v1/realtime/collection/{reference_id}', pathParams: { reference_id }, query: { access_token } },
      combined.signal,
    );
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (!done) kick();
        for (const ev of done ? parser.end() : parser.push(decoder.decode(value, { stream: true }))) {
          if (ev.event !== 'status') continue;
          let e: ExecutionResponse;
          try {
            e = JSON.parse(ev.data) as ExecutionResponse;
          } catch {
            continue; // a malformed event is not worth failing over; the status endpoint decides
          }
          if (e.reference_id?.toLowerCase() === reference_id.toLowerCase()) yield e;
        }
        if (done) return;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  } catch (err) {
    if (idle.signal.aborted && !opts.signal?.aborted) throw idle.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    combined.dispose();
  }
}
