/**
 * CPU seconds by process from /proc, to report CPU per request beside the rates: on a shared,
 * noisy machine the rate moves with the neighbours, the CPU a request costs much less.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** User + kernel CPU seconds of a process (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Every PostgreSQL server process on the machine (the bench's own server is the only one running). */
export function postgresCpuSeconds(): number {
  const pids = execSync('pgrep -u postgres postgres || true', { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  return pids.reduce((a, p) => a + cpuSeconds(p), 0);
}

export interface CpuPerRequest {
  server_ms: number;
  postgres_ms: number;
  /** This process: the load generator. */
  client_ms: number;
}

/** Start measuring; the returned function gives the CPU per request for `requests` done since. */
export function cpuMeter(server_pid: number): (requests: number) => CpuPerRequest {
  const s0 = cpuSeconds(server_pid);
  const p0 = postgresCpuSeconds();
  const c0 = process.cpuUsage();
  return (requests) => {
    const n = Math.max(1, requests);
    const c = process.cpuUsage(c0);
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return {
      server_ms: r(((cpuSeconds(server_pid) - s0) * 1000) / n),
      postgres_ms: r(((postgresCpuSeconds() - p0) * 1000) / n),
      client_ms: r((c.user + c.system) / 1000 / n),
    };
  };
}
