/**
 * Real server processes for the benchmark and the chaos suite: `node --import tsx src/main.ts`
 * started directly (not through the tsx CLI, whose wrapper process would survive a kill -9 of its
 * child and keep the port), ready when /readyz answers 200, stopped gracefully or killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 120_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 20_000;
const LOG_LINES_MAX = 200_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** stdout and stderr lines, when `captureLogs` (bounded). */
  readonly logs: string[];
  /** The last lines of stderr (why it died). */
  readonly stderrTail: string[];
  readonly exited: Promise<number | null>;
  /** SIGTERM (graceful: in-flight requests finish, the worker stops), then wait for the exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no cleanup at all. */
  kill9(): Promise<void>;
}

export interface ServerProcessOptions {
  env: Record<string, string>;
  port?: number;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  captureLogs?: boolean;
  /** Print the server's stderr as it arrives (startup failures). */
  echoErrors?: boolean;
}

/** Environment for a server under load: quiet logs, no rate limits, no sandbox merchant. */
export function loadEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MERCHANT_PER_MIN: '0',
    RATE_LIMIT_IP_PER_MIN: '0',
    SANDBOX_BOOTSTRAP: 'false',
    HOST: '127.0.0.1',
    ...extra,
  };
}

export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, PORT: String(port) };
  // Never inherit the parent's database settings by accident.
  if (!opts.env.DATABASE_URL) delete env.DATABASE_URL;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const stderrTail: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null, isErr: boolean) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (opts.captureLogs) {
          logs.push(line);
          if (logs.length > LOG_LINES_MAX) logs.splice(0, logs.length - LOG_LINES_MAX);
        }
        if (isErr) {
          stderrTail.push(line);
          if (stderrTail.length > 50) stderrTail.shift();
          if (opts.echoErrors) process.stderr.write(`[server ${port}] ${line}\n`);
        }
      }
    });
  };
  collect(child.stdout, false);
  collect(child.stderr, true);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? null : 0))));
  let gone = false;
  void exited.then(() => (gone = true));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (gone) throw new Error(`server on port ${port} exited during start:\n${stderrTail.join('\n')}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server on port ${port} not ready within ${READY_TIMEOUT_MS} ms:\n${stderrTail.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }

  return {
    port,
    url,
    child,
    logs,
    stderrTail,
    exited,
    async stop() {
      if (gone) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (gone) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
