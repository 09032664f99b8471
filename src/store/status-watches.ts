import { sql } from 'drizzle-orm';
import type { Executor } from './db.js';

/**
 * Watch an execution's status changes until `expires_at` (migration 0008): from now on the
 * statements that start and move it announce its changes (store/executions.ts). Watching again
 * extends the watch, never shortens it.
 */
export async function watchStatus(ex: Executor, w: { merchant_id: number; operation_type: string; reference_id: string; expires_at: Date }): Promise<void> {
  await ex.execute(
    sql`insert into status_watches as w (merchant_id, operation_type, reference_id, expires_at)
        values (${w.merchant_id}, ${w.operation_type}, ${w.reference_id}, ${w.expires_at})
        on conflict (merchant_id, operation_type, reference_id) do update set expires_at = greatest(w.expires_at, excluded.expires_at)`,
  );
}

/** Forget expired watches (a worker sweep; expired ones are ignored before that). */
export async function deleteExpiredWatches(ex: Executor, now: Date): Promise<void> {
  await ex.execute(sql`delete from status_watches where expires_at <= ${now}`);
}
