/**
 * The one place that chooses the PostgreSQL engine: embedded PGlite (default, persisted under
 * DATA_DIR) or a real server through DATABASE_URL. Everything above this file sees one drizzle
 * database and one transaction helper, and runs the same SQL on both.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { type Column, getTableColumns, type SQL, sql, type Table } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';

/**
 * No relational-query schema is given to drizzle: nothing here uses `db.query.*`, and drizzle
 * builds that API afresh for every transaction (a builder per table) — a cost on every commit.
 */
export type AppDb = PgDatabase<PgQueryResultHKT>;
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, never>, any>;
/** Either the database or an open transaction: queries take this so a use case can compose them in one transaction. */
export type Executor = AppDb | Tx;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: AppDb;
  /** Run `fn` in one transaction; retried (bounded) on serialization failure or deadlock. */
  transaction<T>(fn: (tx: Tx) => Promise<T>, opts?: { isolation?: 'read committed' | 'repeatable read' | 'serializable' }): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The underlying PGlite, when embedded. */
  readonly pglite?: PGlite;
  /** The server's connection string, when on PostgreSQL (a LISTEN connection needs its own). */
  readonly url?: string;
}

const INT8_OID = 20;
const TX_RETRY_MAX = 3;
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export interface OpenOptions {
  database_url?: string | undefined;
  data_dir?: string | undefined; // a directory, or 'memory://' for a throwaway embedded database
  pool_max?: number;
  /** Named (prepared) statements on PostgreSQL; off behind a transaction-mode pooler. Default on. */
  prepared_statements?: boolean;
  /** Start the embedded database from a dumped, already-migrated data dir (tests). */
  pglite_load?: Blob | File | undefined;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.database_url) return openPostgres(opts.database_url, opts.pool_max ?? 10, opts.prepared_statements ?? true);
  return openPglite(opts.data_dir ?? './data', opts.pglite_load);
}

/**
 * Every statement this server sends is one of a fixed set of texts (drizzle builds the same text
 * for the same query shape; values travel as parameters). Naming each text turns it into a
 * prepared statement per connection: PostgreSQL parses and plans it once instead of on every call
 * (the money path runs about ten statements per execution), and later calls send only Bind and
 * Execute. Texts with a ';' (migrations, scripts) stay unnamed: a prepared statement is one command.
 */
const STATEMENT_NAMES_MAX = 2_000;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  const known = statementNames.get(text);
  if (known !== undefined) return known;
  if (statementNames.size >= STATEMENT_NAMES_MAX || text.includes(';')) return undefined;
  const name = `dollr_${statementNames.size.toString(36)}`;
  statementNames.set(text, name);
  return name;
}

/**
 * BEGIN travels with the transaction's first statement. A transaction's `begin` alone is a round
 * trip that carries no information: it is held back and written in the same packet as the next
 * statement (Parse/Bind/Execute of BEGIN, then that statement, then one Sync), and a transaction
 * that ends before sending anything sends nothing. Two round trips fewer per execution, which on
 * this kind of machine is ~0.5 ms of server CPU each (bench:probe). Errors read as before: BEGIN
 * cannot fail once the connection is idle, and the statement's own error is the query's error.
 * A `set local <setting> = <value>` right after BEGIN is held the same way (see indexPlans).
 */
const BEGIN_RE = /^begin( isolation level (read committed|repeatable read|serializable))?$/i;
const SET_LOCAL_RE = /^set local [a-z_]+ = [a-z_0-9]+$/i;
const END_RE = /^(commit|rollback)$/i;

interface QueryConfig {
  text?: unknown;
  name?: unknown;
  values?: unknown;
  submit?: unknown;
}

interface WireConnection {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  stream: { cork?: () => void; uncork?: () => void };
  parse(m: { text: string; name: string; types: unknown[] }): void;
  bind(m: { statement: string; portal: string; values: unknown[] }): void;
  execute(m: { portal: string }): void;
}

