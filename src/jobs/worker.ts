/**
 * The background worker every instance runs. Two kinds of work, both safe across instances:
 *  - queued jobs (webhook deliveries, sandbox carrier callbacks): claimed with SKIP LOCKED, leased,
 *    retried with backoff, bounded by max_attempts, surviving restarts (an expired lease re-queues);
 *  - sweeps on a schedule: reconciliation (executions due a carrier check), session expiry, stale
 *    rate-limit windows and status watches, job-table pruning — each claims or updates rows so two
 *    instances never do the same item twice.
 * Time comes from the injected clock; tests call `runOnce()` instead of starting the timer.
 */
import { randomUUID } from 'node:crypto';
import type { Services } from '../services/index.js';
import { expireSessions } from '../store/sessions.js';
import { buryJob, claimJobs, finishJob, type JobRow, pruneJobs, recoverExpiredLeases, retryJob } from '../store/jobs.js';
import { deleteExpiredWatches } from '../store/status-watches.js';
import { reconcileDue } from './reconcile.js';

export interface JobOutcome {
  /** Try again at this time (the handler's own schedule) instead of the default backoff. */
  retry_at?: Date;
  /** Stop retrying: the job is dead (recorded with this reason). */
  give_up?: string;
}

export type JobHandler = (payload: Record<string, unknown>, job: JobRow) => Promise<JobOutcome | void>;

export interface QueueDef {
  handler: JobHandler;
  /** How long a claimed job belongs to this worker before another may take it over. */
  lease_ms: number;
}

const CLAIM_BATCH_MAX = 32;
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 60 * 60_000;
const ERROR_TEXT_MAX = 500;
const DAY_MS = 24 * 60 * 60_000;

interface Sweep {
  name: string;
  every_ms: number;
  run: () => Promise<unknown>;
}

export class Worker {
  readonly id = `worker-${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly lastRun = new Map<string, number>();
  private readonly sweeps: Sweep[];

  constructor(
    private readonly s: Services,
    private readonly queues: Record<string, QueueDef>,
  ) {
    const db = () => s.ctx.database.db;
    const now = () => s.ctx.clock.now();
    this.sweeps = [
      { name: 'reconcile', every_ms: 1_000, run: () => reconcileDue(s) },
      { name: 'recover-leases', every_ms: 15_000, run: () => recoverExpiredLeases(db(), now()) },
      { name: 'expire-sessions', every_ms: 30_000, run: () => expireSessions(db(), now(), 500) },
      { name: 'rate-limit-sweep', every_ms: 60_000, run: () => s.limiter.sweep() },
      { name: 'status-watch-sweep', every_ms: 60_000, run: () => deleteExpiredWatches(db(), now()) },
      { name: 'prune-jobs', every_ms: 60 * 60_000, run: () => pruneJobs(db(), new Date(now().getTime() - 7 * DAY_MS), 1_000) },
    ];
  }

  /** One pass: due sweeps, then every due job (bounded per call). Returns how many jobs ran. */
  async runOnce(): Promise<number> {
    const now_ms = this.s.ctx.clock.now().getTime();
    for (const sweep of this.sweeps) {
      const last = this.lastRun.get(sweep.name);
      if (last !== undefined && now_ms - last < sweep.every_ms) continue;
      this.lastRun.set(sweep.name, now_ms);
      try {
        await sweep.run();
      } catch (err) {
        this.s.ctx.log.error({ sweep: sweep.name, err: err instanceof Error ? err.message : String(err) }, 'sweep failed');
      }
    }
    let ran = 0;
    for (;;) {
      const now = this.s.ctx.clock.now();
      const lease = Math.max(...Object.values(this.queues).map((q) => q.lease_ms));
      const jobs = await claimJobs(this.s.ctx.database.db, Object.keys(this.queues), now, new Date(now.getTime() + lease), this.id, CLAIM_BATCH_MAX);
      if (jobs.length === 0) return ran;
      for (const job of jobs) await this.run(job);
      ran += jobs.length;
      if (this.stopped || jobs.length < CLAIM_BATCH_MAX) return ran;
    }
  }

  private async run(job: JobRow): Promise<void> {
    const db = this.s.ctx.database.db;
    const def = this.queues[job.queue];
    try {
      if (!def) throw new Error(`no handler for queue ${job.queue}`);
      const outcome = await def.handler(job.payload as Record<string, unknown>, job);
      const now = this.s.ctx.clock.now();
      if (outcome?.give_up) return buryJob(db, job.id, outcome.give_up.slice(0, ERROR_TEXT_MAX), now);
      if (outcome?.retry_at) {
        if (job.attempts >= job.max_attempts) return buryJob(db, job.id, 'attempts exhausted', now);
        return retryJob(db, job.id, outcome.retry_at, 'scheduled retry', now);
      }
      await finishJob(db, job.id, now);
    } catch (err) {
      const now = this.s.ctx.clock.now();
      const message = (err instanceof Error ? err.message : String(err)).slice(0, ERROR_TEXT_MAX);
      this.s.ctx.log.warn({ job_id: job.id, queue: job.queue, attempts: job.attempts, err: message }, 'job failed');
      if (job.attempts >= job.max_attempts) return buryJob(db, job.id, message, now);
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (job.attempts - 1));
      await retryJob(db, job.id, new Date(now.getTime() + delay), message, now);
    }
  }

  /** Run on a timer (npm start); passes never overlap. */
  start(interval_ms: number): void {
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.runOnce().catch((err) => this.s.ctx.log.error({ err: err instanceof Error ? err.message : String(err) }, 'worker pass failed'));
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), interval_ms);
    };
    this.timer = setTimeout(() => void loop(), interval_ms);
  }

  /** Stop taking work and wait for the pass in flight (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
