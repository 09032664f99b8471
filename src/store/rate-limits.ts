import { sql } from 'drizzle-orm';
import { type Executor, rows } from './db.js';

/**
 * Reserve `n` slots of a fixed-window counter: one statement, shared by every instance on the
 * database. The table is UNLOGGED — counters are worth nothing after a crash and should cost no WAL.
 */
export async function reserveWindow(ex: Executor, key: string, n: number, window_ms: number, now: Date): Promise<{ count: number; reset_at: Date }> {
  const reset = new Date(now.getTime() + window_ms);
  const [row] = await rows<{ count: number; reset_at: Date | string }>(
    ex,
    sql`insert into rate_limits as r (key, count, reset_at) values (${key}, ${n}, ${reset})
        on conflict (key) do update set
          count = case when r.reset_at <= ${now} then ${n} else r.count + ${n} end,
          reset_at = case when r.reset_at <= ${now} then excluded.reset_at else r.reset_at end
        returning count, reset_at`,
  );
  return { count: Number(row!.count), reset_at: new Date(row!.reset_at) };
}

export async function deleteExpiredWindows(ex: Executor, now: Date): Promise<void> {
  await ex.execute(sql`delete from rate_limits where reset_at < ${now}`);
}
