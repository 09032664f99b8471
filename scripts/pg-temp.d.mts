// Types for scripts/pg-temp.mjs (plain JS so `npm test` can start PostgreSQL before tsx loads).
export interface TempPostgres {
  url: string;
  port: number;
  dir: string;
  bin: string;
  stop(): void;
  restart(mode?: 'fast' | 'immediate' | 'smart'): void;
  run(args: string[]): string;
}
export function findPgBin(): string | undefined;
export function startTempPostgres(opts?: { fsync?: boolean; max_connections?: number; log?: boolean }): Promise<TempPostgres>;
export function withDatabase(url: string, name: string): string;
