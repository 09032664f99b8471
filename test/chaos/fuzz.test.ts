/**
 * Fuzzing from /openapi.json: at least CHAOS_FUZZ_COUNT (default 10,000) malformed requests over
 * every documented operation, against a real server process on PostgreSQL (fuzz-cases.ts says
 * what is broken in each). Every answer must be a documented 4xx with its documented body, nothing
 * may be written (row counts of every table, before and after) and nothing logged at error level.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTempPostgres, type TempPostgres } from '../../scripts/pg-temp.mjs';
import { type Database, openDatabase } from '../../src/store/db.js';
import { openSetupServer, tableCounts } from '../helpers/bulk.js';
import { loadEnv, type ServerProcess, startServerProcess } from '../helpers/processes.js';
import { casesFor, type FuzzCase, operations } from './fuzz-cases.js';
import { type Answer, envNumber, pool, random, SEED, send, Summary, tally } from './harness.js';

const COUNT = envNumber('CHAOS_FUZZ_COUNT', 10_000);
const CONCURRENCY = 16;
const BODY_LIMIT_BYTES = 1_048_576;
/** The error contract (README): these statuses, these bodies. */
const DOCUMENTED = new Set([401, 403, 404, 409, 413, 422, 429]);

function shapeProblem(a: Answer): string | undefined {
  const b = a.json;
  if (!b || typeof b !== 'object') return 'body is not JSON';
  switch (a.status) {
    case 404:
      return b.detail === 'Not Found' ? undefined : 'not {"detail":"Not Found"}';
    case 413:
      return b.detail === 'Request body too large' ? undefined : 'not {"detail":"Request body too large"}';
    case 401:
      return ['Not authenticated', 'Could not validate credentials'].includes(b.detail) ? undefined : 'unexpected 401 detail';
    case 422: {
      if (!Array.isArray(b.detail) || !b.detail.length) return '422 without a detail list';
      const bad = b.detail.find(
        (d: any) => !Array.isArray(d.loc) || !['body', 'query', 'path', 'header'].includes(d.loc[0]) || typeof d.msg !== 'string' || typeof d.type !== 'string',
      );
      return bad ? `422 item not {loc,msg,type}: ${JSON.stringify(bad).slice(0, 120)}` : undefined;
    }
    default:
      return typeof b.detail === 'string' ? undefined : `${a.status} without a string detail`;
  }
}

describe('chaos: fuzzing every operation from /openapi.json', { timeout: 30 * 60_000 }, () => {
  const summary = new Summary('fuzz');
  let pg: TempPostgres;
  let database: Database;
  let server: ServerProcess;
  let token: string;

  before(async () => {
    pg = await startTempPostgres({ fsync: false });
    const setup = await openSetupServer({ DATABASE_URL: pg.url });
    try {
      token = (await setup.merchant()).token;
    } finally {
      await setup.close();
    }
    database = await openDatabase({ database_url: pg.url, pool_max: 2 });
    server = await startServerProcess({ env: loadEnv({ DATABASE_URL: pg.url, BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) }), captureLogs: true, echoErrors: false });
  });

  after(async () => {
    summary.write();
    await server?.stop();
    await database?.close();
    pg?.stop();
  });

  it(`answers ${COUNT}+ malformed requests with documented 4xx and writes nothing (seed ${SEED})`, async () => {
    const spec = (await send(`${server.url}/openapi.json`, { method: 'GET' })).json;
    const ops = operations(spec);
    const rnd = random();
    const cases: FuzzCase[] = [];
    const distinct = new Set<string>();
    // Every case once, then again with other random values until the count is reached.
    while (cases.length < COUNT) {
      for (const op of ops) {
        for (const c of casesFor(op, token, rnd, BODY_LIMIT_BYTES)) {
          distinct.add(`${c.op} ${c.mutation}`);
          cases.push(c);
        }
      }
    }
    const before = await tableCounts(database);

    const failures: { c: FuzzCase; a: Answer; why: string }[] = [];
    const statuses: number[] = [];
    await pool(cases, CONCURRENCY, async (c) => {
      const a = await send(`${server.url}${c.url}`, { method: c.method, headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}), timeout_ms: 30_000 });
      statuses.push(a.status);
      const why = !DOCUMENTED.has(a.status) ? `status ${a.status || a.error}` : shapeProblem(a);
      if (why) failures.push({ c, a, why });
    });

    const afterCounts = await tableCounts(database);
    const written = Object.keys({ ...before, ...afterCounts }).filter((t) => before[t] !== afterCounts[t]);
    const errorLogs = server.logs.filter((l) => /"level":(50|60)/.test(l));
    const alive = (await send(`${server.url}/readyz`, { method: 'GET' })).status === 200;

    const byKind = new Map<string, { n: number; example: string }>();
    for (const f of failures) {
      const key = `${f.c.mutation.replace(/=.*$/, '=…')} → ${f.why}`;
      const cur = byKind.get(key) ?? { n: 0, example: `${f.c.method} ${f.c.url.slice(0, 80)}: ${f.a.text.slice(0, 100)}` };
      cur.n++;
      byKind.set(key, cur);
    }
    const serious = (k: string) => (/status (5\d\d|0|[A-Z])/.test(k) ? 1 : 0);
    const worst = [...byKind].sort((a, b) => serious(b[0]) - serious(a[0]) || b[1].n - a[1].n).slice(0, 8).map(([k, v]) => `${v.n}× ${k} (e.g. ${v.example})`);
    if (process.env.CHAOS_FUZZ_DUMP) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.CHAOS_FUZZ_DUMP, JSON.stringify([...byKind].map(([k, v]) => ({ kind: k, ...v })), null, 1));
    }
    const fiveXX = statuses.filter((s) => s >= 500 || s === 0).length;
    summary.add(
      'no 5xx, no dropped connection',
      `${cases.length} requests: ${distinct.size} distinct faults × ${ops.length} operations, ${CONCURRENCY} in flight`,
      fiveXX === 0,
      fiveXX ? tally(statuses.filter((s) => s >= 500 || s === 0)) : '',
    );
    summary.add('every answer a documented 4xx with its documented body', `answers: ${tally(statuses)}`, failures.length === 0, worst.join('; '));
    summary.add('nothing written', `row counts of ${Object.keys(before).length} tables before and after`, written.length === 0, written.map((t) => `${t}: ${before[t]} → ${afterCounts[t]}`).join(', '));
    summary.add('nothing logged at error level; server still ready', `${server.logs.length} log lines read`, errorLogs.length === 0 && alive, errorLogs.slice(0, 2).map((l) => l.slice(0, 200)).join(' | '));

    assert.equal(fiveXX, 0, `no 5xx: ${tally(statuses)}`);
    assert.deepEqual(written, [], 'no row written');
    assert.ok(alive, 'the server is still ready');
    assert.deepEqual(errorLogs.slice(0, 3), [], 'no error logged');
    assert.deepEqual(worst, [], 'every answer a documented 4xx with its body');
  });
});
