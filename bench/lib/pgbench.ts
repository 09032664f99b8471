/**
 * pgbench baselines: what this PostgreSQL does with the same durability on the same machine,
 * with no application in between. Each script runs at several client counts; the best counts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { summarize } from './load.js';

export const PGBENCH_DIR = fileURLToPath(new URL('../pgbench/', import.meta.url));

export interface PgbenchRun {
  clients: number;
  threads: number;
  tps: number;
  latency_avg_ms: number;
  transactions: number;
  failed: number;
}

export interface PgbenchResult {
  script: string;
  merchants: number;
  runs: PgbenchRun[];
  best: PgbenchRun;
}

export async function createPgbenchSchema(url: string, merchants: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const ddl = readFileSync(`${PGBENCH_DIR}schema.sql`, 'utf8').replaceAll(':merchants', String(merchants));
    await client.query(ddl);
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
}

interface ScriptRun {
  bin: string;
  port: number;
  database: string;
  script: string;
  merchants: number;
  clients: number;
  seconds: number;
}

/** pgbench running one of bench/pgbench/*.sql (no vacuum: -n), with `extra` options; its stdout. */
function run(o: ScriptRun, extra: string[] = []): Promise<string> {
  const args = [
    '-h', '127.0.0.1', '-p', String(o.port), '-U', 'postgres', '-n',
    '-f', `${PGBENCH_DIR}${o.script}`, '-D', `merchants=${o.merchants}`,
    // 2 cores; -j must divide -c
    '-c', String(o.clients), '-j', String(o.clients % 2 === 0 ? 2 : 1), '-T', String(o.seconds),
    ...extra,
    o.database,
  ];
  return new Promise((resolve, reject) => {
    execFile(`${o.bin}/pgbench`, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pgbench failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

const tpsOf = (out: string) => Math.round(Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? NaN) * 10) / 10;

export async function pgbench(
  o: { bin: string; port: number; database: string; script: string; clients: number[]; seconds: number; merchants: number },
): Promise<PgbenchResult> {
  const runs: PgbenchRun[] = [];
  for (const clients of o.clients) {
    const threads = clients >= 2 ? 2 : 1;
    const out = await run({ ...o, clients });
    const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
    runs.push({
      clients,
      threads,
      tps: tpsOf(out),
      latency_avg_ms: num(/latency average = ([\d.]+) ms/),
      transactions: num(/number of transactions actually processed: (\d+)/),
      failed: num(/number of failed transactions: (\d+)/) || 0,
    });
  }
  const best = runs.reduce((a, b) => (b.tps > a.tps ? b : a));
  return { script: o.script, merchants: o.merchants, runs, best };
}

/** A paced pgbench run: latency from each transaction's scheduled start (as `paced` measures ours). */
export interface PgbenchPacedRun {
  script: string;
  rate: number;
  clients: number;
  tps: number;
  transactions: number;
  /** Each transaction's time plus its schedule lag (pgbench -R -l), so a backlog shows as latency. */
  latency: { p50_ms: number; p99_ms: number; max_ms: number };
}

/** The paced runs at each client count, and the one with the lowest p99: the machine's best at that rate. */
export interface PgbenchPacedResult extends PgbenchPacedRun {
  runs: PgbenchPacedRun[];
}

/**
 * pgbench -R: the script at a fixed rate (Poisson arrivals, as pgbench schedules them), latency per
 * transaction from its log. What the database alone does for the same durable work at the rate the
 * server was measured at — at each of `clients` (connections, each running its transactions one
 * after another), the lowest p99 kept, as the other pgbench rows keep their best client count: too
 * few clients and one slow commit holds up the schedule, too many and their 64 backends (served by
 * pgbench's two threads) contend for two vCPUs and make the tail (2026-12-02 at 695/s: 8 clients p99 45 ms, 16 clients 114 ms, 64
 * clients 1,580 ms).
 */
export async function pgbenchPaced(o: Omit<ScriptRun, 'clients'> & { rate: number; clients: readonly number[] }): Promise<PgbenchPacedResult> {
  const runs: PgbenchPacedRun[] = [];
  for (const clients of o.clients) runs.push(await pgbenchPacedOnce({ ...o, clients }));
  if (!runs.length) throw new Error('assertion: a paced pgbench at no client count');
  const best = runs.reduce((a, b) => (b.latency.p99_ms < a.latency.p99_ms ? b : a));
  return { ...best, runs };
}

/** One paced run at one client count. */
async function pgbenchPacedOnce(o: ScriptRun & { rate: number }): Promise<PgbenchPacedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'dollr-pgbench-log-'));
  try {
    const out = await run(o, ['-R', String(o.rate), '-l', '--log-prefix', join(dir, 'tx')]);
    // Log line: client_id transaction_no time_us script_no epoch epoch_us schedule_lag_us
    const samples: number[] = [];
    for (const file of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const f = line.split(' ');
        if (f.length >= 7 && f[2] !== 'skipped') samples.push((Number(f[2]) + Number(f[6])) / 1000);
      }
    }
    const s = summarize(samples);
    return {
      script: o.script,
      rate: o.rate,
      clients: o.clients,
      tps: tpsOf(out),
      transactions: samples.length,
      latency: { p50_ms: s.p50_ms, p99_ms: s.p99_ms, max_ms: s.max_ms },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
