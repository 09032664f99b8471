/**
 * Parties (contact records) and counterparties (a party's relationship to the merchant), as the
 * API shows them. Pure: the rows come from the store, the views go to the response serializer.
 */
import type { View } from './sources.js';

export interface PartyRecord {
  readonly id: number;
  readonly fullname: string;
  readonly phone: string;
  readonly email: string | null;
  readonly country_code: string | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface CounterpartyRecord {
  readonly id: number;
  readonly relationship_type: string;
  readonly party_id: number | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

/** PartyResponse. */
export function partyView(p: PartyRecord): View {
  return {
    id: p.id,
    fullname: p.fullname,
    phone: p.phone,
    email: p.email,
    country_code: p.country_code,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

/** CounterPartyResponse. */
export function counterpartyView(c: CounterpartyRecord): View {
  return {
    id: c.id,
    relationship_type: c.relationship_type,
    party_id: c.party_id,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

/** CounterPartyWithPartyResponse: the counterparty and its party (null when it has none). */
export function counterpartyWithPartyView(c: CounterpartyRecord, party: PartyRecord | null): View {
  if (party && party.id !== c.party_id) throw new Error('assertion: embedded party is not the counterparty’s');
  return { ...counterpartyView(c), party: party ? partyView(party) : null };
}
