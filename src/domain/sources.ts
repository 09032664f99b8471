/**
 * Payment sources — invoices and orders — as pure rules: what each kind is called, how its number
 * reads, which status change each action makes, and how its total follows from its items.
 *
 *   IDLE ──publish──▶ ACTIVE ──start_payment──▶ PROCESSING ──settle──▶ PAID (terminal)
 *    │  (edit: IDLE)    │  ▲                          │
 *    └──cancel──┐       │  └──────payment_failed──────┘
 *               ▼       ▼
 *             CANCELED (terminal)  ◀──cancel── (IDLE or ACTIVE only; never while PROCESSING)
 */
import { SOURCE_TYPES, type SourceStatus, type SourceType } from './enums.js';
import { ITEMS_PER_SOURCE_MAX } from './limits.js';
import { AMOUNT_MAJOR_MAX, exponentOf, minorToJsonNumber } from './money.js';

/** What differs between an invoice and an order, as the API names it. */
export interface SourceKind {
  readonly type: SourceType;
  readonly noun: 'invoice' | 'order';
  readonly prefix: 'INV' | 'ORD';
  readonly id_field: 'invoice_id' | 'order_id';
  readonly number_field: 'invoice_number' | 'order_number';
  readonly items_field: 'invoice_items' | 'order_items';
  /** Orders have no due date (api-notes §3.10). */
  readonly has_due_date: boolean;
}

export const SOURCE_KINDS: Readonly<Record<SourceType, SourceKind>> = {
  INVOICE: {
    type: 'INVOICE',
    noun: 'invoice',
    prefix: 'INV',
    id_field: 'invoice_id',
    number_field: 'invoice_number',
    items_field: 'invoice_items',
    has_due_date: true,
  },
  ORDER: {
    type: 'ORDER',
    noun: 'order',
    prefix: 'ORD',
    id_field: 'order_id',
    number_field: 'order_number',
    items_field: 'order_items',
    has_due_date: false,
  },
};

/** INV-2026-00042: the year the document was created (UTC) and its sequence in that year, 5 digits (more past 99999). */
export function formatSourceNumber(type: SourceType, year: number, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new Error(`assertion: bad document sequence ${sequence}`);
  return `${SOURCE_KINDS[type].prefix}-${year}-${String(sequence).padStart(5, '0')}`;
}

/**
 * The spec's source_type enum also holds SUBSCRIPTION, which Dollr does not support publicly:
 * schemas accept it (so the enum matches the spec) and use cases refuse it with this message.
 */
export function unsupportedSourceType(value: string): string | undefined {
  return (SOURCE_TYPES as readonly string[]).includes(value) ? undefined : `${value} sources are not supported; use INVOICE or ORDER`;
}

// ---------------------------------------------------------------------------------------------
// The state machine
// ---------------------------------------------------------------------------------------------

export const SOURCE_ACTIONS = ['edit', 'publish', 'cancel', 'start_payment', 'settle', 'payment_failed'] as const;
export type SourceAction = (typeof SOURCE_ACTIONS)[number];

const TRANSITIONS: Readonly<Record<SourceAction, Partial<Record<SourceStatus, SourceStatus>>>> = {
  edit: { IDLE: 'IDLE' },
  publish: { IDLE: 'ACTIVE' },
  cancel: { IDLE: 'CANCELED', ACTIVE: 'CANCELED' },
  start_payment: { ACTIVE: 'PROCESSING' },
  settle: { PROCESSING: 'PAID' },
  payment_failed: { PROCESSING: 'ACTIVE' },
};

export type Transition = { ok: true; status: SourceStatus } | { ok: false; reason: string };

/**
 * The status `action` leads to from `status`, or why it is refused. The reason completes a
 * sentence that starts with the source and its status: "invoice INV-2026-00001 is PAID; <reason>".
 */
export function sourceTransition(status: SourceStatus, action: SourceAction, noun = 'source'): Transition {
  const next = TRANSITIONS[action][status];
  if (next) return { ok: true, status: next };
  return { ok: false, reason: refusal(status, action, noun) };
}

