/**
 * CPU seconds by process from /proc, to report CPU per request beside the rates: on a shared,
 * noisy machine the rate moves with the neighbours, the CPU a request costs much less.
 *
 * Beside them, context switches per request (every time a process slept and was woken, or was
 * preempted) and how busy the whole machine was: on this VM a wake-up is dear (the workplace's
 * kernels boot with halt polling off, so an idle vCPU halts and each wake goes through the
 * hypervisor), and at low rates the switches, not the work, are most of a request's CPU.
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** User + kernel CPU seconds of a process (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Context switches (voluntary and not) of every thread of a process so far (0 once it is gone). */
export function contextSwitches(pid: number): number {
  let sum = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const t of tasks) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      sum += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return sum;
}

/** The machine's CPU time from /proc/stat, in clock ticks: all of it, and the part not idle (I/O wait counts as idle). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}

function postgresPids(): number[] {
  return execSync('pgrep -u postgres postgres || true', { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
}

/** CPU seconds of every PostgreSQL server process on the machine (the bench's own server is the only one running), by pid. */
export function postgresCpuByPid(): Map<number, number> {
  return new Map(postgresPids().map((p) => [p, cpuSeconds(p)]));
}

/**
 * What PostgreSQL's processes spent (CPU seconds, context switches) between two readings: by
 * process, so a backend that exited in between takes only its own share with it instead of
 * making the sum go down.
 */
function perPidDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, s] of after) sum += Math.max(0, s - (before.get(pid) ?? 0));
  return sum;
}

export interface CpuPerRequest {
  server_ms: number;
  postgres_ms: number;
  /** This process: the load generator. */
  client_ms: number;
  /** Context switches per request, by the same processes. */
  switches: { server: number; postgres: number; client: number };
  /** Share of both cores busy over the run (every process on the machine, this one included). */
  machine_busy_pct: number;
}

/** Start measuring; the returned function gives the CPU per request for `requests` done since. */
export function cpuMeter(server_pid: number): (requests: number) => CpuPerRequest {
  const switchesByPid = () => new Map(postgresPids().map((p) => [p, contextSwitches(p)]));
  const s0 = cpuSeconds(server_pid);
  const p0 = postgresCpuByPid();
  const c0 = process.cpuUsage();
  const x0 = { server: contextSwitches(server_pid), postgres: switchesByPid(), client: contextSwitches(process.pid) };
  const m0 = machineTicks();
  return (requests) => {
    const n = Math.max(1, requests);
    const c = process.cpuUsage(c0);
    const m1 = machineTicks();
    const r = (x: number) => Math.round(x * 1000) / 1000;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      server_ms: r(((cpuSeconds(server_pid) - s0) * 1000) / n),
      postgres_ms: r((perPidDelta(p0, postgresCpuByPid()) * 1000) / n),
      client_ms: r((c.user + c.system) / 1000 / n),
      switches: {
        server: r2((contextSwitches(server_pid) - x0.server) / n),
        postgres: r2(perPidDelta(x0.postgres, switchesByPid()) / n),
        client: r2((contextSwitches(process.pid) - x0.client) / n),
      },
      machine_busy_pct: Math.round(((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 1000) / 10,
    };
  };
}