/** pg's Query as this file drives it: its own messages written without their Sync, results in one callback. */
interface WireQuery {
  submit(c: WireConnection): Error | null;
  prepare(c: WireConnection): void;
  _getRows(c: WireConnection, rows?: number): void;
  callback?: (err: Error | null, res: unknown) => void;
}

/** A statement waiting to go out in one packet with the others of `together` (see there). */
interface Queued {
  config: QueryConfig & { text: string; name?: string };
  values: unknown[] | undefined;
  resolve: (res: unknown) => void;
  reject: (err: unknown) => void;
}

const emptyResult = (command: string) => ({ command, rowCount: null, oid: null, rows: [], fields: [] });

/** The statements held back per client: a BEGIN and the SET LOCALs after it, in order. */
type Held = WeakMap<pg.PoolClient, string[]>;

/** Per client, while `together` runs: the statements it collects. */
const collecting = new WeakMap<pg.PoolClient, Queued[]>();

/** Values pg's own mapping turns into text without fail (anything else goes out on its own). */
const plainValue = (v: unknown) => v === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof v) || v instanceof Date;

function wrapClient(client: pg.PoolClient, prepared_statements: boolean, held: Held): void {
  const query = client.query as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.PoolClient, ...args: unknown[]) {
    let config = (typeof args[0] === 'string' ? { text: args[0] } : args[0]) as QueryConfig | null;
    const statement = config && typeof config === 'object' && typeof config.text === 'string' && typeof config.submit !== 'function';
    // pg-pool's own pool.query() passes a callback: name its statement too, but leave it as it is otherwise.
    if (statement && prepared_statements && config!.name === undefined && !held.has(client) && args.slice(1).some((a) => typeof a === 'function')) {
      const name = statementName(config!.text as string);
      if (name) return query.apply(this, [{ ...config, name }, ...args.slice(1)]);
    }
    const plain = statement && typeof args[1] !== 'function' && args.length <= 2;
    if (!plain) {
      // Not a form this wrapper rewrites (callback style, a cursor): what is held goes first, on its own.
      const prelude = held.get(client);
      held.delete(client);
      for (const text of prelude ?? []) void (query.call(this, { text }) as Promise<unknown>).catch(() => {}); // queued ahead; a failure shows on the next statement
      return query.apply(this, args);
    }
    const text = config!.text as string;
    const values = (args[1] ?? config!.values) as unknown[] | undefined;
    const noValues = !values || values.length === 0;
    if (noValues && BEGIN_RE.test(text.trim())) {
      held.set(client, [text.trim()]);
      return Promise.resolve(emptyResult('BEGIN'));
    }
    const prelude = held.get(client);
    if (prelude !== undefined && noValues && SET_LOCAL_RE.test(text.trim())) {
      prelude.push(text.trim());
      return Promise.resolve(emptyResult('SET'));
    }
    held.delete(client);
    if (prelude !== undefined && noValues && END_RE.test(text.trim())) return Promise.resolve(emptyResult(text.trim().toUpperCase())); // nothing was opened
    if (prepared_statements && config!.name === undefined) {
      const name = statementName(text);
      if (name) config = { ...config!, name };
    }
    const queue = collecting.get(client);
    if (queue) {
      // Inside `together`: goes out with the others when it flushes (the held prelude too).
      if (prelude !== undefined) held.set(client, prelude);
      return new Promise((resolve, reject) => queue.push({ config: config as Queued['config'], values, resolve, reject }));
    }
    if (prelude === undefined) return query.call(this, config, args[1]);
    return new Promise((resolve, reject) => {
      const q = new pg.Query(config as pg.QueryConfig, values) as unknown as WireQuery;
      const submit = q.submit.bind(q);
      q.submit = (connection: WireConnection) => {
        connection.stream.cork?.();
        try {
          writeHeld(connection, prelude, prepared_statements);
          return submit(connection);
        } finally {
          connection.stream.uncork?.();
        }
      };
      // A result per statement comes back (the held ones', then the statement's): the caller gets the statement's.
      q.callback = (err, res) => (err ? reject(err) : resolve(Array.isArray(res) ? res[res.length - 1] : res));
      query.call(this, q);
    });
  };
  flushers.set(client, (queued) => flush(client, query, queued, held, prepared_statements));
}

