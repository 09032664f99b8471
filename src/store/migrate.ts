/**
 * Ordered migrations, applied on start, the same on PGlite and PostgreSQL.
 * drizzle-kit writes the SQL files; we apply them ourselves inside one transaction holding an
 * advisory lock, so several instances starting at once on one server apply each migration once
 * (drizzle's own migrator reads its bookkeeping outside the transaction and would race).
 */
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { type Database, rows } from './db.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));
const LOCK_KEY = 7_426_911_001; // arbitrary, stable: "dollr migrations"

function migrationFiles() {
  return readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
}

export async function migrate(database: Database): Promise<{ applied: number; total: number }> {
  const files = migrationFiles();
  let applied = 0;
  await database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_KEY})`);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(
      sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
    );
    const done = await rows<{ created_at: bigint | string }>(tx, sql`select created_at from drizzle.__drizzle_migrations`);
    const doneAt = new Set(done.map((r) => String(r.created_at)));
    for (const m of files) {
      if (doneAt.has(String(m.folderMillis))) continue;
      for (const stmt of m.sql) {
        if (stmt.trim()) await tx.execute(sql.raw(stmt));
      }
      await tx.execute(sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${m.hash}, ${m.folderMillis})`);
      applied++;
    }
  });
  return { applied, total: files.length };
}

/** For /readyz: every migration in the folder is recorded as applied. */
export async function migrationsPending(database: Database): Promise<number> {
  const files = migrationFiles();
  const done = await rows<{ n: bigint | number | string }>(
    database.db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  ).catch(() => [{ n: 0 }]);
  return Math.max(0, files.length - Number(done[0]?.n ?? 0));
}
