/**
 * Shared pieces of the reliability suite: the summary every file records (printed as one table by
 * scripts/test-chaos.mjs), a seeded random source (a failing run can be replayed with
 * CHAOS_SEED), a bounded-concurrency runner and a small HTTP client that never throws.
 */
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

export interface SummaryRow {
  suite: string;
  check: string;
  tried: string;
  held: boolean;
  detail?: string;
}

/** What a file tried and whether it held; written when the file ends, whatever failed. */
export class Summary {
  readonly rows: SummaryRow[] = [];
  constructor(private readonly suite: string) {}

  add(check: string, tried: string, held: boolean, detail = ''): boolean {
    this.rows.push({ suite: this.suite, check, tried, held, ...(detail ? { detail } : {}) });
    return held;
  }

  write(): void {
    const dir = process.env.CHAOS_SUMMARY_DIR;
    if (dir) writeFileSync(join(dir, `${this.suite}.json`), JSON.stringify(this.rows));
    else for (const r of this.rows) console.log(`# ${r.suite} | ${r.check} | ${r.tried} | ${r.held ? 'held' : 'NOT HELD'}${r.detail ? ` | ${r.detail}` : ''}`);
  }
}

export const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);

/** mulberry32: small, fast, good enough to pick operations reproducibly. */
export function random(seed = SEED): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const envNumber = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

/** Run `fn` for every item with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export interface Answer {
  /** HTTP status; 0 when no answer came (connection refused or reset, timeout). */
  status: number;
  text: string;
  json: any;
  headers: Headers | undefined;
  error?: string;
}

/** One request; never throws — a dead instance is an answer too (status 0). */
export async function send(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string | Buffer; timeout_ms?: number },
): Promise<Answer> {
  if (init.body !== undefined && Buffer.byteLength(init.body) > LARGE_BODY_BYTES) return sendLarge(url, init);
  try {
    const res = await fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(init.timeout_ms ?? 30_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { status: 0, text: '', json: undefined, headers: undefined, error: e.cause?.code ?? e.name ?? String(err) };
  }
}

/**
 * A server may answer 413 before reading an oversized body and close the connection, as HTTP
 * allows; fetch then reports the client's own write error (EPIPE) and loses the answer. node:http
 * hands over the response as soon as it arrives, so a write error after it is not a lost answer.
 */
const LARGE_BODY_BYTES = 64 * 1024;

function sendLarge(url: string, init: { method: string; headers?: Record<string, string>; body?: string | Buffer; timeout_ms?: number }): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (a: Answer) => {
      if (!settled) (settled = true), resolve(a);
    };
    const req = httpRequest(url, { method: init.method, headers: init.headers, timeout: init.timeout_ms ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        finish({ status: res.statusCode ?? 0, text, json, headers });
      };
      res.on('end', done);
      res.on('close', done);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: Error & { code?: string }) => {
      // Answered already (the response handler owns the result), or truly no answer.
      setTimeout(() => finish({ status: 0, text: '', json: undefined, headers: undefined, error: err.code ?? err.name }), 1_000);
    });
    req.end(init.body);
  });
}

export const jsonHeaders = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

/** "3×500 1×0" — status codes and how often, for details. */
export function tally(statuses: Iterable<number | string>): string {
  const m = new Map<number | string, number>();
  for (const s of statuses) m.set(s, (m.get(s) ?? 0) + 1);
  return [...m].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([s, n]) => `${n}×${s}`).join(' ');
}