const flushers = new WeakMap<pg.PoolClient, (queued: Queued[]) => void>();

/** Write the held BEGIN and settings ahead of a statement in its packet (each without a Sync: the statement sends it). */
function writeHeld(c: WireConnection, prelude: readonly string[], prepared_statements: boolean): void {
  for (const text of prelude) {
    const name = prepared_statements ? (statementName(text) ?? '') : '';
    if (!name || (c.parsedStatements[name] === undefined && c.submittedNamedStatements[name] === undefined)) {
      c.parse({ text, name, types: [] });
      if (name) c.submittedNamedStatements[name] = text;
    }
    c.bind({ statement: name, portal: '', values: [] });
    c.execute({ portal: '' });
  }
}

/**
 * Send what `together` collected: one packet — the held BEGIN and settings, every statement's
 * Bind/Describe/Execute, one Sync — and one result per statement back. After an error PostgreSQL
 * skips the rest up to the Sync, so every statement of the packet gets that error (their
 * transaction is failed anyway). Only statements this connection has already parsed go ahead of
 * the last one: pg keeps its parse bookkeeping for the statement it is running alone, so a Parse
 * in the middle of a packet that failed early would be recorded as done and never sent again.
 * When one has not been parsed here yet (its first run on this connection), or a value is not a
 * plain one, they go one after another as usual (pg queues them in order).
 */
function flush(client: pg.PoolClient, query: (...args: unknown[]) => unknown, queued: Queued[], held: Held, prepared_statements: boolean): void {
  if (queued.length === 0) return;
  const connection = (client as unknown as { connection: WireConnection }).connection;
  const ahead = queued.slice(0, -1);
  const last = queued[queued.length - 1]!;
  const pipelinable =
    queued.length > 1 &&
    ahead.every((x) => x.config.name !== undefined && connection.parsedStatements[x.config.name] === x.config.text) &&
    queued.every((x) => (x.values ?? []).every(plainValue));
  if (!pipelinable) {
    // Through the wrapped query, so the held BEGIN still travels with the first.
    for (const x of queued) (client.query as (c: unknown, v: unknown) => Promise<unknown>)(x.config, x.values).then(x.resolve, x.reject);
    return;
  }
  const prelude = held.get(client) ?? [];
  held.delete(client);
  const q = new pg.Query(last.config as pg.QueryConfig, last.values) as unknown as WireQuery;
  const submit = q.submit.bind(q);
  q.submit = (c: WireConnection) => {
    c.stream.cork?.();
    try {
      writeHeld(c, prelude, prepared_statements);
      for (const x of ahead) {
        const a = new pg.Query(x.config as pg.QueryConfig, x.values) as unknown as WireQuery;
        a._getRows = (cc: WireConnection) => cc.execute({ portal: '' }); // no Sync: the last statement sends the packet's one
        a.prepare(c);
      }
      return submit(c);
    } finally {
      c.stream.uncork?.();
    }
  };
  q.callback = (err, res) => {
    if (err) {
      for (const x of queued) x.reject(err);
      return;
    }
    const results = (Array.isArray(res) ? res : [res]).slice(prelude.length);
    if (results.length !== queued.length) {
      const e = new Error(`assertion: ${results.length} results for ${queued.length} pipelined statements`);
      for (const x of queued) x.reject(e);
      return;
    }
    queued.forEach((x, i) => x.resolve(results[i]));
  };
  query.call(client, q);
}

/**
 * Run `a` and `b` in one transaction with their statements in one round trip, where they can:
 * each may send one statement at once when called (what `run` does), which is collected instead of
 * sent and goes out together with the other when both have been called. For a second statement
 * that does not depend on the first's result — the settlement's postings, made from the moves it
 * planned under its row locks, after the moves. On the embedded database (one in-process
 * connection, no wire) they simply run one after the other.
 */
