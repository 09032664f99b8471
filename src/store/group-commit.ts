/**
 * Group commit in the application: concurrent requests' units of work of one kind share one
 * database transaction, so N payments cost one commit (one WAL flush) and a handful of set-based
 * statements instead of N commits and N times as many round trips. On a hot row (one merchant's
 * wallet) it is the only way past one commit per payment: the row is locked once per batch.
 *
 * The same batching serves status polls of open executions (services/executions.ts
 * readStatusBatch): there a batch is one read statement and no transaction, and the promises below
 * about commits do not apply — only that each poll's read starts after it was submitted.
 *
 * Batches form by themselves: a unit submitted while no batch is running starts one on the next
 * turn of the event loop (so the units that arrived in the same turn go together, and a lone
 * request waits for nothing); units submitted while a batch runs wait and go together in the next.
 * A further batch starts beside a running one (up to `concurrency`) only once `spill_min` units
 * wait: at moderate load a second transaction for one or two units costs its round trips and
 * wake-ups for little, and the units do better joining the batch after the running one; under
 * heavy load the queue is long and every slot works. No timer, no added latency at low load.
 *
 * What it promises the callers:
 *  - a unit's promise settles only after its batch's transaction has committed (or failed): an
 *    answer built from it is durable, exactly as with a transaction of its own;
 *  - one unit's expected refusal (a 422) is its own: `run` reports an outcome per unit;
 *  - when the batch's transaction fails as a whole (a unit hit a bug, a deadlock outlived its
 *    retries, the connection dropped), nothing of it committed and every unit is run again alone
 *    — so a failure reaches only the unit that causes it. Units must therefore be safe to run
 *    again after a rollback, which every unit of the money path is: it re-reads what it decides on
 *    under the row locks of its own transaction.
 */

/** What `run` reports for one unit: its value, or the error its caller gets. */
export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  /** For messages. */
  name: string;
  /** Units per transaction at most. */
  batch_max: number;
  /** Batches (transactions, connections) in flight at once; 1 on the embedded database. */
  concurrency: number;
  /**
   * Units that must be waiting before a batch starts beside one already running (1: whenever a
   * slot is free). Below it they wait for the running batch to end and go together after it.
   */
  spill_min: number;
  /** Units waiting at most; beyond it `submit` refuses at once (the database is not keeping up). */
  queue_max: number;
}

interface Entry<I, O> {
  item: I;
  /** performance.now() when it was submitted. */
  at_ms: number;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/** The queue is full: the caller answers 503 + Retry-After (nothing was done). */
export class GroupCommitBusy extends Error {
  constructor(name: string) {
    super(`${name}: too many units waiting for the database`);
    this.name = 'GroupCommitBusy';
  }
}

export class GroupCommit<I, O> {
  private queue: Entry<I, O>[] = [];
  private running = 0;
  private scheduled = false;
  /**
   * Figures for GET /metrics, bench:probe and tests: batches run, units in them, the largest batch,
   * batches split; and the milliseconds units spent waiting for a batch to start and batches spent
   * running (their sums: divided by units or batches they give the means).
   */
  readonly stats = { batches: 0, units: 0, largest: 0, split: 0, wait_ms: 0, run_ms: 0 };

  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly Outcome<O>[]>,
    private readonly o: GroupCommitOptions,
  ) {
    if (!(o.batch_max >= 1 && o.concurrency >= 1 && o.queue_max >= 1 && o.spill_min >= 1)) throw new Error(`assertion: ${o.name}: bad group commit options`);
  }

  submit(item: I): Promise<O> {
    if (this.queue.length >= this.o.queue_max) return Promise.reject(new GroupCommitBusy(this.o.name));
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, at_ms: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Units waiting for a batch (not counting those in a running batch). */
  get waiting(): number {
    return this.queue.length;
  }

  /** A batch may start now: a slot is free, and it is the only one or enough units wait to fill another. */
  private mayStart(): boolean {
    if (this.queue.length === 0 || this.running >= this.o.concurrency) return false;
    return this.running === 0 || this.queue.length >= this.o.spill_min;
  }

  private schedule(): void {
    if (this.scheduled || !this.mayStart()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.mayStart()) {
        const batch = this.queue.splice(0, this.o.batch_max);
        this.running++;
        void this.execute(batch).finally(() => {
          this.running--;
          this.schedule();
        });
      }
    });
  }

  private async execute(batch: Entry<I, O>[]): Promise<void> {
    this.stats.batches++;
    this.stats.units += batch.length;
    if (batch.length > this.stats.largest) this.stats.largest = batch.length;
    const started_ms = performance.now();
    for (const e of batch) this.stats.wait_ms += started_ms - e.at_ms;
    let outcomes: readonly Outcome<O>[];
    try {
      try {
        outcomes = await this.run(batch.map((e) => e.item));
      } finally {
        this.stats.run_ms += performance.now() - started_ms;
      }
      if (outcomes.length !== batch.length) throw new Error(`assertion: ${this.o.name}: ${outcomes.length} outcomes for ${batch.length} units`);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // Nothing of the batch committed: run each unit alone, so the failure stays with its cause.
      this.stats.split++;
      for (const e of batch) await this.execute([{ ...e, at_ms: performance.now() }]);
      return;
    }
    outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error)));
  }
}

/**
 * Split units into rounds in which no two share a key (a session, a source, an execution): units
 * that would decide on the same row go in separate transactions, one after the other, so each sees
 * what the one before it committed. Order within the units is kept.
 */
export function rounds<I>(items: readonly I[], keys: (item: I) => readonly string[]): { item: I; index: number }[][] {
  const out: { item: I; index: number }[][] = [];
  const lastRound = new Map<string, number>();
  items.forEach((item, index) => {
    const ks = keys(item);
    // After every earlier unit it shares a key with: same-key units keep their order.
    const r = ks.reduce((m, k) => Math.max(m, (lastRound.get(k) ?? -1) + 1), 0);
    while (out.length <= r) out.push([]);
    out[r]!.push({ item, index });
    for (const k of ks) lastRound.set(k, r);
  });
  return out;
}
