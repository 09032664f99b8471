/**
 * The admin CLI as an operator runs it: a child process (`tsx src/cli/admin.ts …`) on its own
 * database. On the suite's PostgreSQL server when it runs one (a fresh database per caller — a
 * child opens it in well under a second), else on an embedded data directory (each child then
 * starts PGlite from disk, several seconds a command).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPgDatabase } from './pg-database.js';
import { backends } from './backends.js';

export interface AdminCli {
  /** DATABASE_URL / DATA_DIR of the CLI's database: pass to testConfig() to open it in-process. */
  env: Record<string, string>;
  run(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  close(): Promise<void>;
}

export async function adminCli(label: string): Promise<AdminCli> {
  let env: Record<string, string>;
  let close: () => Promise<void>;
  if (backends().includes('postgres')) {
    const fresh = await freshPgDatabase(`cli_${label}`);
    env = { DATABASE_URL: fresh.url, DATA_DIR: '' };
    close = fresh.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), `dollr-cli-${label}-`));
    env = { DATA_DIR: dir, DATABASE_URL: '' };
    close = async () => rmSync(dir, { recursive: true, force: true });
  }
  const run = (...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/admin.ts', ...args],
        { env: { ...process.env, ...env, LOG_LEVEL: 'silent' }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
      );
    });
  return { env, run, close };
}