export async function together<A, B>(tx: Tx, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  const client = (tx as unknown as { session: { client: unknown } }).session.client;
  const flushOf = client instanceof pg.Client ? flushers.get(client as pg.PoolClient) : undefined;
  if (!flushOf) return [await a(), await b()];
  const pc = client as pg.PoolClient;
  if (collecting.has(pc)) throw new Error('assertion: together() inside together()');
  const queued: Queued[] = [];
  collecting.set(pc, queued);
  let pa: Promise<A>;
  let pb: Promise<B>;
  try {
    pa = a();
    pb = b();
  } finally {
    collecting.delete(pc);
  }
  flushOf(queued);
  const [ra, rb] = await Promise.allSettled([pa, pb]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

async function openPostgres(url: string, pool_max: number, prepared_statements: boolean): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: pool_max,
    // int8 as BigInt, as PGlite returns it, so raw queries read the same on both engines.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
    application_name: 'dollr-server',
  });
  pool.on('error', () => {
    // An idle client died (server restart); the pool replaces it. Requests see their own errors.
  });
  // pg-pool listens for a client's 'error' only while it sits idle in the pool. A connection that
  // drops while checked out between two statements (restart, failover, pg_terminate_backend) emits
  // 'error' with no listener, which would end the process; the transaction's next statement fails
  // on its own ("Client was closed"), and release() discards the dead client.
  const held: Held = new WeakMap();
  pool.on('connect', (client) => {
    client.on('error', () => {});
    wrapClient(client, prepared_statements, held);
  });
  // A client goes back to the pool with no BEGIN held (a transaction always ends with commit or
  // rollback; this is the guard should one not).
  pool.on('release', (_err: Error | undefined, client: pg.PoolClient) => held.delete(client));
  const db = drizzlePg(pool) as unknown as AppDb;
  return {
    kind: 'postgres',
    url,
    db,
    transaction: (fn, o) => withRetry(db, fn, o?.isolation),
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await pool.end();
    },
  };
}

/** On a PGlite Transaction object: the PGlite it runs on (see openPglite). */
export const PGLITE_ROOT = Symbol('dollr.pgliteRoot');

async function openPglite(data_dir: string, load?: Blob | File): Promise<Database> {
  const inMemory = data_dir === 'memory://' || data_dir === '';
  if (!inMemory) mkdirSync(data_dir, { recursive: true });
  const client = new PGlite(inMemory ? undefined : data_dir, load ? { loadDataDir: load } : {});
  await client.waitReady;
  // statement.ts writes values as SQL literals into EXECUTE on this engine: that is exact only
  // while a backslash in a literal is an ordinary character.
  const [scs] = (await client.query<{ standard_conforming_strings: string }>('show standard_conforming_strings')).rows;
  if (scs?.standard_conforming_strings !== 'on') throw new Error('assertion: the embedded database must have standard_conforming_strings on');
  // A transaction's queries come through PGlite's Transaction object; let it name its database,
  // so the session's prepared statements are found from inside a transaction too.
  const transaction = client.transaction.bind(client);
  (client as { transaction: PGlite['transaction'] }).transaction = (fn) => transaction((tx) => fn(Object.assign(tx, { [PGLITE_ROOT]: client })));
  const db = drizzlePglite(client) as unknown as AppDb;
  return {
    kind: 'pglite',
    db,
    pglite: client,
    // PGlite has one connection: transactions are serialized, so no serialization failures occur.
    transaction: (fn, o) => withRetry(db, fn, o?.isolation),
    async ping() {
      await client.query('select 1');
    },
    async close() {
      await client.close();
    },
  };
}

async function withRetry<T>(db: AppDb, fn: (tx: Tx) => Promise<T>, isolation?: 'read committed' | 'repeatable read' | 'serializable'): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn as (tx: any) => Promise<T>, isolation ? { isolationLevel: isolation } : undefined);
    } catch (err) {
      const code = sqlState(err);
      if (attempt >= TX_RETRY_MAX || !code || !RETRYABLE_SQLSTATES.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.floor(Math.random() * 10)));
    }
  }
}

/** The SQLSTATE of a driver error, looking through drizzle's wrapping. */
export function sqlState(err: unknown): string | undefined {
  let e: any = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause;
  }
  return undefined;
}

