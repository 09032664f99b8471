/**
 * The in-process mobile-money sandbox carrier, behind the same connector interface a real
 * pawaPay adapter implements. Deterministic: the MSISDN's last three digits pick a scenario
 * (scenarios.ts) and the injected clock decides when it finalises. Its records live in
 * `sandbox_carrier_txns` — the carrier's side of the wire — so they survive our restarts.
 */
import { randomBytes } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Database } from '../../store/db.js';
import { sandboxCarrierTxns } from '../../store/schema.js';
import { type CarrierCallback, type CarrierConnector, type CarrierOperation, type CarrierRequest, type CarrierResult, CarrierUnavailable } from '../types.js';
import { enqueueJob } from '../../store/jobs.js';
import { insertRecords } from '../../store/statement.js';
import { GroupCommit, type GroupCommitOptions, type Outcome } from '../../store/group-commit.js';

export const SANDBOX_CALLBACK_QUEUE = 'sandbox.callback';
import { FAILURE_MESSAGES, momoScenario } from './scenarios.js';

type TxnRow = typeof sandboxCarrierTxns.$inferSelect;
type TxnInsert = typeof sandboxCarrierTxns.$inferInsert;

export class SandboxMomo implements CarrierConnector {
  readonly gateway = 'PAWAPAY' as const;
  /** Keys whose one transient 503 was already served (scenario 050). */
  private readonly failedOnce = new Set<string>();
  /**
   * The carrier's own records, written like a carrier's database would be under load: the
   * requests that arrive together are inserted by one statement (one commit). Each request gets
   * its answer after that commit — the record is durable before the carrier answers.
   */
  readonly records: GroupCommit<TxnInsert, { row: TxnRow; fresh: boolean }>;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    /** Multiplies every scenario delay (SANDBOX_TIME_SCALE): demos and black-box tests run faster. */
    private readonly time_scale: number,
    /** How the records are batched: the server's group-commit settings, like its own stages. */
    batching: GroupCommitOptions,
  ) {
    if (!(time_scale > 0)) throw new Error('assertion: SANDBOX_TIME_SCALE must be positive');
    this.records = new GroupCommit((rows) => this.insertBatch(rows), batching);
  }

  /** Insert the records of one batch; a key already known (a retry, or twice in the batch) answers its existing record. */
  private async insertBatch(rows: readonly TxnInsert[]): Promise<Outcome<{ row: TxnRow; fresh: boolean }>[]> {
    const first = new Map<string, TxnInsert>();
    for (const r of rows) if (!first.has(r.key)) first.set(r.key, r);
    const written = await insertRecords(this.database.db, sandboxCarrierTxns, [...first.values()], { conflict_target: ['key'], returning: 'key' });
    // A record inserted is the values sent (the table computes nothing of its own).
    const inserted = new Map(written.map(({ key }) => [key, { client_secret: null, detail: null, ...first.get(key)! } as TxnRow]));
    const missing = [...first.keys()].filter((k) => !inserted.has(k));
    const existing = new Map(
      missing.length ? (await this.database.db.select().from(sandboxCarrierTxns).where(inArray(sandboxCarrierTxns.key, missing))).map((r) => [r.key, r]) : [],
    );
    return rows.map((r) => {
      const fresh = inserted.get(r.key);
      if (fresh && first.get(r.key) === r) return { ok: true, value: { row: fresh, fresh: true } };
      const row = fresh ?? existing.get(r.key);
      return row ? { ok: true, value: { row, fresh: false } } : { ok: false, error: new Error(`assertion: sandbox record ${r.key} neither inserted nor found`) };
    });
  }

  async initiate(req: CarrierRequest): Promise<CarrierResult> {
    let msisdn = req.msisdn;
    if (req.operation === 'refund' && req.original_key) msisdn = (await this.find(req.original_key))?.msisdn ?? msisdn;
    const scenario = momoScenario(msisdn);
    if (scenario.initiate === 'unavailable') throw new CarrierUnavailable('sandbox carrier: 503 Service Unavailable');
    if (scenario.initiate === 'unavailable_once' && !this.failedOnce.has(req.idempotency_key)) {
      this.failedOnce.add(req.idempotency_key);
      throw new CarrierUnavailable('sandbox carrier: 503 Service Unavailable (transient)');
    }
    const now = this.clock.now();
    const rejected = scenario.initiate === 'reject';
    const failure_code = rejected && req.operation === 'payout' ? 'RECIPIENT_NOT_FOUND' : scenario.failure_code ?? null;
    const row: TxnInsert = {
      key: req.idempotency_key,
      gateway: this.gateway,
      operation: req.operation,
      scenario: scenario.suffix,
      msisdn: msisdn ?? null,
      method: req.method,
      amount_minor: req.amount_minor,
      currency: req.currency,
      original_key: req.original_key ?? null,
      provider_transaction_id: `sbx_${req.operation.slice(0, 3)}_${randomBytes(8).toString('hex')}`,
      final_status: scenario.final,
      failure_code,
      final_at: scenario.final === 'NONE' ? null : new Date(now.getTime() + Math.round(scenario.after_ms * this.time_scale)),
      callbacks_sent: 0,
      created_at: now,
      updated_at: now,
    };
    // Same key again: the carrier deduplicates (MTN answers 409 on a reused reference; pawaPay reports DUPLICATE_IGNORED).
    const written = await this.records.submit(row);
    if (!written.fresh) return this.view(written.row);
    const fresh = written.row;
    if (fresh.final_at && scenario.initiate !== 'complete_now' && scenario.initiate !== 'reject') {
      // The carrier's callbacks, as jobs due when the transaction finalises (MTN sends one, never retried).
      for (let n = 1; n <= scenario.callbacks; n++) {
        await enqueueJob(
          this.database.db,
          {
            queue: SANDBOX_CALLBACK_QUEUE,
            payload: { gateway: this.gateway, key: fresh.key },
            run_at: new Date(new Date(fresh.final_at).getTime() + (n - 1) * 1_000),
            max_attempts: 1,
            dedupe_key: `${fresh.key}:${n}`,
          },
          now,
        );
      }
    }
    if (scenario.initiate === 'slow_accept') {
      // The carrier accepted it, but its answer arrives after our client gave up.
      throw new CarrierUnavailable('sandbox carrier: no answer within the client timeout');
    }
    return this.view(fresh);
  }

  async query(_operation: CarrierOperation, idempotency_key: string): Promise<CarrierResult> {
    const row = await this.find(idempotency_key);
    if (!row) return { state: 'not_found', message: 'The carrier has no record of this request' };
    return this.view(row);
  }

  /**
   * A callback from the sandbox carrier (delivered by the worker, or POSTed to /callbacks/sandbox).
   * The body only names the transaction; the status comes from the carrier's own record, so a
   * forged callback can at most make us re-read the truth.
   */
  async parseCallback(_headers: Record<string, string | string[] | undefined>, body: unknown): Promise<CarrierCallback | undefined> {
    const key = (body as { key?: unknown } | null)?.key;
    if (typeof key !== 'string' || key.length > 64) return undefined;
    const row = await this.find(key);
    if (!row) return undefined;
    await this.database.db.execute(sql`update sandbox_carrier_txns set callbacks_sent = callbacks_sent + 1 where key = ${key}`);
    return { operation: row.operation as CarrierOperation, idempotency_key: key, result: this.view(row) };
  }

  private async find(key: string): Promise<TxnRow | undefined> {
    const [row] = await this.database.db.select().from(sandboxCarrierTxns).where(eq(sandboxCarrierTxns.key, key));
    return row;
  }

  /** The carrier's status of a transaction at the clock's now. */
  view(row: TxnRow): CarrierResult {
    const now = this.clock.now().getTime();
    const final = row.final_status !== 'NONE' && row.final_at !== null && new Date(row.final_at).getTime() <= now;
    if (!final) {
      return { state: 'accepted', provider_transaction_id: row.provider_transaction_id, message: 'Submitted to the operator; waiting for the payer', retry_after_ms: 5_000 };
    }
    if (row.final_status === 'COMPLETED') {
      return { state: 'completed', provider_transaction_id: row.provider_transaction_id, message: 'Completed by the operator' };
    }
    const code = row.failure_code ?? 'OTHER_ERROR';
    return { state: 'failed', provider_transaction_id: row.provider_transaction_id, failure_code: code, message: `${code}: ${FAILURE_MESSAGES[code] ?? 'The operator failed the transaction'}` };
  }
}
