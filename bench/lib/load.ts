/**
 * Load generators: autocannon (closed loop, N connections, optional overallRate) and a paced
 * open-loop sender for latency at a fixed rate.
 *
 * Latency is measured here, not taken from autocannon's histogram: autocannon records whole
 * milliseconds (a 3 ms p50 would move in 33 % steps), and with a rate it adds coordinated-omission
 * samples at a 1 ms interval. We stamp each request in `setupRequest` (called right before the
 * request is written) and read the stamp in `onResponse` (one request in flight per connection,
 * so the per-connection context pairs them).
 */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import type { CpuPerRequest } from './cpu.js';
import { AnswerTimeout, requestBytes, WirePool } from './wire.js';

export interface Req {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LatencySummary {
  count: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
}

export interface LoadResult {
  /** Responses per second over the run (all statuses), and 2xx per second. */
  rps: number;
  ok_rps: number;
  responses: number;
  duration_s: number;
  status: Record<string, number>;
  errors: number;
  timeouts: number;
  latency: LatencySummary;
  connections: number;
  rate?: number;
  /** The generator ran dry before the time was up (fixtures for fewer requests than the server could take). */
  exhausted: boolean;
  /** CPU and context switches per request by process, where the run measured them (bench/lib/cpu.ts). */
  cpu?: CpuPerRequest;
}

export function summarize(samples: number[]): LatencySummary {
  if (!samples.length) return { count: 0, p50_ms: NaN, p90_ms: NaN, p99_ms: NaN, max_ms: NaN, mean_ms: NaN };
  const s = Float64Array.from(samples).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    count: s.length,
    p50_ms: r(at(0.5)),
    p90_ms: r(at(0.9)),
    p99_ms: r(at(0.99)),
    max_ms: r(s[s.length - 1]!),
    mean_ms: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export interface CannonOptions {
  url: string;
  connections: number;
  duration_s: number;
  /** Stop after this many requests (fixtures are finite), whichever comes first. */
  amount?: number;
  overallRate?: number;
  /** The next request; undefined when the fixtures ran out (the run then stops). */
  next: () => Req | undefined;
  onResponse?: (status: number, body: string) => void;
}

/** A closed-loop run with autocannon: `connections` keep one request in flight each. */
export function cannon(o: CannonOptions): Promise<LoadResult> {
  const samples: number[] = [];
  const status: Record<string, number> = {};
  let exhausted = false;
  let last: Req | undefined;
  let instance: ReturnType<typeof autocannon> | undefined;
  const build = (req: Record<string, unknown>, context: Record<string, unknown>) => {
    let n = o.next();
    if (!n) {
      // autocannon cannot skip a request; resend the previous one once the stop is requested,
      // and leave its answer out of the figures.
      exhausted = true;
      setImmediate(() => instance?.stop());
      n = last!;
      context.ignore = true;
    } else {
      context.ignore = false;
    }
    last = n;
    context.t0 = performance.now();
    return { ...req, method: n.method, path: n.path, headers: { ...(n.headers ?? {}) }, body: n.body ?? undefined };
  };
  return new Promise((resolve, reject) => {
    instance = autocannon(
      {
        url: o.url,
        connections: o.connections,
        duration: o.duration_s,
        ...(o.amount ? { amount: Math.max(o.amount, o.connections) } : {}),
        ...(o.overallRate ? { overallRate: o.overallRate, ignoreCoordinatedOmission: true } : {}),
        timeout: 30,
        requests: [
          {
            setupRequest: build,
            onResponse: (code: number, body: string, context: Record<string, unknown>) => {
              if (context.ignore) return;
              samples.push(performance.now() - (context.t0 as number));
              status[code] = (status[code] ?? 0) + 1;
              o.onResponse?.(code, body);
            },
          },
        ],
      },
      (err: Error | null, result: any) => {
        if (err) return reject(err);
        const responses = samples.length;
        const ok = Object.entries(status)
          .filter(([k]) => k.startsWith('2'))
          .reduce((a, [, v]) => a + v, 0);
        const duration_s = result.duration as number;
        resolve({
          rps: round1(responses / duration_s),
          ok_rps: round1(ok / duration_s),
          responses,
          duration_s,
          status,
          errors: result.errors as number,
          timeouts: result.timeouts as number,
          latency: summarize(samples),
          connections: o.connections,
          ...(o.overallRate ? { rate: o.overallRate } : {}),
          exhausted,
        });
      },
    );
    // With `amount` autocannon ignores `duration`: stop it on time ourselves.
    if (o.amount) {
      const timer = setTimeout(() => instance?.stop(), o.duration_s * 1000);
      instance.on('done', () => clearTimeout(timer));
    }
  });
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export interface PacedOptions {
  url: string;
  rate: number;
  duration_s: number;
  next: () => Req | undefined;
  onResponse?: (status: number, body: string) => void;
  /** Connections at most, so requests in flight at most (beyond it a due request waits for one: the server is not keeping up). */
  inflight_max?: number;
}

/** Connections the paced sender opens before its clock starts (more open as needed, up to inflight_max). */
const PACED_WARM_CONNECTIONS = 32;

/**
 * Open loop at `rate` requests/s, evenly spaced (autocannon's overallRate sends each second's
 * budget as a burst at the start of the second, so its latency is that of a full-speed burst).
 * Latency counts from the moment a request was due, so a sender that falls behind shows it.
 * Requests go out through the lean wire client (wire.ts), so the sender takes little of the CPU
 * the server and PostgreSQL share with it.
 */
export async function paced(o: PacedOptions): Promise<LoadResult> {
  const inflight_max = o.inflight_max ?? 256;
  const pool = new WirePool(o.url, inflight_max);
  await pool.warm(Math.min(PACED_WARM_CONNECTIONS, inflight_max));
  const samples: number[] = [];
  const status: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let exhausted = false;
  let inflight = 0;
  let drained: (() => void) | undefined;
  const interval_ms = 1000 / o.rate;
  const start = performance.now();
  const end = start + o.duration_s * 1000;
  let i = 0;
  const send = (r: Req, due: number) => {
    inflight++;
    pool.request(requestBytes(pool.hostHeader, r)).then(
      (a) => {
        samples.push(performance.now() - due);
        status[a.status] = (status[a.status] ?? 0) + 1;
        o.onResponse?.(a.status, a.body);
      },
      (err: unknown) => (err instanceof AnswerTimeout ? timeouts++ : errors++),
    ).finally(() => {
      if (--inflight === 0) drained?.();
    });
  };
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    while (start + i * interval_ms <= now && start + i * interval_ms < end) {
      const r = o.next();
      if (!r) {
        exhausted = true;
        break;
      }
      send(r, start + i * interval_ms);
      i++;
    }
    if (exhausted) break;
    const wait = start + i * interval_ms - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait, 50))));
  }
  if (inflight > 0) await new Promise<void>((r) => (drained = r));
  const duration_s = (performance.now() - start) / 1000;
  pool.close();
  const ok = Object.entries(status)
    .filter(([k]) => k.startsWith('2'))
    .reduce((a, [, v]) => a + v, 0);
  return {
    rps: round1(samples.length / duration_s),
    ok_rps: round1(ok / duration_s),
    responses: samples.length,
    duration_s: round1(duration_s),
    status,
    errors,
    timeouts,
    latency: summarize(samples),
    connections: inflight_max,
    rate: o.rate,
    exhausted,
  };
}
