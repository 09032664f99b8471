/**
 * `npm run bench:probe`: where an execution's time goes, before reaching for a profiler. Against a
 * server process on a throwaway PostgreSQL (fsync on, pg_stat_statements loaded) it prints
 *   - sequential latency of instant collections (one at a time: no queueing in the figure);
 *   - a concurrent run's rate and the CPU per execution of the server process, of every
 *     PostgreSQL process and of this client (from /proc), so it is clear which side is the limit;
 *   - PostgreSQL's statements by total time (calls, mean, rows) for that run;
 *   - the statement log of five executions, to count round trips.
 * Knobs: PROBE_N (sequential, 200), PROBE_C (connections, 32), PROBE_SECONDS (5),
 * PROBE_EXEC_SECONDS (the concurrent execution run; PROBE_SECONDS), PROBE_MERCHANTS (1: one hot wallet), PROBE_SOCKET=1 (Unix socket instead of TCP),
 * PROBE_PROFILE_DIR=dir (--cpu-prof of the server into dir), PROBE_EXPLAIN_MS=n (print the plans of
 * statements slower than n ms during the concurrent run, one per statement text, from auto_explain).
 * Then the same CPU split for GET /v1/status/collection/{reference_id} (autocannon, PROBE_C connections).
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/store/db.js';
import { startTempPostgres, withDatabase } from '../scripts/pg-temp.mjs';
import { collectionTemplate, openSetupServer } from '../test/helpers/bulk.js';
import { loadEnv, startServerProcess } from '../test/helpers/processes.js';
import { prepareFeed } from './lib/collections.js';
import { cannon } from './lib/load.js';

const N = Number(process.env.PROBE_N ?? 200);
const pgServer = await startTempPostgres({ fsync: true });
const first = new pg.Client({ connectionString: pgServer.url });
await first.connect();
await first.query(`alter system set shared_preload_libraries = pg_stat_statements, auto_explain`);
const EXPLAIN_MS = process.env.PROBE_EXPLAIN_MS;
await first.end();
pgServer.restart('fast');
const admin = new pg.Client({ connectionString: pgServer.url });
await admin.connect();
await admin.query('create database probe');
await admin.query('alter system set pg_stat_statements.track_planning = on');
await admin.query('select pg_reload_conf()');
if (EXPLAIN_MS) {
  // auto_explain: the plan (with actual rows and times) of every statement slower than this, in the server log.
  await admin.query(`alter system set auto_explain.log_min_duration = '${Number(EXPLAIN_MS)}ms'`);
  await admin.query(`alter system set auto_explain.log_analyze = on`);
  await admin.query(`alter system set auto_explain.log_triggers = on`);
  await admin.query('select pg_reload_conf()');
}
const url = process.env.PROBE_SOCKET ? `postgres://postgres@/probe?host=${encodeURIComponent(pgServer.dir)}&port=${pgServer.port}` : withDatabase(pgServer.url, 'probe');
const setup = await openSetupServer({ DATABASE_URL: url });
const templates = [];
for (let i = 0; i < Number(process.env.PROBE_MERCHANTS ?? 1); i++) templates.push(await collectionTemplate(await setup.merchant(), { suffix: '000', amount: 25 }));
const t = templates[0]!;
await setup.close();
const db = await openDatabase({ database_url: url, pool_max: 2 });
const profDir = process.env.PROBE_PROFILE_DIR;
const server = await startServerProcess({ env: loadEnv({ DATABASE_URL: url }), echoErrors: true, nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
// Piped into `head`, stdout closes early: stop the server (and the throwaway PostgreSQL, at exit)
// instead of dying on EPIPE and leaving the server process running.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  void server.stop().finally(() => process.exit(0));
});
const feed = await prepareFeed(db, [t], N + 20);
console.log(`${templates.length} merchant(s), server ${server.url}, PostgreSQL ${url.includes('host=') ? 'over a Unix socket' : 'over TCP'}`);

async function one(): Promise<number> {
  const r = feed.next()!;
  const t0 = performance.now();
  const res = await fetch(server.url + r.path, { method: r.method, headers: r.headers, body: r.body });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${res.status} ${text}`);
  feed.onResponse(res.status, text);
  return ms;
}
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
/** Kernel time alone (system calls: socket reads and writes). */
const sysOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[12]) / 100;
const pgPids = () => execSync('pgrep -u postgres postgres || true', { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
const pgCpu = () => pgPids().reduce((a, p) => { try { return a + cpuOf(p); } catch { return a; } }, 0);
const times: number[] = [];
const q0 = cpuOf(server.child.pid!), qp0 = pgCpu();
for (let i = 0; i < N; i++) times.push(await one());
const seqCpu = `server CPU ${((cpuOf(server.child.pid!) - q0) * 1000 / N).toFixed(2)} ms, postgres CPU ${((pgCpu() - qp0) * 1000 / N).toFixed(2)} ms per execution`;
times.sort((a, b) => a - b);
console.log(`sequential: n=${N} p50 ${times[N >> 1]!.toFixed(2)} ms p90 ${times[Math.floor(N * 0.9)]!.toFixed(2)} ms; ${seqCpu}`);

// Concurrent: C workers for SECONDS; CPU seconds of the server process and of all postgres processes.
const C = Number(process.env.PROBE_C ?? 32);
const SECONDS = Number(process.env.PROBE_SECONDS ?? 5);
const statsDb = new pg.Client({ connectionString: url });
await statsDb.connect();
await statsDb.query('create extension if not exists pg_stat_statements');
await statsDb.query('select pg_stat_statements_reset()');
const EXEC_SECONDS = Number(process.env.PROBE_EXEC_SECONDS ?? SECONDS);
const feed2 = await prepareFeed(db, templates, Math.max(4000, EXEC_SECONDS * 1000));
const s0 = cpuOf(server.child.pid!), sys0 = sysOf(server.child.pid!), p0 = pgCpu(), self0 = process.cpuUsage();
const t0 = performance.now();
let done = 0;
await Promise.all(Array.from({ length: C }, async () => {
  while (performance.now() - t0 < EXEC_SECONDS * 1000) {
    const r = feed2.next();
    if (!r) break;
    const res = await fetch(server.url + r.path, { method: r.method, headers: r.headers, body: r.body });
    feed2.onResponse(res.status, await res.text());
    if (res.status === 200) done++;
  }
}));
const wall = (performance.now() - t0) / 1000;
const su = process.cpuUsage(self0);
console.log(`concurrent ${C}: ${(done / wall).toFixed(0)}/s; per execution: server CPU ${((cpuOf(server.child.pid!) - s0) * 1000 / done).toFixed(2)} ms (kernel ${((sysOf(server.child.pid!) - sys0) * 1000 / done).toFixed(2)}), postgres CPU ${((pgCpu() - p0) * 1000 / done).toFixed(2)} ms, client CPU ${(((su.user + su.system) / 1000) / done).toFixed(2)} ms`);

const top = await statsDb.query(`select calls, round(total_exec_time::numeric, 1) as total_ms, round((total_exec_time / greatest(calls, 1))::numeric, 3) as mean_ms,
  round((total_plan_time / greatest(plans, 1))::numeric, 3) as plan_ms, plans, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 130) as q from pg_stat_statements order by total_exec_time + total_plan_time desc limit 25`);
console.log('  calls  exec ms  mean ms  plan ms  plans    rows  statement');
console.log(`executions done: ${done}`);
console.log((await (await fetch(server.url + '/metrics')).text()).split('\n').filter((l) => l && !l.startsWith('#')).join('\n'));
for (const r of top.rows) console.log(String(r.calls).padStart(7), String(r.total_ms).padStart(9), String(r.mean_ms).padStart(8), String(r.plan_ms).padStart(8), String(r.plans).padStart(6), String(r.rows).padStart(7), r.q);
if (EXPLAIN_MS) {
  const log = readFileSync(join(pgServer.dir, 'server.log'), 'utf8');
  const seen = new Set<string>();
  for (const block of log.split(/\n(?=\S)/).filter((b) => b.includes('plan:'))) {
    const text = /Query Text: (.{0,80})/.exec(block)?.[1] ?? '';
    if (seen.has(text)) continue;
    seen.add(text);
    console.log(block.slice(0, 20000));
  }
}

// Status GET: the same CPU split for GET /v1/status/collection/{reference_id} over the acked executions.
await statsDb.query('select pg_stat_statements_reset()');
const refs = [...feed2.acked.keys()].map((ref) => [ref, feed2.tokenOf.get(ref)!] as const);
let ri = 0;
const g0 = cpuOf(server.child.pid!), gp0 = pgCpu(), gself0 = process.cpuUsage();
const status = await cannon({
  url: server.url,
  connections: C,
  duration_s: SECONDS,
  next: () => {
    const [ref, token] = refs[ri++ % refs.length]!;
    return { method: 'GET', path: `/v1/status/collection/${ref}`, headers: { authorization: `Bearer ${token}` } };
  },
});
const gsu = process.cpuUsage(gself0);
const gn = Math.max(1, status.responses);
console.log(`status GET, ${C} connections: ${status.ok_rps.toFixed(0)} req/s (p50 ${status.latency.p50_ms} ms); per request: server CPU ${((cpuOf(server.child.pid!) - g0) * 1000 / gn).toFixed(3)} ms, postgres CPU ${((pgCpu() - gp0) * 1000 / gn).toFixed(3)} ms, client CPU ${(((gsu.user + gsu.system) / 1000) / gn).toFixed(3)} ms`);
const gtop = await statsDb.query(`select calls, round((total_exec_time / greatest(calls, 1))::numeric, 3) as mean_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) as q from pg_stat_statements order by calls desc limit 5`);
for (const r of gtop.rows) console.log(String(r.calls).padStart(7), String(r.mean_ms).padStart(8), r.q);
await statsDb.end();
const logFile = join(pgServer.dir, 'server.log');
await admin.query(`alter system set log_min_duration_statement = 0`);
await admin.query(`alter system set log_line_prefix = '%m [%p] '`);
await admin.query(`select pg_reload_conf()`);
await new Promise((r) => setTimeout(r, 500));
const before = readFileSync(logFile, 'utf8').length;
for (let i = 0; i < 5; i++) await one();
await new Promise((r) => setTimeout(r, 300));
const lines = readFileSync(logFile, 'utf8').slice(before).split('\n').filter((l) => /duration:/.test(l));
console.log(`${lines.length} statements for 5 executions`);
for (const l of lines.slice(0, Math.ceil(lines.length / 5) + 2)) console.log(l.replace(/ UTC \[(\d+)\] LOG:  duration: /, ' [$1] ').slice(11, 150));
await server.stop();
await db.close();
await admin.end();
pgServer.stop();
process.exit(0);
