/**
 * `npm start`: the server on the embedded database (or DATABASE_URL), with a sandbox merchant
 * created on first start and its credentials printed once.
 */
import { loadConfig } from './config.js';
import { createServer } from './server.js';
import { acquireDataDirLock } from './store/data-dir-lock.js';
import { bootstrapSandbox, type SandboxCredentials } from './services/sandbox.js';

const SHUTDOWN_GRACE_MS = 10_000;
/** Background pass interval; the embedded database has one connection, so it polls less often. */
const WORKER_INTERVAL_MS = 500;
const WORKER_INTERVAL_EMBEDDED_MS = 1_000;

function banner(base: string, creds: SandboxCredentials | undefined, dbLabel: string): string {
  const lines = [
    '',
    '  Dollr-compatible payments server',
    `  API base URL   ${base}/v1`,
    `  API docs       ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    `  Database       ${dbLabel}`,
  ];
  if (creds) {
    lines.push(
      '',
      '  Sandbox merchant created (shown once — store these now):',
      `    merchant_id    ${creds.merchant_id} (${creds.merchant_type})`,
      `    client_id      ${creds.client_id}`,
      `    client_secret  ${creds.client_secret}`,
      `    passcode       ${creds.passcode}   (payout passcode, bound to phone ${creds.phone})`,
      '',
      `  Try: curl -s -X POST ${base}/v1/jwt/client/obtain/token -H 'Content-Type: application/json' \\`,
      `         -d '{"client_id":"${creds.client_id}","client_secret":"${creds.client_secret}"}'`,
    );
  } else {
    lines.push('', '  Existing database: sandbox credentials were printed on first start (or use `npm run admin -- key:create`).');
  }
  return lines.join('\n') + '\n';
}

async function main() {
  const config = loadConfig();
  const release = config.database_url ? () => {} : acquireDataDirLock(config.data_dir, 'the server');
  const server = await createServer(config);
  const creds = config.sandbox.bootstrap ? await bootstrapSandbox(server.services.ctx) : undefined;
  const address = await server.app.listen({ port: config.port, host: config.host });
  server.worker.start(config.database_url ? WORKER_INTERVAL_MS : WORKER_INTERVAL_EMBEDDED_MS);
  const base = config.public_base_url ?? address.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  process.stdout.write(banner(base, creds, config.database_url ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite at ${config.data_dir}`));

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    server.services.ctx.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    timer.unref();
    try {
      await server.close();
      release();
      process.exit(0);
    } catch (err) {
      server.services.ctx.log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
