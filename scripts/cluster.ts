/**
 * `npm run cluster -- N`: N server instances on one PostgreSQL (DATABASE_URL), sharing one port
 * through a node:cluster primary.
 *
 * Why one port and node:cluster rather than PORT..PORT+N-1: clients, health checks and a reverse
 * proxy see one address, with nothing to configure in front; the primary spreads connections
 * round-robin and starts a new instance when one dies. Every instance is the whole server (its own
 * pool of DATABASE_POOL_MAX connections, its own background worker) — exactly what N separate
 * processes or containers would be; the database is what they share (idempotency keys, rate-limit
 * counters, jobs, the JWT key, LISTEN/NOTIFY). In containers or behind a load balancer, run one
 * `npm start` per container instead; this command is for one machine.
 *
 * The first instance starts alone (it applies migrations and, on an empty database, creates the
 * sandbox merchant), then the others. SIGTERM/SIGINT stops them all gracefully: each finishes its
 * in-flight requests and its worker pass (bounded), then the primary exits.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const STOP_GRACE_MS = 15_000;
const RESTARTS_MAX = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;

const log = (msg: string) => process.stdout.write(`[cluster] ${msg}\n`);

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: DATABASE_URL=postgres://… npm run cluster -- N   (N instances on PORT, default ${availableParallelism()})\n`);
  process.exit(2);
}

const count = Number(process.argv[2] ?? availableParallelism());
if (!Number.isInteger(count) || count < 1 || count > 64) usage(`N must be an integer from 1 to 64, got ${process.argv[2]}`);
if (!/^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '')) {
  usage('DATABASE_URL must point at PostgreSQL: the embedded database belongs to one process, so instances cannot share it');
}

cluster.setupPrimary({
  exec: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
  execArgv: ['--import', 'tsx'],
});

let closing = false;
const slots = new Map<number, { worker: Worker; restarts: number[] }>();

function fork(slot: number, extraEnv: Record<string, string>): Promise<Worker> {
  const worker = cluster.fork({ ...extraEnv, DOLLR_INSTANCE: String(slot) });
  const entry = slots.get(slot) ?? { worker, restarts: [] };
  entry.worker = worker;
  slots.set(slot, entry);
  worker.once('exit', (code, signal) => {
    if (closing) return;
    const now = Date.now();
    entry.restarts = entry.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (entry.restarts.length >= RESTARTS_MAX) {
      log(`instance ${slot} died ${RESTARTS_MAX} times within ${RESTART_WINDOW_MS / 1000} s (last: ${signal ?? `exit ${code}`}); stopping the cluster`);
      void shutdown(1);
      return;
    }
    entry.restarts.push(now);
    log(`instance ${slot} (pid ${worker.process.pid}) ended (${signal ?? `exit ${code}`}); starting a new one`);
    setTimeout(() => {
      if (!closing) void fork(slot, { SANDBOX_BOOTSTRAP: 'false' });
    }, RESTART_DELAY_MS);
  });
  return new Promise((resolve, reject) => {
    worker.once('listening', () => resolve(worker));
    worker.once('exit', (code) => reject(new Error(`instance ${slot} exited with ${code} before listening`)));
  });
}

async function shutdown(code: number) {
  if (closing) return;
  closing = true;
  log(`stopping ${slots.size} instance(s)`);
  const exits = [...slots.values()].map(
    ({ worker }) =>
      new Promise<void>((resolve) => {
        if (worker.isDead()) return resolve();
        worker.once('exit', () => resolve());
        worker.process.kill('SIGTERM');
      }),
  );
  const timer = setTimeout(() => {
    log(`instances still running after ${STOP_GRACE_MS / 1000} s: killing them`);
    for (const { worker } of slots.values()) if (!worker.isDead()) worker.process.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(code);
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

try {
  await fork(1, {});
  // The first instance migrated and bootstrapped; the rest only serve.
  await Promise.all(Array.from({ length: count - 1 }, (_, i) => fork(i + 2, { SANDBOX_BOOTSTRAP: 'false' })));
  log(`${count} instance(s) on port ${process.env.PORT ?? 8000}: pids ${[...slots.values()].map((s) => s.worker.process.pid).join(', ')}`);
} catch (err) {
  log(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
