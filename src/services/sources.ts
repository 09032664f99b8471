/**
 * Use cases for invoices and orders — one implementation, parameterised by source type. Every change
 * to a source or its items runs in one transaction with the source row locked (FOR UPDATE), and
 * keeps `total_amount_minor` equal to Σ qty × unit amount of its items, in exact minor units.
 */
import type { FeeBearer, SourceStatus, SourceType } from '../domain/enums.js';
import { invalid, type Loc, notFound, Problems } from '../domain/errors.js';
import { counterpartyWithPartyView } from '../domain/parties.js';
import { buildReceipt } from '../domain/receipts.js';
import { describeAmountProblem, parseAmountMinor } from '../domain/money.js';
import {
  checkItems,
  formatSourceNumber,
  type ItemAmount,
  itemsTotalMinor,
  itemView,
  type Owner,
  SOURCE_KINDS,
  type SourceAction,
  type SourceKind,
  sourceTransition,
  sourceView,
  unsupportedSourceType,
  type View,
} from '../domain/sources.js';
import { registerInvariant } from '../ledger/invariants.js';
import { findCounterpartyWithParty } from '../store/counterparties.js';
import type { Executor, Tx } from '../store/db.js';
import { findMerchant } from '../store/merchants.js';
import { mapPage, type Page, type PageArgs } from '../store/paging.js';
import * as store from '../store/sources.js';
import type { Ctx } from './context.js';
import { requireCounterparty } from './counterparties.js';
import { randomToken } from './crypto.js';

for (const { rule, query } of store.SOURCE_INVARIANTS) registerInvariant(rule, query);

/** Random, URL-safe, unguessable: the key of a source's hosted pay/receipt/checkout pages. */
const HOSTED_TOKEN_BYTES = 24;
export function newHostedToken(): string {
  return randomToken(HOSTED_TOKEN_BYTES);
}

/** A source named by id (path `{id}`) or by its document number (path `…/number/{n}`). */
export type SourceRef = { id: number } | { number: string };

/** The source type a request names (source_type / source_kind), refusing the spec's unsupported SUBSCRIPTION on `loc`. */
export function requireSupportedType(value: string, loc: Loc): SourceType {
  const unsupported = unsupportedSourceType(value);
  if (unsupported) throw invalid(loc, unsupported, 'value_error.not_supported');
  return value as SourceType;
}

/** An amount's exact text read as minor units of `currency`; a problem is added on `loc` and null returned otherwise. */
export function readAmount(problems: Problems, loc: Loc, text: string, currency: string): bigint | null {
  const parsed = parseAmountMinor(text, currency);
  if (parsed.ok) return parsed.amount_minor;
  const { msg, type } = describeAmountProblem(parsed.problem, currency, text);
  problems.add(loc, msg, type);
  return null;
}

export async function ownerOf(ex: Executor, merchant_id: number): Promise<Owner> {
  const merchant = await findMerchant(ex, merchant_id);
  if (!merchant) throw new Error(`assertion: authenticated merchant ${merchant_id} not found`);
  return { owner_id: merchant.id, owner_type: merchant.type };
}

/** Allocate the next number and insert the source: the one way a source comes to exist (create and checkout). */
export async function insertNewSource(
  tx: Tx,
  merchant_id: number,
  type: SourceType,
  at: Date,
  values: Omit<store.SourceInsert, 'merchant_id' | 'source_type' | 'number' | 'created_at' | 'updated_at'>,
): Promise<store.SourceRow> {
  const year = at.getUTCFullYear();
  const sequence = await store.allocateSourceNumber(tx, merchant_id, type, year);
  return store.insertSource(tx, { ...values, merchant_id, source_type: type, number: formatSourceNumber(type, year, sequence), created_at: at, updated_at: at });
}

/** The status `action` leads to, or a 422 on `loc` that says why the source refuses it. */
function requireTransition(kind: SourceKind, source: store.SourceRow, action: SourceAction, loc: Loc): SourceStatus {
  const t = sourceTransition(source.status as SourceStatus, action, kind.noun);
  if (!t.ok) throw invalid(loc, `${kind.noun} ${source.number} is ${source.status}; ${t.reason}`, 'value_error.state');
  return t.status;
}

/** Lock a source of this merchant and type; 404 when there is none. */
async function lockOwned(tx: Tx, merchant_id: number, kind: SourceKind, id: number): Promise<store.SourceRow> {
  const source = await store.lockSource(tx, merchant_id, kind.type, id);
  if (!source) throw notFound();
  return source;
}

