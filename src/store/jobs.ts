/** The job queue's SQL: enqueue (deduplicated), claim with SKIP LOCKED, finish, retry, recover. */
import { sql } from 'drizzle-orm';
import { type Executor, rows, sqlArray } from './db.js';

export interface JobRow {
  id: number;
  queue: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  dedupe_key: string | null;
  created_at: Date;
}

export interface EnqueueSpec {
  queue: string;
  payload: Record<string, unknown>;
  run_at: Date;
  max_attempts: number;
  /** At most one live (queued or running) job per (queue, dedupe_key). */
  dedupe_key?: string | null;
}

export async function enqueueJob(ex: Executor, spec: EnqueueSpec, now: Date): Promise<boolean> {
  const inserted = await rows<{ id: bigint }>(
    ex,
    sql`insert into jobs (queue, payload, status, run_at, attempts, max_attempts, dedupe_key, created_at, updated_at)
        values (${spec.queue}, ${JSON.stringify(spec.payload)}::jsonb, 'queued', ${spec.run_at}, 0, ${spec.max_attempts}, ${spec.dedupe_key ?? null}, ${now}, ${now})
        on conflict (queue, dedupe_key) where dedupe_key is not null and status in ('queued', 'running') do nothing
        returning id`,
  );
  return inserted.length === 1;
}

/** Claim up to `limit` due jobs for this worker; each is leased until `lease_until`. */
export async function claimJobs(ex: Executor, queues: readonly string[], now: Date, lease_until: Date, worker_id: string, limit: number): Promise<JobRow[]> {
  const claimed = await rows<Record<string, unknown>>(
    ex,
    sql`update jobs set status = 'running', attempts = attempts + 1, locked_until = ${lease_until}, locked_by = ${worker_id}, updated_at = ${now}
        where id in (
          select id from jobs
          where status = 'queued' and run_at <= ${now} and queue = any(${sqlArray(queues, 'text')})
          order by run_at, id
          limit ${limit}
          for update skip locked)
        returning id, queue, payload, attempts, max_attempts, dedupe_key, created_at`,
  );
  // UPDATE … RETURNING keeps no order; run them oldest first.
  claimed.sort((a, b) => Number(a.id) - Number(b.id));
  return claimed.map((r) => ({
    id: Number(r.id),
    queue: String(r.queue),
    payload: r.payload,
    attempts: Number(r.attempts),
    max_attempts: Number(r.max_attempts),
    dedupe_key: (r.dedupe_key as string | null) ?? null,
    created_at: new Date(r.created_at as Date),
  }));
}

export async function finishJob(ex: Executor, id: number, now: Date): Promise<void> {
  await ex.execute(sql`update jobs set status = 'done', finished_at = ${now}, locked_until = null, updated_at = ${now} where id = ${id}`);
}

export async function retryJob(ex: Executor, id: number, run_at: Date, error: string, now: Date): Promise<void> {
  await ex.execute(
    sql`update jobs set status = 'queued', run_at = ${run_at}, last_error = ${error}, locked_until = null, locked_by = null, updated_at = ${now} where id = ${id}`,
  );
}

export async function buryJob(ex: Executor, id: number, error: string, now: Date): Promise<void> {
  await ex.execute(sql`update jobs set status = 'dead', last_error = ${error}, finished_at = ${now}, locked_until = null, updated_at = ${now} where id = ${id}`);
}

/** Jobs whose worker died mid-run (lease expired) go back to the queue; their attempt still counts. */
export async function recoverExpiredLeases(ex: Executor, now: Date): Promise<number> {
  const r = await rows<{ id: bigint }>(
    ex,
    sql`update jobs set status = 'queued', locked_until = null, locked_by = null, updated_at = ${now}, last_error = 'lease expired (worker stopped)'
        where status = 'running' and locked_until < ${now} returning id`,
  );
  return r.length;
}

/** Keep the table small: finished jobs older than `before` are deleted (bounded per call). */
export async function pruneJobs(ex: Executor, before: Date, limit: number): Promise<void> {
  await ex.execute(
    sql`delete from jobs where id in (select id from jobs where status in ('done', 'dead') and finished_at < ${before} limit ${limit})`,
  );
}
