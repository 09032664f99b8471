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
import { type Column, getTableColumns, getTableName, is, Param, Placeholder, type SQL, sql } from 'drizzle-orm';
import { PgDialect, type PgTable } from 'drizzle-orm/pg-core';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type Executor, mapRow, PGLITE_ROOT } from './db.js';

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
  const root = client instanceof PGlite ? client : (client as { [PGLITE_ROOT]?: PGlite })[PGLITE_ROOT];
  if (!root) {
    const res = await (client as Queryable).query(c.text, params, PGLITE_OPTIONS);
    return res.rows as T[];
  }
  // PGlite parses and plans every query it is sent (its protocol API has no named statements):
  // for the money path's long statements that was most of an execution's cost. Prepared once per
  // database with PREPARE, each call is an EXECUTE whose arguments are the values as literals
  // (EXECUTE takes no bind parameters). A prepared statement outlives a rolled-back transaction.
  let prepared = preparedOn.get(root);
  if (!prepared) preparedOn.set(root, (prepared = new Set()));
  let name = preparedName.get(c);
  if (name === undefined) preparedName.set(c, (name = `dollr_p${++preparedCount}`));
  if (!prepared.has(name)) {
    await (client as Queryable).query(`prepare ${name} as ${c.text}`, [], PGLITE_OPTIONS);
    prepared.add(name);
  }
  const call = params.length ? `execute ${name}(${params.map(literal).join(', ')})` : `execute ${name}`;
  const res = await (client as Queryable).query(call, [], PGLITE_OPTIONS);
  return res.rows as T[];
}

const preparedOn = new WeakMap<PGlite, Set<string>>();
/** A compiled statement's name (compiled statements are built once each, so this stays small). */
const preparedName = new WeakMap<Compiled, string>();
let preparedCount = 0;

/**
 * A driver value as an SQL literal for EXECUTE (the prepared statement's parameter types, taken
 * from its text, convert it exactly as a bound parameter would be). Quotes are doubled; the
 * database runs with standard_conforming_strings on (checked when it opens), so nothing else in a
 * literal is special. NUL cannot be in PostgreSQL text at all (the HTTP edge refuses it).
 */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  let text: string;
  if (typeof v === 'string') text = v;
  else if (typeof v === 'number' || typeof v === 'bigint') text = String(v);
  else if (typeof v === 'boolean') text = v ? 'true' : 'false';
  else if (v instanceof Date) text = v.toISOString();
  else throw new Error(`assertion: no SQL literal for a ${typeof v} parameter`);
  if (text.includes('\0')) throw new Error('assertion: NUL in a statement parameter');
  return `'${text.replace(/'/g, "''")}'`;
}

type RecordColumn = { key: string; name: string; column: Column };
const recordColumns = new WeakMap<PgTable, RecordColumn[]>();

/** The columns a JSON record of the table carries: all but identity and generated ones. */
function columnsForRecords(table: PgTable): RecordColumn[] {
  let cols = recordColumns.get(table);
  if (!cols) {
    cols = Object.entries(getTableColumns(table))
      .map(([key, column]) => ({ key, name: (column as Column).name, column: column as Column }))
      .filter(({ column }) => !(column as unknown as { generatedIdentity?: unknown }).generatedIdentity && !column.generated);
    recordColumns.set(table, cols);
  }
  return cols;
}

/** A driver value as JSON carries it (bigints as text, instants as ISO text). */
export function jsonValue(v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v;
}

/**
 * A row as the JSON record `json_populate_recordset(null::<table>, …)` reads: every column but
 * identity and generated ones, through each column's own driver mapping. A missing value takes
 * `defaults[key]`, else null — and a column the table gives a default must be in one or the
 * other (a set-based insert names every column, so the table's default would never apply).
 */
export function tableRecord<T extends PgTable>(table: T, values: T['$inferInsert'], defaults: Partial<T['$inferInsert']> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, name, column } of columnsForRecords(table)) {
    let v = (values as Record<string, unknown>)[key];
    if (v === undefined) {
      if (!(key in defaults) && column.hasDefault) throw new Error(`assertion: ${key} has a table default: give it a value`);
      v = (defaults as Record<string, unknown>)[key] ?? null;
    }
    if (v === null && column.notNull) throw new Error(`assertion: a new row without ${key}`);
    out[name] = v === null ? null : jsonValue(column.mapToDriverValue(v));
  }
  return out;
}

/** The insert column list of `tableRecord` rows, quoted. */
export function recordColumnList(table: PgTable, alias?: string): string {
  return columnsForRecords(table)
    .map((c) => (alias ? `${alias}."${c.name}"` : `"${c.name}"`))
    .join(', ');
}

const recordInserts = new WeakMap<PgTable, Map<string, Compiled>>();

/**
 * Insert many rows in one statement (`on conflict (target) do nothing` when a target is given),
 * the rows travelling as one JSON parameter — one statement text whatever their number. Returns
 * the rows inserted, or only their `returning` column (conflicting rows are absent: match them by
 * their key).
 */
export async function insertRecords<T extends PgTable>(ex: Executor, table: T, values: readonly T['$inferInsert'][], opts: { conflict_target?: readonly string[]; defaults?: Partial<T['$inferInsert']> }): Promise<T['$inferSelect'][]>;
export async function insertRecords<T extends PgTable, K extends keyof T['$inferSelect'] & string>(ex: Executor, table: T, values: readonly T['$inferInsert'][], opts: { conflict_target?: readonly string[]; defaults?: Partial<T['$inferInsert']>; returning: K }): Promise<Pick<T['$inferSelect'], K>[]>;
export async function insertRecords<T extends PgTable>(ex: Executor, table: T, values: readonly T['$inferInsert'][], opts: { conflict_target?: readonly string[]; defaults?: Partial<T['$inferInsert']>; returning?: string } = {}): Promise<unknown[]> {
  if (values.length === 0) return [];
  let byShape = recordInserts.get(table);
  if (!byShape) recordInserts.set(table, (byShape = new Map()));
  const shape = `${opts.conflict_target?.join(',') ?? ''}|${opts.returning ?? '*'}`;
  let c = byShape.get(shape);
  const returning = opts.returning ? columnsForRecords(table).find((col) => col.key === opts.returning) : undefined;
  if (opts.returning && !returning) throw new Error(`assertion: no column ${opts.returning}`);
  if (!c) {
    const name = getTableName(table);
    const conflict = opts.conflict_target ? ` on conflict (${opts.conflict_target.map((k) => `"${k}"`).join(', ')}) do nothing` : '';
    c = compile(
      sql`insert into ${sql.identifier(name)} (${sql.raw(recordColumnList(table))})
          select ${sql.raw(recordColumnList(table, 'r'))} from json_populate_recordset(null::${sql.identifier(name)}, ${sql.placeholder('rows')}::json) as r
          ${sql.raw(conflict)} returning ${sql.raw(returning ? `"${returning.name}"` : '*')}`,
    );
    byShape.set(shape, c);
  }
  const raws = await run(ex, c, { rows: JSON.stringify(values.map((v) => tableRecord(table, v, opts.defaults))) });
  if (returning) return raws.map((raw) => ({ [returning.key]: returning.column.mapFromDriverValue(raw[returning.name]) }));
  return raws.map((raw) => mapRow(table, raw));
}
