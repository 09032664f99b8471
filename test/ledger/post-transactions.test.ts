/**
 * Several posting sets in one statement (what a settlement batch writes), on both databases: a
 * cached account touched by many sets moves once by their sum, each line carries the running
 * balance after it, a guarded account may not dip below zero at any line even when the last line
 * brings it back, a short set records nothing, and the ledger invariants hold throughout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { ManualClock } from '../../src/clock.js';
import { credit, debit } from '../../src/domain/ledger.js';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { ensureAccount, InsufficientFunds, MerchantAccount, PlatformAccount, postTransactions } from '../../src/ledger/ledger.js';
import { openServices } from '../../src/server.js';
import type { Ctx } from '../../src/services/context.js';
import { createMerchant } from '../../src/services/merchants.js';
import { rows } from '../../src/store/db.js';
import { backends } from '../helpers/backends.js';
import { openTestDatabase, testConfig } from '../helpers/server.js';

for (const backend of backends()) {
  describe(`ledger: posting sets in one statement [${backend}]`, () => {
    const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
    let ctx: Ctx;
    let drop: () => Promise<void>;
    let merchant_id: number;
    let wallet: number; // guarded, cached
    let funding: number; // derived, may go negative

    before(async () => {
      const opened = await openTestDatabase(backend);
      drop = opened.drop;
      ctx = (await openServices(testConfig({ LOG_LEVEL: 'silent' }), { clock, database: opened.database })).ctx;
      merchant_id = (await createMerchant(ctx, { name: 'Ledger Co', type: 'ORGANIZATION', email: 'l@b.test', phone: '231770000019' })).id;
      const at = clock.now();
      wallet = await ensureAccount(ctx.database.db, merchant_id, MerchantAccount.counterpartyBalance(999), 'USD', at);
      funding = await ensureAccount(ctx.database.db, null, PlatformAccount.sandboxFunding, 'USD', at);
    });
    after(async () => {
      await ctx.database.close();
      await drop();
    });

    const balance = async (id: number) => {
      const [r] = await rows<{ b: string }>(ctx.database.db, sql`select balance_minor::text as b from ledger_accounts where id = ${id}`);
      return BigInt(r!.b);
    };
    const set = (kind: string, amount: bigint, into = true) => ({
      merchant_id,
      kind,
      description: kind,
      postings: into ? [debit(funding, 'USD', amount), credit(wallet, 'USD', amount)] : [debit(wallet, 'USD', amount), credit(funding, 'USD', amount)],
      at: clock.now(),
    });

    it('moves a cached account touched by many sets once, by their sum, with each line showing the running balance', async () => {
      const before = await balance(wallet);
      const { transaction_ids } = await ctx.database.transaction((tx) =>
        postTransactions(tx, [set('t_in_1', 100n), set('t_in_2', 250n), set('t_out_1', 50n, false), set('t_in_3', 1n)]),
      );
      assert.equal(transaction_ids.length, 4);
      assert.equal(new Set(transaction_ids).size, 4);
      assert.equal(await balance(wallet), before + 301n);
      const lines = await rows<{ transaction_id: number; after: string | null; amount: string }>(
        ctx.database.db,
        sql`select p.transaction_id, p.balance_after_minor::text as after, p.amount_minor::text as amount from ledger_postings p
            where p.account_id = ${wallet} and p.transaction_id = any(${`{${transaction_ids.join(',')}}`}::bigint[]) order by p.id`,
      );
      assert.deepEqual(lines.map((l) => Number(l.transaction_id)), transaction_ids, 'one line per set on the wallet, in the order given');
      assert.deepEqual(lines.map((l) => BigInt(l.after!)), [before + 100n, before + 350n, before + 300n, before + 301n]);
      const derived = await rows<{ after: string | null }>(ctx.database.db, sql`select balance_after_minor::text as after from ledger_postings where account_id = ${funding} and transaction_id = ${transaction_ids[0]!}`);
      assert.equal(derived[0]!.after, null, 'derived accounts keep no running balance');
      assert.deepEqual(await checkInvariants(ctx.database), []);
    });

    it('refuses sets that would take a guarded account below zero at any line, even if a later line brings it back', async () => {
      const start = await balance(wallet);
      const [count0] = await rows<{ n: number }>(ctx.database.db, sql`select count(*)::int as n from ledger_transactions`);
      await assert.rejects(
        ctx.database.transaction((tx) => postTransactions(tx, [set('t_dip_out', start + 1n, false), set('t_dip_in', 10n)])),
        (err: unknown) => err instanceof InsufficientFunds && err.account_id === wallet,
      );
      assert.equal(await balance(wallet), start);
      const [count1] = await rows<{ n: number }>(ctx.database.db, sql`select count(*)::int as n from ledger_transactions`);
      assert.equal(count1!.n, count0!.n, 'nothing recorded');
      // The same two sets in the other order never dip: they go through.
      await ctx.database.transaction((tx) => postTransactions(tx, [set('t_dip_in_first', 10n), set('t_dip_out_after', start + 1n, false)]));
      assert.equal(await balance(wallet), start + 10n - start - 1n);
      assert.deepEqual(await checkInvariants(ctx.database), []);
    });

    it('refuses a set on a missing account or in the wrong currency, as a bug', async () => {
      await assert.rejects(
        ctx.database.transaction((tx) => postTransactions(tx, [{ merchant_id, kind: 't_bad', postings: [debit(funding, 'USD', 5n), credit(999_999_999, 'USD', 5n)], at: clock.now() }])),
        /missing account or in the wrong currency/,
      );
      await assert.rejects(
        ctx.database.transaction((tx) => postTransactions(tx, [{ merchant_id, kind: 't_bad2', postings: [debit(funding, 'LRD', 5n), credit(wallet, 'LRD', 5n)], at: clock.now() }])),
        /missing account or in the wrong currency/,
      );
    });

    it('keeps one posting set per execution and kind: the same set twice in one statement fails as a whole', async () => {
      const [e] = await rows<{ id: number }>(ctx.database.db, sql`select 424242::bigint as id`);
      const twice = { ...set('collection', 5n), execution_id: Number(e!.id) };
      const before = await balance(wallet);
      await assert.rejects(ctx.database.transaction((tx) => postTransactions(tx, [twice, twice])));
      assert.equal(await balance(wallet), before);
    });
  });
}
