/** Queries for counterparties (with their party where asked). Every query is scoped to one merchant. */
import { and, asc, eq, ilike } from 'drizzle-orm';
import { type Executor } from './db.js';
import { afterCursor, fetchCount, type Page, type PageArgs, toPage } from './paging.js';
import { containsPattern, type PartyRow } from './parties.js';
import { counterparties, parties } from './schema.js';

export type CounterpartyRow = typeof counterparties.$inferSelect;
export interface CounterpartyWithParty {
  counterparty: CounterpartyRow;
  party: PartyRow | null;
}

export async function insertCounterparty(ex: Executor, values: typeof counterparties.$inferInsert): Promise<CounterpartyRow> {
  const [row] = await ex.insert(counterparties).values(values).returning();
  return row!;
}

export async function findCounterparty(ex: Executor, merchant_id: number, id: number): Promise<CounterpartyRow | undefined> {
  const [row] = await ex
    .select()
    .from(counterparties)
    .where(and(eq(counterparties.merchant_id, merchant_id), eq(counterparties.id, id)));
  return row;
}

const withParty = { counterparty: counterparties, party: parties };
const partyOfCounterparty = and(eq(parties.id, counterparties.party_id), eq(parties.merchant_id, counterparties.merchant_id));

export async function findCounterpartyWithParty(ex: Executor, merchant_id: number, id: number): Promise<CounterpartyWithParty | undefined> {
  const [row] = await ex
    .select(withParty)
    .from(counterparties)
    .leftJoin(parties, partyOfCounterparty)
    .where(and(eq(counterparties.merchant_id, merchant_id), eq(counterparties.id, id)));
  return row;
}

/** The party's first counterparty of this relationship (checkout reuses it). */
export async function findCounterpartyOfParty(
  ex: Executor,
  merchant_id: number,
  party_id: number,
  relationship_type: string,
): Promise<CounterpartyRow | undefined> {
  const [row] = await ex
    .select()
    .from(counterparties)
    .where(
      and(
        eq(counterparties.merchant_id, merchant_id),
        eq(counterparties.party_id, party_id),
        eq(counterparties.relationship_type, relationship_type),
      ),
    )
    .orderBy(asc(counterparties.id))
    .limit(1);
  return row;
}

/** `fullname` matches the linked party's name (so counterparties without a party drop out of a name search). */
export async function listCounterparties(
  ex: Executor,
  merchant_id: number,
  filter: { fullname?: string | undefined; relationship_type?: string | undefined },
  page: PageArgs,
): Promise<Page<CounterpartyRow>> {
  const fetched = await ex
    .select(withParty)
    .from(counterparties)
    .leftJoin(parties, partyOfCounterparty)
    .where(
      and(
        eq(counterparties.merchant_id, merchant_id),
        filter.relationship_type === undefined ? undefined : eq(counterparties.relationship_type, filter.relationship_type),
        filter.fullname === undefined ? undefined : ilike(parties.fullname, containsPattern(filter.fullname)),
        afterCursor(counterparties.id, page),
      ),
    )
    .orderBy(asc(counterparties.id))
    .limit(fetchCount(page));
  return toPage(
    fetched.map((r) => r.counterparty),
    page,
  );
}

export async function updateCounterparty(
  ex: Executor,
  merchant_id: number,
  id: number,
  values: Partial<Pick<typeof counterparties.$inferInsert, 'relationship_type' | 'party_id' | 'updated_at'>>,
): Promise<CounterpartyRow | undefined> {
  const [row] = await ex
    .update(counterparties)
    .set(values)
    .where(and(eq(counterparties.merchant_id, merchant_id), eq(counterparties.id, id)))
    .returning();
  return row;
}
