/**
 * Where `dollr login` keeps credentials: $DOLLR_CONFIG, else $XDG_CONFIG_HOME/dollr/config.json,
 * else ~/.config/dollr/config.json. The folder is 0700 and the file 0600 — it holds a client
 * secret — and the file is replaced atomically (write a temp file, rename) so a crash never leaves
 * half a config.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CliConfig {
  base_url: string;
  client_id: string;
  client_secret: string;
  /** The phone the payout passcode is bound to (payouts send it with the code). */
  passcode_phone?: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOLLR_CONFIG) return env.DOLLR_CONFIG;
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'dollr', 'config.json');
}

export async function readConfig(path: string): Promise<CliConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const c = JSON.parse(text) as Partial<CliConfig>;
  if (typeof c.base_url !== 'string' || typeof c.client_id !== 'string' || typeof c.client_secret !== 'string') {
    throw new Error(`${path} is not a dollr config (base_url, client_id, client_secret): run \`dollr login\` again`);
  }
  return c as CliConfig;
}

export async function writeConfig(path: string, config: CliConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600); // the umask may have narrowed it further, never widened it; make it exact
  await rename(tmp, path);
}
