/** Queries for parties. Every query is scoped to one merchant. */
import { and, asc, eq, ilike, sql } from 'drizzle-orm';
import { type Executor, type Tx } from './db.js';
import { afterCursor, fetchCount, type Page, type PageArgs, toPage } from './paging.js';
import { parties } from './schema.js';

export type PartyRow = typeof parties.$inferSelect;

/** A LIKE pattern matching `text` anywhere, with its own %, _ and \ taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function insertParty(ex: Executor, values: typeof parties.$inferInsert): Promise<PartyRow> {
  const [row] = await ex.insert(parties).values(values).returning();
  return row!;
}

export async function findParty(ex: Executor, merchant_id: number, id: number): Promise<PartyRow | undefined> {
  const [row] = await ex
    .select()
    .from(parties)
    .where(and(eq(parties.merchant_id, merchant_id), eq(parties.id, id)));
  return row;
}

/** The merchant's first party with this phone (checkout matches payers by phone). */
export async function findPartyByPhone(ex: Executor, merchant_id: number, phone: string): Promise<PartyRow | undefined> {
  const [row] = await ex
    .select()
    .from(parties)
    .where(and(eq(parties.merchant_id, merchant_id), eq(parties.phone, phone)))
    .orderBy(asc(parties.id))
    .limit(1);
  return row;
}

/**
 * Serialize "find or create the party with this phone" per merchant and phone until the
 * transaction ends, so two concurrent checkouts for a new payer create one party, not two.
 */
export async function lockPartyPhone(tx: Tx, merchant_id: number, phone: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`party-phone:${merchant_id}:${phone}`}, 0))`);
}

export async function listParties(ex: Executor, merchant_id: number, filter: { fullname?: string | undefined }, page: PageArgs): Promise<Page<PartyRow>> {
  const fetched = await ex
    .select()
    .from(parties)
    .where(
      and(
        eq(parties.merchant_id, merchant_id),
        filter.fullname === undefined ? undefined : ilike(parties.fullname, containsPattern(filter.fullname)),
        afterCursor(parties.id, page),
      ),
    )
    .orderBy(asc(parties.id))
    .limit(fetchCount(page));
  return toPage(fetched, page);
}
