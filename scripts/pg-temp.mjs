/**
 * A throwaway PostgreSQL server for tests, benchmarks and the chaos suite: initdb into a temp dir,
 * start on a free loopback port, stop and delete on exit. Uses the machine's PostgreSQL binaries
 * (Debian's postgresql-15 package); as root it runs them as the `postgres` user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findPgBin() {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (r.status === 0 && existsSync(join(r.stdout.trim(), 'initdb'))) return r.stdout.trim();
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * @param {{ fsync?: boolean, max_connections?: number, log?: boolean }} opts
 * @returns {Promise<{ url: string, port: number, dir: string, bin: string, stop(): void, restart(mode?: 'fast'|'immediate'): void, run(args: string[]): string }>}
 */
export async function startTempPostgres(opts = {}) {
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found (install Debian package postgresql-15, or set PG_BIN)');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'dollr-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const sock = dir;
  const run = (cmd, args, extra = {}) => {
    const full = asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
    return execFileSync(asRoot ? 'runuser' : join(bin, cmd), full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...extra });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-instructions', '--no-sync']);
  const port = await freePort();
  const settings = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${sock}'`,
    `max_connections = ${opts.max_connections ?? 200}`,
    `fsync = ${opts.fsync === false ? 'off' : 'on'}`,
    `synchronous_commit = ${opts.fsync === false ? 'off' : 'on'}`,
    `full_page_writes = ${opts.fsync === false ? 'off' : 'on'}`,
    `shared_buffers = 256MB`,
    `logging_collector = off`,
  ];
  writeFileSync(join(data, 'postgresql.auto.conf'), settings.join('\n') + '\n');
  const logFile = join(dir, 'server.log');
  const start = () => run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', 'start']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already down
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  return {
    url,
    port,
    dir,
    bin,
    stop,
    restart(mode = 'immediate') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      start();
    },
    run: (args) => run(args[0], args.slice(1)),
  };
}

export function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
