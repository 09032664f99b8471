/**
 * db.ts `together`: two statements of one transaction in one round trip (the settlement's moves and
 * postings). Each gets its own result; an error in either reaches both and fails the transaction;
 * the connection and its prepared statements stay usable after; a statement this connection has
 * not parsed yet goes out on its own (pg's parse bookkeeping stays right).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { type Database, openDatabase, together, type Tx } from '../../src/store/db.js';
import { Once, run } from '../../src/store/statement.js';
import { backends } from '../helpers/backends.js';

const p = sql.placeholder;
const plus = new Once(() => sql`select (${p('x')}::int + 1) as v`);
const times = new Once(() => sql`select (${p('x')}::int * 10) as v, ${p('tag')}::text as tag`);
const divide = new Once(() => sql`select (10 / ${p('x')}::int) as v`);

const value = (rows: Record<string, unknown>[]) => Number(rows[0]!.v);

/** ReadyForQuery messages this transaction's connection receives: one per round trip. */
function roundTrips(tx: Tx): () => number {
  const client = (tx as unknown as { session: { client: { connection?: { on(e: string, f: () => void): void } } } }).session.client;
  let n = 0;
  client.connection?.on('readyForQuery', () => n++);
  return () => n;
}

for (const backend of backends()) {
  describe(`together [${backend}]`, () => {
    const open = (): Promise<Database> =>
      backend === 'postgres' ? openDatabase({ database_url: process.env.DOLLR_TEST_PG_URL!, pool_max: 1 }) : openDatabase({ data_dir: 'memory://' });

    it('answers each statement its own rows, in one round trip once both are parsed on the connection', async () => {
      const database = await open();
      try {
        const trips: number[] = [];
        for (let i = 0; i < 3; i++) {
          await database.transaction(async (tx) => {
            await run(tx, plus.get(), { x: 0 }); // opens the transaction (BEGIN travels with it)
            const count = roundTrips(tx);
            const [a, b] = await together(
              tx,
              () => run(tx, times.get(), { x: i, tag: `t${i}` }),
              () => run(tx, plus.get(), { x: i }),
            );
            trips.push(count());
            assert.equal(value(a), i * 10);
            assert.equal(a[0]!.tag, `t${i}`);
            assert.equal(value(b), i + 1);
          });
        }
        // On PostgreSQL: `times`, ahead in the packet, is not parsed on this connection before its
        // first run, so that time the two go one after the other; then both go in one round trip.
        if (backend === 'postgres') assert.deepEqual(trips, [2, 1, 1]);
      } finally {
        await database.close();
      }
    });

    it('an error in either statement reaches both, fails the transaction, and leaves the connection usable', async () => {
      const database = await open();
      try {
        // Parse all three on the connection first, so the failing pairs are sent in one packet.
        await database.transaction(async (tx) => {
          await run(tx, plus.get(), { x: 1 });
          await run(tx, times.get(), { x: 1, tag: 'a' });
          await run(tx, divide.get(), { x: 1 });
        });
        for (const order of ['first', 'second'] as const) {
          let reached = 0;
          await assert.rejects(
            database.transaction(async (tx) => {
              await run(tx, plus.get(), { x: 0 });
              const failing = () => run(tx, divide.get(), { x: 0 }).catch((e) => { reached++; throw e; });
              const fine = () => run(tx, times.get(), { x: 2, tag: 'b' }).catch((e) => { reached++; throw e; });
              await (order === 'first' ? together(tx, failing, fine) : together(tx, fine, failing));
            }),
            (err: unknown) => /division by zero/.test(String((err as Error).message) + String((err as { cause?: Error }).cause?.message)),
          );
          // Skipped after the error, the other statement gets the error too (on PGlite only the failing one runs, in order).
          if (backend === 'postgres') assert.equal(reached, 2, order);
        }
        // The same connection, its prepared statements intact, pipelines again.
        const [a, b] = await database.transaction(async (tx) => {
          await run(tx, plus.get(), { x: 0 });
          return together(tx, () => run(tx, divide.get(), { x: 5 }), () => run(tx, times.get(), { x: 3, tag: 'c' }));
        });
        assert.equal(value(a), 2);
        assert.equal(value(b), 30);
      } finally {
        await database.close();
      }
    });

    if (backend === 'postgres') {
      it('without named statements (behind a transaction pooler) they go one after the other, and still answer', async () => {
        const database = await openDatabase({ database_url: process.env.DOLLR_TEST_PG_URL!, pool_max: 1, prepared_statements: false });
        try {
          for (let i = 0; i < 2; i++) {
            await database.transaction(async (tx) => {
              await run(tx, plus.get(), { x: 0 });
              const count = roundTrips(tx);
              const [a, b] = await together(tx, () => run(tx, times.get(), { x: i, tag: 'u' }), () => run(tx, plus.get(), { x: i }));
              assert.equal(count(), 2);
              assert.equal(value(a), i * 10);
              assert.equal(value(b), i + 1);
            });
          }
        } finally {
          await database.close();
        }
      });
    }

    it('statements that open their transaction take the held BEGIN with them: a rollback undoes them', async () => {
      const database = await open();
      try {
        await database.db.execute(sql.raw('create temp table together_t (x int)'));
        const insert = new Once(() => sql`insert into together_t (x) values (${p('x')}::int) returning x`);
        const count = new Once(() => sql`select count(*)::int as v from together_t where x >= ${p('x')}::int`);
        for (let i = 0; i < 2; i++) {
          await assert.rejects(
            database.transaction(async (tx) => {
              const [a, b] = await together(tx, () => run(tx, insert.get(), { x: 7 }), () => run(tx, count.get(), { x: 0 }));
              assert.equal(Number(a[0]!.x), 7);
              assert.equal(value(b), 1); // the second sees the first's row: one transaction, in order
              throw new Error('roll back');
            }),
            /roll back/,
          );
        }
        assert.equal(value(await run(database.db, count.get(), { x: 0 })), 0);
      } finally {
        await database.close();
      }
    });
  });
}