/** The stored total must already equal its items before we change either (a broken one is a bug, not a 422). */
function assertTotal(source: store.SourceRow, items: readonly ItemAmount[]): void {
  const sum = itemsTotalMinor(items);
  if (sum !== source.total_amount_minor) {
    throw new Error(`assertion: source ${source.id} total ${source.total_amount_minor} differs from its items ${sum}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Create and edit
// ---------------------------------------------------------------------------------------------

export interface CreateSourceInput {
  counterparty_id: number;
  currency: string;
  note: string;
  fee_bearer: FeeBearer;
  as_payment_link: boolean;
  reference_id?: string | null | undefined;
  due_date?: string | null | undefined; // invoices only
}

export async function createSource(ctx: Ctx, merchant_id: number, type: SourceType, input: CreateSourceInput): Promise<View> {
  const kind = SOURCE_KINDS[type];
  const at = ctx.clock.now();
  return ctx.database.transaction(async (tx) => {
    await requireCounterparty(tx, merchant_id, input.counterparty_id, ['body', 'counterparty_id']);
    const owner = await ownerOf(tx, merchant_id);
    const source = await insertNewSource(tx, merchant_id, type, at, {
      counterparty_id: input.counterparty_id,
      currency: input.currency,
      total_amount_minor: 0n,
      status: 'IDLE',
      note: input.note,
      fee_bearer: input.fee_bearer,
      due_date: kind.has_due_date && input.due_date ? new Date(input.due_date) : null,
      as_payment_link: input.as_payment_link,
      reference_id: input.reference_id ?? null,
    });
    return sourceView(kind, source, owner);
  });
}

export interface UpdateSourceInput {
  reference_id?: string | null | undefined;
  note?: string | undefined;
  fee_bearer?: FeeBearer | undefined;
  due_date?: string | null | undefined; // invoices only
}

/** Change one source in one transaction, with its row locked; answers the source's view. */
async function changeSource(
  ctx: Ctx,
  merchant_id: number,
  type: SourceType,
  id: number,
  change: (tx: Tx, source: store.SourceRow, kind: SourceKind, at: Date) => Promise<store.SourceRow>,
): Promise<View> {
  const kind = SOURCE_KINDS[type];
  const at = ctx.clock.now();
  return ctx.database.transaction(async (tx) => {
    const source = await lockOwned(tx, merchant_id, kind, id);
    const changed = await change(tx, source, kind, at);
    return sourceView(kind, changed, await ownerOf(tx, merchant_id));
  });
}

/** PUT …/update/{id}: IDLE only. Absent fields stay; null clears reference_id / due_date. */
export async function updateSource(ctx: Ctx, merchant_id: number, type: SourceType, id: number, input: UpdateSourceInput): Promise<View> {
  return changeSource(ctx, merchant_id, type, id, async (tx, source, kind, at) => {
    requireTransition(kind, source, 'edit', ['path', 'id']);
    const changes: store.SourceChanges = {};
    if (input.reference_id !== undefined) changes.reference_id = input.reference_id;
    if (input.note !== undefined) changes.note = input.note;
    if (input.fee_bearer !== undefined) changes.fee_bearer = input.fee_bearer;
    if (kind.has_due_date && input.due_date !== undefined) changes.due_date = input.due_date === null ? null : new Date(input.due_date);
    if (Object.keys(changes).length === 0) return source;
    return store.updateSource(tx, source.id, { ...changes, updated_at: at });
  });
}

/** PUT …/publish/{id}: IDLE → ACTIVE, only with at least one item; the hosted token is assigned once. */
export async function publishSource(ctx: Ctx, merchant_id: number, type: SourceType, id: number): Promise<View> {
  return changeSource(ctx, merchant_id, type, id, async (tx, source, kind, at) => {
    const status = requireTransition(kind, source, 'publish', ['path', 'id']);
    const items = await store.listItems(tx, source.id);
    assertTotal(source, items);
    if (items.length === 0) {
      throw invalid(['path', 'id'], `${kind.noun} ${source.number} has no items; add at least one item before publishing`, 'value_error.state');
    }
    return store.updateSource(tx, source.id, { status, published_at: at, hosted_token: source.hosted_token ?? newHostedToken(), updated_at: at });
  });
}

/** DELETE …/cancel/{id}: IDLE or ACTIVE → CANCELED; never while a payment is in flight, never undone. */
export async function cancelSource(ctx: Ctx, merchant_id: number, type: SourceType, id: number): Promise<View> {
  return changeSource(ctx, merchant_id, type, id, async (tx, source, kind, at) => {
    const status = requireTransition(kind, source, 'cancel', ['path', 'id']);
    return store.updateSource(tx, source.id, { status, canceled_at: at, updated_at: at });
  });
}

// ---------------------------------------------------------------------------------------------
// Items (IDLE only)
// ---------------------------------------------------------------------------------------------

export interface AddItemInput {
  name: string;
  currency: string;
  qty: number;
  /** The unit price's exact JSON text (checked against the currency by the schema already). */
  amount_text: string;
}

export interface UpdateItemInput {
  name?: string | undefined;
  qty?: number | undefined;
  amount_text?: string | undefined;
}

/** Write the items' new total on the locked source, refusing a list over the limits (422 at `locs`). */
async function saveTotal(
  tx: Tx,
  kind: SourceKind,
  source: store.SourceRow,
  itemsAfter: readonly ItemAmount[],
  at: Date,
  locs: { too_many_items: Loc; total_too_large: Loc },
): Promise<void> {
  const check = checkItems(itemsAfter, source.currency, kind.noun);
  if (!check.ok) throw invalid(locs[check.problem], check.msg, check.problem === 'too_many_items' ? 'value_error.list.max_items' : 'value_error.number.not_le');
  await store.updateSource(tx, source.id, { total_amount_minor: check.total_minor, updated_at: at });
}

export async function addItem(ctx: Ctx, merchant_id: number, type: SourceType, source_id: number, input: AddItemInput): Promise<View> {
  const kind = SOURCE_KINDS[type];
  const name = input.name.trim();
  const at = ctx.clock.now();
  return ctx.database.transaction(async (tx) => {
    const source = await lockOwned(tx, merchant_id, kind, source_id);
    requireTransition(kind, source, 'edit', ['path', kind.id_field]);
    const problems = new Problems();
    if (name === '') problems.add(['body', 'name'], 'must not be blank', 'value_error.any_str.blank');
    if (input.currency !== source.currency) {
      problems.add(['body', 'currency'], `item currency must be the ${kind.noun}'s currency ${source.currency}`, 'value_error.currency_mismatch');
    }
    const unit_amount_minor = readAmount(problems, ['body', 'amount'], input.amount_text, source.currency);
    problems.throwIfAny();
    const items = await store.listItems(tx, source.id);
    assertTotal(source, items);
    const added = { qty: input.qty, unit_amount_minor: unit_amount_minor! };
    await saveTotal(tx, kind, source, [...items, added], at, { too_many_items: ['path', kind.id_field], total_too_large: ['body', 'amount'] });
    const [item] = await store.insertItems(tx, [
      { merchant_id, source_id: source.id, name, currency: source.currency, ...added, created_at: at, updated_at: at },
    ]);
    return itemView(kind, item!);
  });
}

