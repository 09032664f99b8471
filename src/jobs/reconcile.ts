/**
 * Reconciliation: drive every open execution to the carrier's truth. Claims due executions with
 * SKIP LOCKED (so several instances share the work without doing it twice), asks the carrier, and
 * applies the answer — or resumes the initiate call a crashed request never made.
 */
import type { Services } from '../services/index.js';
import { reconcile } from '../services/settlement.js';
import { claimDueExecutions } from '../store/executions.js';

export const RECONCILE_BATCH_MAX = 50;
/** While we talk to a carrier, other instances leave the execution alone for this long. */
const CLAIM_LEASE_MS = 60_000;

export async function reconcileDue(s: Services, limit = RECONCILE_BATCH_MAX): Promise<{ checked: number; failed: number }> {
  const now = s.ctx.clock.now();
  const due = await claimDueExecutions(s.ctx.database.db, now, CLAIM_LEASE_MS, Math.min(limit, RECONCILE_BATCH_MAX));
  let failed = 0;
  for (const row of due) {
    try {
      await reconcile(s.settlement, row);
    } catch (err) {
      failed++;
      s.ctx.log.error({ execution_id: row.id, err: err instanceof Error ? err.message : String(err) }, 'reconcile failed');
    }
  }
  return { checked: due.length, failed };
}
