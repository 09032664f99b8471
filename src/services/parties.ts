/** Use cases for parties: create, list (name search), retrieve. */
import { invalid, type Loc, notFound } from '../domain/errors.js';
import { partyView } from '../domain/parties.js';
import type { View } from '../domain/sources.js';
import type { Executor } from '../store/db.js';
import { mapPage, type Page, type PageArgs } from '../store/paging.js';
import * as store from '../store/parties.js';
import type { Ctx } from './context.js';

export interface CreatePartyInput {
  fullname: string;
  phone: string;
  email?: string | null | undefined;
  country_code?: string | null | undefined;
}

/** A name the caller must fill: refused (422 on `loc`) when it is only whitespace; trimmed otherwise. */
export function requireText(loc: Loc, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw invalid(loc, 'must not be blank', 'value_error.any_str.blank');
  return trimmed;
}

/** A party of this merchant named in a request body; another merchant's (or no) party answers 422 "party not found". */
export async function requireParty(ex: Executor, merchant_id: number, party_id: number, loc: Loc): Promise<store.PartyRow> {
  const party = await store.findParty(ex, merchant_id, party_id);
  if (!party) throw invalid(loc, 'party not found', 'value_error.not_found');
  return party;
}

export async function createParty(ctx: Ctx, merchant_id: number, input: CreatePartyInput): Promise<View> {
  const fullname = requireText(['body', 'fullname'], input.fullname);
  const at = ctx.clock.now();
  const row = await ctx.database.transaction((tx) =>
    store.insertParty(tx, {
      merchant_id,
      fullname,
      phone: input.phone,
      email: input.email ?? null,
      country_code: input.country_code ?? null,
      created_at: at,
      updated_at: at,
    }),
  );
  return partyView(row);
}

export async function listParties(ctx: Ctx, merchant_id: number, filter: { fullname?: string | undefined }, page: PageArgs): Promise<Page<View>> {
  return mapPage(await store.listParties(ctx.database.db, merchant_id, filter, page), partyView);
}

export async function getParty(ctx: Ctx, merchant_id: number, id: number): Promise<View> {
  const row = await store.findParty(ctx.database.db, merchant_id, id);
  if (!row) throw notFound();
  return partyView(row);
}