/** PUT …/items/{id}/update: name, qty and amount each optional; the amount is read in the source's currency. */
export async function updateItem(
  ctx: Ctx,
  merchant_id: number,
  type: SourceType,
  source_id: number,
  item_id: number,
  input: UpdateItemInput,
): Promise<View> {
  const kind = SOURCE_KINDS[type];
  const at = ctx.clock.now();
  return ctx.database.transaction(async (tx) => {
    const source = await lockOwned(tx, merchant_id, kind, source_id);
    const items = await store.listItems(tx, source.id);
    const item = items.find((i) => i.id === item_id);
    if (!item) throw notFound();
    requireTransition(kind, source, 'edit', ['path', kind.id_field]);
    assertTotal(source, items);
    const problems = new Problems();
    const changes: Parameters<typeof store.updateItem>[2] = {};
    if (input.name !== undefined) {
      changes.name = input.name.trim();
      if (changes.name === '') problems.add(['body', 'name'], 'must not be blank', 'value_error.any_str.blank');
    }
    if (input.qty !== undefined) changes.qty = input.qty;
    if (input.amount_text !== undefined) {
      const unit = readAmount(problems, ['body', 'amount'], input.amount_text, source.currency);
      if (unit !== null) changes.unit_amount_minor = unit;
    }
    problems.throwIfAny();
    if (Object.keys(changes).length === 0) return itemView(kind, item);
    const after = { qty: changes.qty ?? item.qty, unit_amount_minor: changes.unit_amount_minor ?? item.unit_amount_minor };
    const itemsAfter = items.map((i) => (i.id === item_id ? after : i));
    const totalLoc: Loc = input.amount_text !== undefined ? ['body', 'amount'] : ['body', 'qty'];
    await saveTotal(tx, kind, source, itemsAfter, at, { too_many_items: ['path', kind.id_field], total_too_large: totalLoc });
    return itemView(kind, await store.updateItem(tx, item.id, { ...changes, updated_at: at }));
  });
}

