/**
 * pgbench baselines: what this PostgreSQL does with the same durability on the same machine,
 * with no application in between. Each script runs at several client counts; the best counts.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

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

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(`${bin}/pgbench`, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pgbench failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

export async function pgbench(
  o: { bin: string; port: number; database: string; script: string; clients: number[]; seconds: number; merchants: number },
): Promise<PgbenchResult> {
  const runs: PgbenchRun[] = [];
  for (const clients of o.clients) {
    const threads = clients >= 2 ? 2 : 1; // 2 cores; -j must divide -c
    const out = await run(o.bin, [
      '-h', '127.0.0.1', '-p', String(o.port), '-U', 'postgres', '-n',
      '-f', `${PGBENCH_DIR}${o.script}`, '-D', `merchants=${o.merchants}`,
      '-c', String(clients), '-j', String(clients % threads === 0 ? threads : 1), '-T', String(o.seconds),
      o.database,
    ]);
    const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
    runs.push({
      clients,
      threads,
      tps: Math.round(num(/tps = ([\d.]+) \(without initial connection time\)/) * 10) / 10,
      latency_avg_ms: num(/latency average = ([\d.]+) ms/),
      transactions: num(/number of transactions actually processed: (\d+)/),
      failed: num(/number of failed transactions: (\d+)/) || 0,
    });
  }
  const best = runs.reduce((a, b) => (b.tps > a.tps ? b : a));
  return { script: o.script, merchants: o.merchants, runs, best };
}
