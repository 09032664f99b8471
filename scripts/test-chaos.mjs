#!/usr/bin/env node
/**
 * `npm run test:chaos`: the reliability suite in test/chaos — concurrency over several instances,
 * kill -9 and PostgreSQL crashes under load, fuzzing from /openapi.json, security probes. Each
 * file starts its own throwaway PostgreSQL and real server processes; files run one at a time
 * (they load the machine on purpose). Extra args narrow the files (`npm run test:chaos -- fuzz`).
 *
 * Every file records what it tried and whether the property held; the table is printed at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = join('test', 'chaos');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
let files = readdirSync(DIR)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => join(DIR, f));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (!files.length) {
  console.error('no chaos test files matched');
  process.exit(1);
}

const summaryDir = mkdtempSync(join(tmpdir(), 'dollr-chaos-summary-'));
const started = Date.now();
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...passthrough, ...files],
  { stdio: 'inherit', env: { ...process.env, CHAOS_SUMMARY_DIR: summaryDir } },
);
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
const elapsed_s = Math.round((Date.now() - started) / 1000);

const rows = [];
for (const f of readdirSync(summaryDir).sort()) rows.push(...JSON.parse(readFileSync(join(summaryDir, f), 'utf8')));
rmSync(summaryDir, { recursive: true, force: true });

const w = (k, min) => Math.max(min, ...rows.map((r) => String(r[k]).length));
const [ws, wc, wt] = [w('suite', 5), w('check', 5), Math.min(w('tried', 5), 70)];
const line = (s, c, t, h) => `${String(s).padEnd(ws)}  ${String(c).padEnd(wc)}  ${String(t).padEnd(wt)}  ${h}`;
const out = ['', 'Reliability suite — what was tried, and whether it held', '', line('suite', 'check', 'tried', 'result'), '-'.repeat(ws + wc + wt + 20)];
for (const r of rows) {
  out.push(line(r.suite, r.check, r.tried, r.held ? 'held' : 'NOT HELD'));
  if (r.detail) out.push(line('', '', `  ↳ ${r.detail}`, ''));
}
const broken = rows.filter((r) => !r.held).length;
out.push('', `${rows.length} checks, ${broken} not held; ${elapsed_s} s in all; node --test exit code ${code}`);
console.log(out.join('\n'));
process.exit(code || (broken ? 1 : 0));
