/**
 * Rate limits, per IP on every request and per merchant once authenticated (the docs' "per
 * merchant or IP"). Fixed one-minute windows. The counter store is PostgreSQL whenever the server
 * runs on a PostgreSQL server (so several instances share one count) and in-process memory on the
 * embedded default, which is single-process by construction.
 *
 * Written here rather than with @fastify/rate-limit because we need two keys on one request (IP
 * before auth, merchant after it) and the injected clock; the plugin keys each route once.
 */
import type { Clock } from '../clock.js';
import { DomainError } from '../domain/errors.js';
import type { Database } from '../store/db.js';
import { deleteExpiredWindows, incrementWindow } from '../store/rate-limits.js';

export const WINDOW_MS = 60_000;
const MEMORY_KEYS_MAX = 100_000;

export interface CounterStore {
  increment(key: string, window_ms: number, now: Date): Promise<{ count: number; reset_at: Date }>;
  sweep(now: Date): Promise<void>;
}

export class MemoryCounterStore implements CounterStore {
  private readonly windows = new Map<string, { count: number; reset_ms: number }>();
  async increment(key: string, window_ms: number, now: Date) {
    const now_ms = now.getTime();
    let w = this.windows.get(key);
    if (!w || w.reset_ms <= now_ms) {
      if (!w && this.windows.size >= MEMORY_KEYS_MAX) await this.sweep(now);
      w = { count: 0, reset_ms: now_ms + window_ms };
      this.windows.set(key, w);
    }
    w.count++;
    return { count: w.count, reset_at: new Date(w.reset_ms) };
  }
  async sweep(now: Date) {
    const now_ms = now.getTime();
    for (const [k, w] of this.windows) if (w.reset_ms <= now_ms) this.windows.delete(k);
  }
}

export class PostgresCounterStore implements CounterStore {
  constructor(private readonly database: Database) {}
  increment(key: string, window_ms: number, now: Date) {
    return incrementWindow(this.database.db, key, window_ms, now);
  }
  sweep(now: Date) {
    return deleteExpiredWindows(this.database.db, now);
  }
}

export interface Limits {
  merchant_per_min: number;
  ip_per_min: number;
}

export class RateLimiter {
  constructor(
    private readonly store: CounterStore,
    private readonly clock: Clock,
    private readonly limits: Limits,
  ) {}

  /** Count one request against `key`; throws the documented 429 with Retry-After when over. */
  async hit(kind: 'ip' | 'merchant', id: string): Promise<{ limit: number; remaining: number; reset_s: number }> {
    const limit = kind === 'ip' ? this.limits.ip_per_min : this.limits.merchant_per_min;
    if (limit <= 0) return { limit: 0, remaining: 0, reset_s: 0 }; // 0 disables the limit
    const now = this.clock.now();
    const { count, reset_at } = await this.store.increment(`${kind}:${id}`, WINDOW_MS, now);
    const reset_s = Math.max(1, Math.ceil((reset_at.getTime() - now.getTime()) / 1000));
    if (count > limit) {
      throw new DomainError('rate_limited', `Rate limit exceeded: ${limit} requests per minute per ${kind}. Retry after ${reset_s} seconds.`, {
        'retry-after': String(reset_s),
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset_s),
      });
    }
    return { limit, remaining: limit - count, reset_s };
  }

  sweep(): Promise<void> {
    return this.store.sweep(this.clock.now());
  }
}
