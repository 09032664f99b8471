#!/usr/bin/env node
/**
 * `npm test`: the whole suite once, every integration test against both databases — in-memory
 * PGlite and a throwaway PostgreSQL server this script starts (and removes) itself.
 * DOLLR_TEST_BACKENDS=pglite runs without the server; extra args narrow the files.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startTempPostgres } from './pg-temp.mjs';

/** The reliability suite (test/chaos, minutes long) runs with `npm run test:chaos`, not here. */
const SEPARATE_SUITES = new Set([join('test', 'chaos')]);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (SEPARATE_SUITES.has(relative(process.cwd(), p))) continue;
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out.sort();
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const passthrough = args.filter((a) => a.startsWith('--'));
const roots = ['test', 'packages/sdk/test'].filter((d) => {
  try {
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
});
let files = roots.flatMap(findTests);
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (!files.length) {
  console.error('no test files matched');
  process.exit(1);
}

const backends = (process.env.DOLLR_TEST_BACKENDS ?? 'pglite,postgres').split(',');
const env = { ...process.env, DOLLR_TEST_BACKENDS: backends.join(',') };
let pgServer;
if (backends.includes('postgres') && !process.env.DOLLR_TEST_PG_URL) {
  pgServer = await startTempPostgres({ fsync: false });
  env.DOLLR_TEST_PG_URL = pgServer.url;
  console.log(`# PostgreSQL test server: ${pgServer.url} (${pgServer.bin})`);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...passthrough, ...files],
  { stdio: 'inherit', env },
);
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
pgServer?.stop();
process.exit(code);