function refusal(status: SourceStatus, action: SourceAction, noun: string): string {
  switch (action) {
    case 'edit':
      return `only an IDLE (draft) ${noun} can be changed; create a new ${noun} instead`;
    case 'publish':
      return `only an IDLE ${noun} can be published`;
    case 'cancel':
      if (status === 'PROCESSING') return 'a payment is in flight; wait for its result before canceling';
      if (status === 'PAID') return `a paid ${noun} cannot be canceled`;
      return `it is already canceled`;
    case 'start_payment':
      if (status === 'IDLE') return `publish the ${noun} before collecting payment`;
      if (status === 'PROCESSING') return 'a payment is already in flight; wait for its result';
      if (status === 'PAID') return `the ${noun} is already paid`;
      return `a canceled ${noun} cannot be paid; create a new one`;
    case 'settle':
    case 'payment_failed':
      return 'no payment is in flight for it';
  }
}

// ---------------------------------------------------------------------------------------------
// Items and totals: exact, in bigint minor units of the source currency
// ---------------------------------------------------------------------------------------------

export interface ItemAmount {
  readonly qty: number;
  readonly unit_amount_minor: bigint;
}

export function lineTotalMinor(item: ItemAmount): bigint {
  return BigInt(item.qty) * item.unit_amount_minor;
}

export function itemsTotalMinor(items: readonly ItemAmount[]): bigint {
  let total = 0n;
  for (const item of items) total += lineTotalMinor(item);
  return total;
}

/** The largest total a source may reach: the largest amount any request may carry. */
export function sourceTotalMaxMinor(currency: string): bigint {
  return AMOUNT_MAJOR_MAX * 10n ** BigInt(exponentOf(currency));
}

export type ItemsCheck = { ok: true; total_minor: bigint } | { ok: false; problem: 'too_many_items' | 'total_too_large'; msg: string };

/** Whether a source may hold `items` (the list after the change): the count and the total stay within limits. */
export function checkItems(items: readonly ItemAmount[], currency: string, noun: string): ItemsCheck {
  if (items.length > ITEMS_PER_SOURCE_MAX) {
    return { ok: false, problem: 'too_many_items', msg: `an ${noun} holds at most ${ITEMS_PER_SOURCE_MAX} items; remove one before adding another` };
  }
  const total_minor = itemsTotalMinor(items);
  const max = sourceTotalMaxMinor(currency);
  if (total_minor > max) {
    return { ok: false, problem: 'total_too_large', msg: `the ${noun} total would exceed ${AMOUNT_MAJOR_MAX} ${currency}, the largest amount this server accepts` };
  }
  return { ok: true, total_minor };
}

// ---------------------------------------------------------------------------------------------
// Response views (JSON-ready): what the API shows of a stored source and its items
// ---------------------------------------------------------------------------------------------

export interface SourceRecord {
  readonly id: number;
  readonly number: string;
  readonly counterparty_id: number | null;
  readonly currency: string;
  readonly total_amount_minor: bigint;
  readonly status: string;
  readonly note: string;
  readonly fee_bearer: string;
  readonly due_date: Date | null;
  readonly as_payment_link: boolean;
  readonly reference_id: string | null;
  readonly paid_at: Date | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface ItemRecord extends ItemAmount {
  readonly id: number;
  readonly source_id: number;
  readonly name: string;
  readonly currency: string;
  readonly created_at: Date;
  readonly updated_at: Date;
}

/** Who owns a source: the merchant (owner_type is the merchant's type). */
export interface Owner {
  readonly owner_id: number;
  readonly owner_type: string;
}

export type View = Record<string, unknown>;

/** InvoiceResponse / OrderResponse. */
export function sourceView(kind: SourceKind, s: SourceRecord, owner: Owner): View {
  const view: View = {
    id: s.id,
    [kind.number_field]: s.number,
    counterparty_id: s.counterparty_id,
    currency: s.currency,
    total_amount: minorToJsonNumber(s.total_amount_minor, s.currency),
    status: s.status,
    note: s.note,
    fee_bearer: s.fee_bearer,
  };
  if (kind.has_due_date) view.due_date = s.due_date;
  return {
    ...view,
    as_payment_link: s.as_payment_link,
    owner_id: owner.owner_id,
    owner_type: owner.owner_type,
    created_at: s.created_at,
    updated_at: s.updated_at,
    reference_id: s.reference_id,
    paid_at: s.paid_at,
  };
}

/** An item as the API shows it: `amount` is the unit price; the line total is qty × amount. */
export function itemView(kind: SourceKind, item: ItemRecord): View {
  return {
    id: item.id,
    [kind.id_field]: item.source_id,
    name: item.name,
    currency: item.currency,
    qty: item.qty,
    amount: minorToJsonNumber(item.unit_amount_minor, item.currency),
    created_at: item.created_at,
    updated_at: item.updated_at,
  };
}
