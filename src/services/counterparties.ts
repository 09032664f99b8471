/** Use cases for counterparties: create, list, retrieve (with the party), update. */
import type { RelationshipType } from '../domain/enums.js';
import { invalid, type Loc, notFound } from '../domain/errors.js';
import { counterpartyView, counterpartyWithPartyView } from '../domain/parties.js';
import type { View } from '../domain/sources.js';
import * as store from '../store/counterparties.js';
import type { Executor } from '../store/db.js';
import { mapPage, type Page, type PageArgs } from '../store/paging.js';
import type { Ctx } from './context.js';
import { requireParty } from './parties.js';

/** A counterparty of this merchant named in a request body; otherwise 422 "counterparty not found" on `loc`. */
export async function requireCounterparty(ex: Executor, merchant_id: number, counterparty_id: number, loc: Loc): Promise<store.CounterpartyRow> {
  const row = await store.findCounterparty(ex, merchant_id, counterparty_id);
  if (!row) throw invalid(loc, 'counterparty not found', 'value_error.not_found');
  return row;
}

export async function createCounterparty(
  ctx: Ctx,
  merchant_id: number,
  input: { relationship_type: RelationshipType; party_id?: number | null | undefined },
): Promise<View> {
  const at = ctx.clock.now();
  const row = await ctx.database.transaction(async (tx) => {
    const party_id = input.party_id ?? null;
    if (party_id !== null) await requireParty(tx, merchant_id, party_id, ['body', 'party_id']);
    return store.insertCounterparty(tx, { merchant_id, party_id, relationship_type: input.relationship_type, created_at: at, updated_at: at });
  });
  return counterpartyView(row);
}

export async function listCounterparties(
  ctx: Ctx,
  merchant_id: number,
  filter: { fullname?: string | undefined; relationship_type?: RelationshipType | undefined },
  page: PageArgs,
): Promise<Page<View>> {
  return mapPage(await store.listCounterparties(ctx.database.db, merchant_id, filter, page), counterpartyView);
}

export async function getCounterparty(ctx: Ctx, merchant_id: number, id: number): Promise<View> {
  const found = await store.findCounterpartyWithParty(ctx.database.db, merchant_id, id);
  if (!found) throw notFound();
  return counterpartyWithPartyView(found.counterparty, found.party);
}

/** Both fields optional; `party_id: null` unlinks the party. An empty body changes nothing. */
export async function updateCounterparty(
  ctx: Ctx,
  merchant_id: number,
  id: number,
  input: { relationship_type?: RelationshipType | undefined; party_id?: number | null | undefined },
): Promise<View> {
  const at = ctx.clock.now();
  const row = await ctx.database.transaction(async (tx) => {
    const current = await store.findCounterparty(tx, merchant_id, id);
    if (!current) throw notFound();
    const changes: Parameters<typeof store.updateCounterparty>[3] = {};
    if (input.relationship_type !== undefined) changes.relationship_type = input.relationship_type;
    if (input.party_id !== undefined) {
      if (input.party_id !== null) await requireParty(tx, merchant_id, input.party_id, ['body', 'party_id']);
      changes.party_id = input.party_id;
    }
    if (Object.keys(changes).length === 0) return current;
    return (await store.updateCounterparty(tx, merchant_id, id, { ...changes, updated_at: at }))!;
  });
  return counterpartyView(row);
}