/**
 * Plan this transaction's statements to reach rows through their indexes. A prepared statement
 * settles on a generic plan after five runs, made for the table sizes of that moment: a batch
 * statement (`where id = any($ids)`) whose plan was made while a table was small scans all of it
 * once it is large. The money path's batch statements run only in transactions that call this,
 * so their plans are index lookups whatever the sizes were when they were made — and stay cached
 * (planning them per call would cost more than the statement). On PostgreSQL the settings travel
 * with BEGIN (no round trip); the embedded database prepares the same statements (statement.ts).
 */
export async function indexPlans(database: Database, tx: Tx): Promise<void> {
  await tx.execute(sql.raw('set local enable_seqscan = off'));
  if (database.kind !== 'postgres') return;
  // A scan with no index left (a small reference table) then costs "infinity": never JIT-compile
  // for that (JIT takes tens of milliseconds and pays off only for long analytic queries).
  await tx.execute(sql.raw('set local jit = off'));
  // And keep the cached plan: left to choose, PostgreSQL planned the settlement's lock statement
  // afresh on every call on some connections and not on others (0, 441 or 858 plans in 750–860
  // calls in three identical runs; 0.21 ms to plan a statement that runs in 0.05 ms).
  await tx.execute(sql.raw('set local plan_cache_mode = force_generic_plan'));
}

/** Rows of a raw SQL query, the same shape on both engines. */
export async function rows<T = Record<string, unknown>>(ex: Executor, query: SQL): Promise<T[]> {
  const res = (await ex.execute(query)) as unknown as { rows: T[] };
  return res.rows;
}

/** A typed array parameter that reads the same on node-postgres and PGlite (sent as an array literal). */
export function sqlArray(values: readonly (string | number | bigint)[], type: 'bigint' | 'text' | 'int') {
  return sql`${arrayLiteral(type === 'text' ? values.map(String) : values)}::${sql.raw(type)}[]`;
}

/** PostgreSQL's array literal for a parameter (strings quoted and escaped); cast it in the statement. */
export function arrayLiteral(values: readonly (string | number | bigint)[]): string {
  return `{${values.map((v) => (typeof v === 'string' ? `"${v.replace(/["\\]/g, '\\$&')}"` : String(v))).join(',')}}`;
}

/**
 * Map a raw row (from a hand-written statement such as a CTE) to the table's typed row, through
 * each column's own driver mapping — so it reads exactly like a query-builder result.
 */
export function mapRow<T extends Table>(table: T, raw: Record<string, unknown>): T['$inferSelect'] {
  let columns = columnsOf.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table)).map(([key, col]) => [key, (col as Column).name, col as Column] as const);
    columnsOf.set(table, columns);
  }
  const out: Record<string, unknown> = {};
  for (const [key, name, col] of columns) {
    const v = raw[name];
    out[key] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
  }
  return out as T['$inferSelect'];
}

const columnsOf = new WeakMap<Table, readonly (readonly [string, string, Column])[]>();

/**
 * The same for a row that holds only some of the table's columns (a statement that reads what one
 * answer needs): typed as just those columns, so nothing reads one that was not selected.
 */
export function mapColumns<T extends Table, K extends keyof T['$inferSelect'] & string>(table: T, raw: Record<string, unknown>, keys: readonly K[]): Pick<T['$inferSelect'], K> {
  const all = getTableColumns(table) as Record<string, Column>;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const col = all[key];
    if (!col) throw new Error(`assertion: no column ${key}`);
    const v = raw[col.name];
    if (v === undefined) throw new Error(`assertion: column ${col.name} was not selected`);
    out[key] = v === null ? null : col.mapFromDriverValue(v);
  }
  return out as Pick<T['$inferSelect'], K>;
}

/** The select list of those columns, qualified by `alias` (quoted names, as the table declares them). */
export function columnList<T extends Table>(table: T, keys: readonly (keyof T['$inferSelect'] & string)[], alias: string): SQL {
  const all = getTableColumns(table) as Record<string, Column>;
  return sql.raw(keys.map((k) => `${alias}."${all[k]!.name}"`).join(', '));
}
