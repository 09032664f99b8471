/**
 * A PostgreSQL connection that drops while a transaction holds it (server restart, failover,
 * pg_terminate_backend, a network cut) must fail that one transaction — not end the process.
 *
 * Found by crash.test.ts: during `pg_ctl stop -m immediate` under load, an instance exited with
 * "Unhandled 'error' event … Connection terminated unexpectedly" (pg/lib/client.js). node-postgres
 * emits 'error' on a client that loses its connection while no query is running on it; pg-pool
 * listens for that only while the client is idle in the pool, and src/store/db.ts adds no
 * listener on checked-out clients, so a transaction that is between two statements when the
 * connection drops takes the whole instance down. This reproduces it deterministically.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTempPostgres, type TempPostgres } from '../../scripts/pg-temp.mjs';
import { REPO_ROOT } from '../helpers/processes.js';
import { Summary } from './harness.js';

describe('chaos: a connection dropped inside a transaction', { timeout: 5 * 60_000 }, () => {
  const summary = new Summary('connection-loss');
  let pgServer: TempPostgres;

  before(async () => {
    pgServer = await startTempPostgres({ fsync: false });
  });

  after(() => {
    summary.write();
    pgServer?.stop();
  });

  it('fails that transaction and keeps the process alive', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/chaos/fixtures/hold-transaction.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: pgServer.url, HOLD_MS: '3000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!/pid (\d+)/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(/pid (\d+)/.exec(stdout)?.[1]);
    assert.ok(pid > 0, `the child opened a transaction: ${stdout} ${stderr}`);

    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
    const code = await exited;

    const survived = code === 0 && stdout.includes('survived');
    const why = /^\s*(?:\w*Error|error): [^\n]+/m.exec(stderr)?.[0]?.trim() ?? '';
    summary.add(
      'process survives a connection dropped mid-transaction',
      'pg_terminate_backend on the backend of an open transaction (what a PostgreSQL restart does to every connection)',
      survived,
      survived ? /transaction failed: [^\n]+/.exec(stdout)?.[0] ?? '' : `exit ${code}: ${why}`,
    );
    assert.ok(survived, `the process must survive (exit ${code}):\n${stderr.slice(-1500)}`);
    assert.match(stdout, /transaction failed/, 'the transaction itself fails');
  });
});
