/**
 * The money path's statements, built once. Drizzle builds a statement's SQL text from its query
 * objects on every call; for the dozen statements every payment and status poll runs, that was the
 * server's largest single cost (bench:probe profile: 17 % of an execution's CPU, 27 % of a status
 * GET's). Here a statement is written with drizzle as usual, with `sql.placeholder(name)` where a
 * value goes; it is compiled to text once per shape, and each call only fills the parameters and
 * sends the text (named, so PostgreSQL plans it once per connection too — see db.ts).
 *
 * Rows come back exactly as `rows()` returns them (drizzle's own raw-query type settings on both
 * engines), so `mapRow` reads them the same way.
 */
import { is, Param, Placeholder, type SQL, sql } from 'drizzle-orm';
import { PgDialect, type PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { type Executor, mapRow } from './db.js';

const dialect = new PgDialect();

/** How one positional parameter gets its value from a call's named values. */
type Slot = (values: Readonly<Record<string, unknown>>) => unknown;

export interface Compiled {
  readonly text: string;
  readonly slots: readonly Slot[];
}

function valueOf(values: Readonly<Record<string, unknown>>, name: string): unknown {
  const v = values[name];
  if (v === undefined) throw new Error(`assertion: no value for statement parameter "${name}"`);
  return v;
}

/** Compile a query with placeholders into its text and a filler per parameter ($1, $2, …). */
export function compile(query: SQL | { getSQL(): SQL }): Compiled {
  const built = dialect.sqlToQuery('getSQL' in query ? query.getSQL() : query);
  const slots = built.params.map((p): Slot => {
    if (is(p, Placeholder)) {
      const name = p.name as string;
      return (values) => valueOf(values, name);
    }
    if (is(p, Param) && is(p.value, Placeholder)) {
      // A column's value (insert/update): through the column's own mapping, as drizzle would.
      const name = (p.value as Placeholder).name as string;
      const encoder = p.encoder;
      return (values) => {
        const v = valueOf(values, name);
        return v === null || !encoder ? v : encoder.mapToDriverValue(v);
      };
    }
    const constant = p; // a literal that was not a placeholder: the same on every call
    return () => constant;
  });
  return { text: built.sql, slots };
}

/**
 * A statement whose text depends on its shape (which columns an insert sets, which optional
 * clause is present): compiled once per shape key. Shapes are a small fixed set in this code; the
 * bound only guards against a caller that would make a new shape per call.
 */
export class Shaped {
  private static readonly SHAPES_MAX = 64;
  private readonly compiled = new Map<string, Compiled>();
  get(key: string, build: () => SQL | { getSQL(): SQL }): Compiled {
    let c = this.compiled.get(key);
    if (!c) {
      c = compile(build());
      if (this.compiled.size < Shaped.SHAPES_MAX) this.compiled.set(key, c);
    }
    return c;
  }
}

/** One compiled statement, built on first use (the query builders need an executor, not a connection). */
export class Once {
  private compiled?: Compiled;
  constructor(private readonly build: () => SQL | { getSQL(): SQL }) {}
  get(): Compiled {
    return (this.compiled ??= compile(this.build()));
  }
}

/** Drizzle's raw-query type settings: timestamps, dates and intervals as text (the columns parse them). */
const AS_TEXT = new Set<number>([1114, 1184, 1082, 1186, 1231, 1115, 1185, 1187, 1182]);
const PG_TYPES = {
  getTypeParser: ((oid: number, format?: string) => (AS_TEXT.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};
const identity = (v: string) => v;
const PGLITE_OPTIONS = { rowMode: 'object' as const, parsers: Object.fromEntries([...AS_TEXT].map((oid) => [oid, identity])) };

interface Queryable {
  query(text: string, params: unknown[], options: unknown): Promise<{ rows: unknown[] }>;
}

/** Run a compiled statement on the database or inside a transaction; its rows as `rows()` returns them. */
export async function run<T = Record<string, unknown>>(ex: Executor, c: Compiled, values: Readonly<Record<string, unknown>>): Promise<T[]> {
  const params = c.slots.map((slot) => slot(values));
  const client = (ex as unknown as { session: { client: unknown } }).session.client;
  if (client instanceof pg.Pool || client instanceof pg.Client) {
    const res = await (client as pg.Pool).query({ text: c.text, values: params, types: PG_TYPES });
    return res.rows as T[];
  }
  const res = await (client as Queryable).query(c.text, params, PGLITE_OPTIONS);
  return res.rows as T[];
}

/** Placeholders named after the keys a row sets (its shape: the keys with a value). */
export function placeholders(values: Record<string, unknown>): { shape: string; set: Record<string, Placeholder> } {
  const keys = Object.keys(values).filter((k) => values[k] !== undefined).sort();
  return { shape: keys.join(','), set: Object.fromEntries(keys.map((k) => [k, sql.placeholder(k)])) };
}

const inserts = new WeakMap<PgTable, Shaped>();

/** `insert … returning *` (optionally `on conflict do nothing`), built once per shape; undefined when nothing was inserted. */
export async function insertRow<T extends PgTable>(ex: Executor, table: T, values: T['$inferInsert'], opts: { onConflictDoNothing?: boolean } = {}): Promise<T['$inferSelect'] | undefined> {
  let shaped = inserts.get(table);
  if (!shaped) inserts.set(table, (shaped = new Shaped()));
  const { shape, set } = placeholders(values as Record<string, unknown>);
  const statement = shaped.get(`${shape}|${opts.onConflictDoNothing ? 'nothing' : ''}`, () => {
    const insert = ex.insert(table).values(set as never);
    return (opts.onConflictDoNothing ? insert.onConflictDoNothing() : insert).returning();
  });
  const [raw] = await run(ex, statement, values as Record<string, unknown>);
  return raw ? mapRow(table, raw) : undefined;
}
