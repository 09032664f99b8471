/**
 * Rate limits, per IP on every request and per merchant once authenticated (the docs' "per
 * merchant or IP"). Fixed one-minute windows. The counter store is PostgreSQL whenever the server
 * runs on a PostgreSQL server (so several instances share one count) and in-process memory on the
 * embedded default, which is single-process by construction.
 *
 * Shared counts are reserved in chunks: an instance takes a few slots at once from the database
 * (one upsert) and spends them locally, so a busy API does not write a row per request. Chunks
 * shrink as the window fills (an eighth of what is left, at most 50) down to one slot near the
 * limit — so the limit is never exceeded; at worst a few slots reserved by an instance that goes
 * quiet stay unused until the window ends.
 *
 * Written here rather than with @fastify/rate-limit because we need two keys on one request (IP
 * before auth, merchant after it), the injected clock and chunked reservations.
 */
import type { Clock } from '../clock.js';
import { DomainError } from '../domain/errors.js';
import type { Database } from '../store/db.js';
import { deleteExpiredWindows, reserveWindow } from '../store/rate-limits.js';

export const WINDOW_MS = 60_000;
const CHUNK_MAX = 50;
const CHUNK_DIVISOR = 8n;
const LOCAL_KEYS_MAX = 100_000;
const ROUNDS_MAX = 1_000;

export interface CounterStore {
  /** Whether several instances share these counts (then reservations are chunked). */
  readonly shared: boolean;
  /** Add `n` to the key's window; the count after adding and when the window resets. */
  reserve(key: string, n: number, window_ms: number, now: Date): Promise<{ count: number; reset_at: Date }>;
  sweep(now: Date): Promise<void>;
}

export class MemoryCounterStore implements CounterStore {
  readonly shared = false;
  private readonly windows = new Map<string, { count: number; reset_ms: number }>();
  async reserve(key: string, n: number, window_ms: number, now: Date) {
    const now_ms = now.getTime();
    let w = this.windows.get(key);
    if (!w || w.reset_ms <= now_ms) {
      if (!w && this.windows.size >= LOCAL_KEYS_MAX) await this.sweep(now);
      w = { count: 0, reset_ms: now_ms + window_ms };
      this.windows.set(key, w);
    }
    w.count += n;
    return { count: w.count, reset_at: new Date(w.reset_ms) };
  }
  async sweep(now: Date) {
    const now_ms = now.getTime();
    for (const [k, w] of this.windows) if (w.reset_ms <= now_ms) this.windows.delete(k);
  }
}

export class PostgresCounterStore implements CounterStore {
  readonly shared = true;
  constructor(private readonly database: Database) {}
  reserve(key: string, n: number, window_ms: number, now: Date) {
    return reserveWindow(this.database.db, key, n, window_ms, now);
  }
  sweep(now: Date) {
    return deleteExpiredWindows(this.database.db, now);
  }
}

export interface Limits {
  merchant_per_min: number;
  ip_per_min: number;
}

interface Local {
  reset_ms: number;
  budget: number; // reserved slots not yet spent
  last_count: number; // the shared count after our last reservation
  pending?: Promise<void>; // a reservation in flight; concurrent hits wait for it
}

export class RateLimiter {
  private readonly local = new Map<string, Local>();

  constructor(
    private readonly store: CounterStore,
    private readonly clock: Clock,
    private readonly limits: Limits,
  ) {}

  /** Count one request against `key`; throws the documented 429 with Retry-After when over. */
  async hit(kind: 'ip' | 'merchant', id: string): Promise<void> {
    const limit = kind === 'ip' ? this.limits.ip_per_min : this.limits.merchant_per_min;
    if (limit <= 0) return; // 0 disables the limit
    const key = `${kind}:${id}`;
    // Bounded: every pass either spends a slot, answers 429 or waits for a reservation in flight.
    for (let round = 0; round < ROUNDS_MAX; round++) {
      const now = this.clock.now();
      let st = this.local.get(key);
      if (!st || (!st.pending && st.reset_ms <= now.getTime())) {
        if (this.local.size >= LOCAL_KEYS_MAX) this.local.clear();
        st = { reset_ms: 0, budget: 0, last_count: 0 };
        this.local.set(key, st);
      }
      if (st.budget > 0) {
        st.budget--;
        return;
      }
      if (st.pending) {
        await st.pending;
        continue;
      }
      const left = Math.max(0, limit - st.last_count);
      const n = this.store.shared ? Math.max(1, Math.min(CHUNK_MAX, Number(BigInt(left) / CHUNK_DIVISOR))) : 1;
      let outcome: { count: number; reset_at: Date } | undefined;
      st.pending = this.store.reserve(key, n, WINDOW_MS, now).then((r) => {
        outcome = r;
      });
      try {
        await st.pending;
      } finally {
        st.pending = undefined;
      }
      const { count, reset_at } = outcome!;
      st.reset_ms = reset_at.getTime();
      st.last_count = count;
      const usable = Math.min(n, limit - (count - n));
      if (usable > 0) {
        st.budget = usable - 1;
        return;
      }
      st.budget = 0;
      const reset_s = Math.max(1, Math.ceil((reset_at.getTime() - now.getTime()) / 1000));
      throw new DomainError('rate_limited', `Rate limit exceeded: ${limit} requests per minute per ${kind}. Retry after ${reset_s} seconds.`, {
        'retry-after': String(reset_s),
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset_s),
      });
    }
    throw new Error('assertion: rate limiter did not settle');
  }

  sweep(): Promise<void> {
    return this.store.sweep(this.clock.now());
  }
}
