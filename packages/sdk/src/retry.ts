/**
 * Backoff for retries: exponential with jitter, a bounded number of attempts and a bounded total
 * time. The same numbers serve reads, token requests and the safe-execution loop.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts_max: number;
  /** The first retry waits about this long; each later one doubles it. */
  base_delay_ms: number;
  /** No single wait is longer (but a 429's Retry-After is always honoured, within total_time_ms). */
  max_delay_ms: number;
  /** Give up rather than start a wait that would end past this much time since the first attempt. */
  total_time_ms: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts_max: 5,
  base_delay_ms: 500,
  max_delay_ms: 15_000,
  total_time_ms: 120_000,
};

/** Injected time, so tests can drive minutes without waiting (and so can callers with fake timers). */
export interface Timing {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const realTiming: Timing = { now: () => Date.now(), sleep: realSleep, random: Math.random };

/**
 * The wait before retry number `retry` (1 for the first retry): "equal jitter" — half the
 * exponential step fixed, half random — so retries from many clients spread out but never collapse
 * to zero.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number): number {
  const step = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * How long to wait before the next attempt, or undefined when the policy says stop: attempts used
 * up, or the wait would end past the total time. `at_least_ms` is a server's Retry-After.
 */
export function nextDelay(
  policy: RetryPolicy,
  attempt: number,
  started_ms: number,
  now_ms: number,
  random: () => number,
  at_least_ms = 0,
): number | undefined {
  if (attempt >= policy.attempts_max) return undefined;
  const delay = Math.max(at_least_ms, backoffDelay(policy, attempt, random));
  if (now_ms + delay - started_ms > policy.total_time_ms) return undefined;
  return delay;
}

/** A signal that aborts when any of `signals` does (AbortSignal.any needs Node 20.3). */
export function anySignal(signals: (AbortSignal | undefined)[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  const listeners: [AbortSignal, () => void][] = [];
  for (const s of present) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    const l = () => controller.abort(s.reason);
    s.addEventListener('abort', l, { once: true });
    listeners.push([s, l]);
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const [s, l] of listeners) s.removeEventListener('abort', l);
    },
  };
}
