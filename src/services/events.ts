/**
 * Execution status changes, delivered to whoever waits on them (realtime streams) on every
 * instance. The change is announced with pg_notify inside the transaction that makes it, so it is
 * delivered only once committed — on PostgreSQL to every instance's LISTEN connection, on PGlite
 * in-process. Only watched executions are announced — those a realtime key was issued for, until
 * it expires (store/status-watches.ts): nobody else listens, and a notifying commit waits on every
 * other one. Streams also re-read on a slow timer, so a notice lost while a listener reconnects (or
 * a change that raced the key's issue) only delays an update.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database, Executor } from '../store/db.js';

export const STATUS_CHANNEL = 'dollr_execution_status';

export interface StatusNotice {
  merchant_id: number;
  operation_type: string;
  reference_id: string;
  status: string;
}

/** Announce a change from inside its transaction (delivered on commit). */
export async function notifyStatus(ex: Executor, n: StatusNotice): Promise<void> {
  const notice: StatusNotice = { merchant_id: n.merchant_id, operation_type: n.operation_type, reference_id: n.reference_id, status: n.status };
  await ex.execute(sql`select pg_notify(${STATUS_CHANNEL}, ${JSON.stringify(notice)})`);
}

function keyOf(n: Pick<StatusNotice, 'merchant_id' | 'operation_type' | 'reference_id'>): string {
  return `${n.merchant_id}|${n.operation_type}|${n.reference_id}`;
}

const SUBSCRIBERS_MAX = 10_000;

export class StatusHub {
  private readonly subscribers = new Map<string, Set<(n: StatusNotice) => void>>();
  private count = 0;
  private stopListening: (() => Promise<void>) | undefined;

  constructor(private readonly log: Logger) {}

  /** Start receiving notices from the database (one LISTEN connection per instance). */
  async listen(database: Database): Promise<void> {
    const database_url = database.url;
    const deliver = (payload: string | undefined) => {
      if (!payload) return;
      try {
        // One notice, or a batch's notices in one array (store/executions.ts).
        const parsed = JSON.parse(payload) as StatusNotice | StatusNotice[];
        for (const n of Array.isArray(parsed) ? parsed : [parsed]) this.publish(n);
      } catch {
        this.log.warn('malformed status notice');
      }
    };
    if (database.pglite) {
      const unlisten = await database.pglite.listen(STATUS_CHANNEL, deliver);
      this.stopListening = unlisten;
      return;
    }
    if (!database_url) return;
    let closed = false;
    let client: pg.Client | undefined;
    const connect = async (): Promise<void> => {
      if (closed) return;
      const c = new pg.Client({ connectionString: database_url, application_name: 'dollr-listen' });
      c.on('notification', (msg) => deliver(msg.payload));
      c.on('error', () => {
        // reconnect below; streams keep polling meanwhile
      });
      c.on('end', () => {
        if (!closed) setTimeout(() => void connect().catch(() => {}), 1_000).unref();
      });
      await c.connect();
      await c.query(`listen ${STATUS_CHANNEL}`);
      client = c;
    };
    await connect();
    this.stopListening = async () => {
      closed = true;
      await client?.end().catch(() => {});
    };
  }

  async close(): Promise<void> {
    await this.stopListening?.();
  }

  publish(n: StatusNotice): void {
    const set = this.subscribers.get(keyOf(n));
    if (!set) return;
    for (const fn of [...set]) fn(n);
  }

  /** Wait on one execution's changes; returns the unsubscribe function. Bounded per instance. */
  subscribe(target: Pick<StatusNotice, 'merchant_id' | 'operation_type' | 'reference_id'>, fn: (n: StatusNotice) => void): (() => void) | undefined {
    if (this.count >= SUBSCRIBERS_MAX) return undefined;
    const key = keyOf(target);
    let set = this.subscribers.get(key);
    if (!set) {
      set = new Set();
      this.subscribers.set(key, set);
    }
    set.add(fn);
    this.count++;
    return () => {
      if (set!.delete(fn)) this.count--;
      if (set!.size === 0) this.subscribers.delete(key);
    };
  }
}
