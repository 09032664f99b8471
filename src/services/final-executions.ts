/**
 * Executions that reached COMPLETED or FAILED, remembered per instance for status polls.
 *
 * A final execution's answer never changes: settlement moves only PENDING/PROCESSING rows (a late
 * or duplicate carrier answer moves nothing), the reconciler claims only open ones, and what a
 * refund changes later (`refunded_minor`) is not part of the status answer. So a final row read
 * once — or committed by this instance (the execution request's answer, a settlement) — can answer
 * every later poll of that key without a round trip — and merchants poll: a
 * mobile-money client polls every few seconds and keeps polling after the end, SDK `wait` loops,
 * dashboards. Open executions are never remembered: their polls read the primary every time.
 * Keyed by merchant, so one merchant's key never answers another's; bounded (oldest out first).
 */
import { isFinal } from '../domain/executions.js';
import type { ExecutionStatus } from '../domain/enums.js';
import type { ExecutionStatusRow } from '../store/executions.js';

export class FinalExecutions {
  private readonly rows = new Map<string, ExecutionStatusRow>();

  constructor(private readonly entries_max: number) {}

  private static key(merchant_id: number, operation_type: string, reference_id: string): string {
    return `${merchant_id}:${operation_type}:${reference_id}`;
  }

  get(merchant_id: number, operation_type: string, reference_id: string): ExecutionStatusRow | undefined {
    return this.rows.get(FinalExecutions.key(merchant_id, operation_type, reference_id));
  }

  /** Remember `row` if it is final (anything else is ignored). */
  note(row: ExecutionStatusRow): void {
    if (this.entries_max <= 0 || !isFinal(row.status as ExecutionStatus)) return;
    const key = FinalExecutions.key(row.merchant_id, row.operation_type, row.reference_id);
    if (this.rows.has(key)) return;
    if (this.rows.size >= this.entries_max) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(key, row);
  }

  get size(): number {
    return this.rows.size;
  }
}
