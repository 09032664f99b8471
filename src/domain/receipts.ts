/**
 * The receipt of a paid invoice or order (InvoiceReceiptResponse / OrderReceiptResponse), built
 * from stored rows only: the source and its items, its counterparty and party, the collection
 * execution that paid it (amounts, fees, FX, provider) and the payment account it was paid from.
 * Pure, so the mapping is tested without a database or a payment.
 */
import { type CounterpartyRecord, type PartyRecord } from './parties.js';
import { formatDecimal, minorToJsonNumber, parseDecimal } from './money.js';
import { itemsTotalMinor, type ItemRecord, type Owner, type SourceKind, type SourceRecord, type View } from './sources.js';

/** The columns of the paying execution a receipt shows. */
export interface ReceiptExecution {
  readonly id: number;
  readonly source_id: number | null;
  readonly payer_amount_minor: bigint;
  readonly payer_currency: string;
  readonly payee_amount_minor: bigint;
  readonly payee_currency: string;
  readonly platform_fee_minor: bigint;
  readonly platform_currency: string;
  readonly gateway_fee_minor: bigint;
  readonly gateway_currency: string | null;
  readonly fx_fee_minor: bigint;
  readonly fx_rate: string | null; // numeric text from the database
  readonly fx_currency_from: string | null;
  readonly fx_currency_to: string | null;
  readonly provider: string | null;
  readonly method: string | null;
  readonly provider_transaction_id: string | null;
  readonly completed_at: Date | null;
}

export interface ReceiptInput {
  readonly source: SourceRecord;
  readonly owner: Owner;
  readonly counterparty: CounterpartyRecord | null;
  readonly party: PartyRecord | null;
  readonly execution: ReceiptExecution;
  /** The name on the payment account the payer used (null when the execution names none). */
  readonly account_name: string | null;
  readonly items: readonly ItemRecord[];
}

/** "19.2500000000" → "19.25": the rate as an exact decimal string, without padding. */
export function normalizeRate(text: string | null): string | null {
  if (text === null) return null;
  const dec = parseDecimal(text);
  if (!dec) throw new Error(`assertion: stored fx_rate ${text} is not a decimal`);
  return formatDecimal(dec);
}

/** A fee in `currency`, or null when the fee has no currency (and then it must be zero). */
function feeOrNull(fee_minor: bigint, currency: string | null, what: string): number | null {
  if (currency === null) {
    if (fee_minor !== 0n) throw new Error(`assertion: ${what} of ${fee_minor} without a currency`);
    return null;
  }
  return minorToJsonNumber(fee_minor, currency);
}

export function buildReceipt(kind: SourceKind, r: ReceiptInput): View {
  const { source: s, execution: x } = r;
  if (s.status !== 'PAID') throw new Error(`assertion: receipt of a ${s.status} ${kind.noun}`);
  if (x.source_id !== null && x.source_id !== s.id) throw new Error('assertion: the paying execution belongs to another source');
  if (itemsTotalMinor(r.items) !== s.total_amount_minor) throw new Error('assertion: items do not add up to the total');
  if (r.counterparty && r.counterparty.id !== s.counterparty_id) throw new Error('assertion: receipt counterparty mismatch');
  if (r.party && r.party.id !== r.counterparty?.party_id) throw new Error('assertion: receipt party mismatch');

  const invoice: View = {
    [kind.id_field]: s.id,
    [kind.number_field]: s.number,
    currency: s.currency,
    total_amount: minorToJsonNumber(s.total_amount_minor, s.currency),
    status: s.status,
    note: s.note,
  };
  if (kind.has_due_date) invoice.due_date = s.due_date;
  const fx_rate = normalizeRate(x.fx_rate);
  return {
    ...invoice,
    as_payment_link: s.as_payment_link,
    fee_bearer: s.fee_bearer,
    owner_id: r.owner.owner_id,
    owner_type: r.owner.owner_type,
    created_at: s.created_at,
    reference_id: s.reference_id,
    paid_at: s.paid_at,

    counterparty_id: s.counterparty_id,
    relationship_type: r.counterparty?.relationship_type ?? null,
    counterparty_name: r.party?.fullname ?? null,
    counterparty_phone: r.party?.phone ?? null,
    counterparty_email: r.party?.email ?? null,

    payer_amount: minorToJsonNumber(x.payer_amount_minor, x.payer_currency),
    payer_currency: x.payer_currency,
    payee_amount: minorToJsonNumber(x.payee_amount_minor, x.payee_currency),
    payee_currency: x.payee_currency,
    platform_fee: minorToJsonNumber(x.platform_fee_minor, x.platform_currency),
    platform_currency: x.platform_currency,
    gateway_fee: feeOrNull(x.gateway_fee_minor, x.gateway_currency, 'gateway fee'),
    gateway_currency: x.gateway_currency,
    // The FX fee is charged in the source (payee) currency, and only when the payer paid in another one.
    fx_fee: feeOrNull(x.fx_fee_minor, fx_rate === null ? null : x.payee_currency, 'fx fee'),

    fx_rate,
    fx_currency_from: x.fx_currency_from,
    fx_currency_to: x.fx_currency_to,

    payment_provider: x.provider,
    payment_method: x.method,
    account_name: r.account_name,
    gateway_confirmed_at: x.completed_at,
    provider_transaction_id: x.provider_transaction_id,

    items: r.items.map((i) => ({
      id: i.id,
      name: i.name,
      qty: i.qty,
      amount: minorToJsonNumber(i.unit_amount_minor, i.currency),
      currency: i.currency,
    })),
  };
}
