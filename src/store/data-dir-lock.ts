/**
 * An embedded database belongs to one process. The server and the admin CLI take this lock on
 * DATA_DIR so a second process gets a clear message instead of corrupting the files.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireDataDirLock(data_dir: string, who: string): () => void {
  mkdirSync(data_dir, { recursive: true });
  const file = join(data_dir, '.dollr.lock');
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; who: string };
    if (holder.pid !== process.pid && alive(holder.pid)) {
      throw new Error(
        `the embedded database at ${data_dir} is in use by ${holder.who} (pid ${holder.pid}); stop it first, ` +
          'or run every process against one PostgreSQL server with DATABASE_URL',
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  writeFileSync(file, JSON.stringify({ pid: process.pid, who }));
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    rmSync(file, { force: true });
  };
  process.once('exit', release);
  return release;
}