export async function removeItem(ctx: Ctx, merchant_id: number, type: SourceType, source_id: number, item_id: number): Promise<void> {
  const kind = SOURCE_KINDS[type];
  const at = ctx.clock.now();
  await ctx.database.transaction(async (tx) => {
    const source = await lockOwned(tx, merchant_id, kind, source_id);
    const items = await store.listItems(tx, source.id);
    if (!items.some((i) => i.id === item_id)) throw notFound();
    requireTransition(kind, source, 'edit', ['path', kind.id_field]);
    assertTotal(source, items);
    await saveTotal(tx, kind, source, items.filter((i) => i.id !== item_id), at, { too_many_items: ['path', kind.id_field], total_too_large: ['path', 'id'] });
    await store.deleteItem(tx, item_id);
  });
}

// ---------------------------------------------------------------------------------------------
// Reads (one snapshot each)
// ---------------------------------------------------------------------------------------------

async function findByRef(ex: Executor, merchant_id: number, type: SourceType, ref: SourceRef): Promise<store.SourceRow | undefined> {
  return 'id' in ref ? store.findSource(ex, merchant_id, type, ref.id) : store.findSourceByNumber(ex, merchant_id, type, ref.number);
}

function snapshot<T>(ctx: Ctx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return ctx.database.transaction(fn, { isolation: 'repeatable read' });
}

export async function listSources(
  ctx: Ctx,
  merchant_id: number,
  type: SourceType,
  filter: { currency?: string | undefined; status?: SourceStatus | undefined },
  page: PageArgs,
): Promise<Page<View>> {
  const kind = SOURCE_KINDS[type];
  return snapshot(ctx, async (tx) => {
    const owner = await ownerOf(tx, merchant_id);
    return mapPage(await store.listSources(tx, merchant_id, type, filter, page), (row) => sourceView(kind, row, owner));
  });
}

/** The detail view: the source, its items (`invoice_items` / `order_items`) and its counterparty with its party. */
export async function getSource(ctx: Ctx, merchant_id: number, type: SourceType, ref: SourceRef): Promise<View> {
  const kind = SOURCE_KINDS[type];
  return snapshot(ctx, async (tx) => {
    const source = await findByRef(tx, merchant_id, type, ref);
    if (!source) throw notFound();
    const items = await store.listItems(tx, source.id);
    assertTotal(source, items);
    const cp = source.counterparty_id === null ? undefined : await findCounterpartyWithParty(tx, merchant_id, source.counterparty_id);
    return {
      ...sourceView(kind, source, await ownerOf(tx, merchant_id)),
      [kind.items_field]: items.map((i) => itemView(kind, i)),
      counterparty: cp ? counterpartyWithPartyView(cp.counterparty, cp.party) : null,
    };
  });
}

/** The receipt of a PAID source; any other status answers 422 on the path parameter `loc`. */
export async function getReceipt(ctx: Ctx, merchant_id: number, type: SourceType, ref: SourceRef, loc: Loc): Promise<View> {
  const kind = SOURCE_KINDS[type];
  return snapshot(ctx, async (tx) => {
    const source = await findByRef(tx, merchant_id, type, ref);
    if (!source) throw notFound();
    if (source.status !== 'PAID') {
      throw invalid(loc, `${kind.noun} ${source.number} is ${source.status}; its receipt exists once it is PAID`, 'value_error.state');
    }
    if (source.paid_execution_id === null) throw new Error(`assertion: PAID source ${source.id} has no paying execution`);
    const paying = await store.findPayingExecution(tx, merchant_id, source.paid_execution_id);
    if (!paying) throw new Error(`assertion: paying execution ${source.paid_execution_id} of source ${source.id} not found`);
    const cp = source.counterparty_id === null ? undefined : await findCounterpartyWithParty(tx, merchant_id, source.counterparty_id);
    return buildReceipt(kind, {
      source,
      owner: await ownerOf(tx, merchant_id),
      counterparty: cp?.counterparty ?? null,
      party: cp?.party ?? null,
      execution: paying.execution,
      account_name: paying.account_name,
      items: await store.listItems(tx, source.id),
    });
  });
}

/** GET /v1/status/source: the document's status, total and paid_at (404 for another merchant's). */
export async function sourceStatus(ctx: Ctx, merchant_id: number, type: SourceType, id: number) {
  const source = await store.findSource(ctx.database.db, merchant_id, type, id);
  if (!source) throw notFound();
  return source;
}
