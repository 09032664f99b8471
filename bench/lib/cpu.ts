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

/** CPU seconds of every PostgreSQL server process on the machine (the bench's own server is the only one running), by pid. */
export function postgresCpuByPid(): Map<number, number> {
  const pids = execSync('pgrep -u postgres postgres || true', { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  return new Map(pids.map((p) => [p, cpuSeconds(p)]));
}

/**
 * PostgreSQL CPU seconds spent between two readings: by process, so a backend that exited in
 * between takes only its own share with it instead of making the sum go down.
 */
function postgresDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, s] of after) sum += Math.max(0, s - (before.get(pid) ?? 0));
  return sum;
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
  const p0 = postgresCpuByPid();
  const c0 = process.cpuUsage();
  return (requests) => {
    const n = Math.max(1, requests);
    const c = process.cpuUsage(c0);
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return {
      server_ms: r(((cpuSeconds(server_pid) - s0) * 1000) / n),
      postgres_ms: r((postgresDelta(p0, postgresCpuByPid()) * 1000) / n),
      client_ms: r((c.user + c.system) / 1000 / n),
    };
  };
}
