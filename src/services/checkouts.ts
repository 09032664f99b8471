/**
 * POST /v1/checkouts/create: payer details → party → counterparty → a published invoice or order
 * with its items and a hosted checkout link, in one transaction.
 */
import type { RelationshipType } from '../domain/enums.js';
import { Problems } from '../domain/errors.js';
import { CHECKOUT_TTL_DEFAULT_MS, CHECKOUT_TTL_MAX_MS } from '../domain/limits.js';
import { minorToJsonNumber } from '../domain/money.js';
import { checkItems, SOURCE_KINDS, sourceTransition, type View } from '../domain/sources.js';
import { findCounterpartyOfParty, insertCounterparty } from '../store/counterparties.js';
import { findPartyByPhone, insertParty, lockPartyPhone } from '../store/parties.js';
import { insertItems } from '../store/sources.js';
import type { Ctx } from './context.js';
import { requireCounterparty } from './counterparties.js';
import { insertNewSource, newHostedToken, readAmount, requireSupportedType } from './sources.js';

export const CHECKOUT_MODES = ['HOSTED', 'DIRECT'] as const;
export type CheckoutMode = (typeof CHECKOUT_MODES)[number];

/** Checkout sources are always payment links whose fees ride on top of the price. */
export const CHECKOUT_FEE_BEARER = 'PAYER';
export const CHECKOUT_RELATIONSHIP_DEFAULT: RelationshipType = 'CUSTOMER';

export interface CheckoutInput {
  mode: CheckoutMode;
  source_kind: string;
  party_phone: string;
  currency: string;
  items: { name: string; currency: string; amount_text: string }[];
  party_name?: string | null | undefined;
  party_email?: string | null | undefined;
  party_relationship?: RelationshipType | null | undefined;
  reference_id?: string | null | undefined;
  note?: string | null | undefined;
  due_date?: string | null | undefined;
  success_url?: string | null | undefined;
  cancel_url?: string | null | undefined;
  expires_at?: string | null | undefined;
  counterparty_id?: number | null | undefined;
}

/** Everything that can be refused without reading the database: item currencies and amounts, the total, the expiry. */
function checkRequest(input: CheckoutInput, noun: string, now: Date) {
  const problems = new Problems();
  const items = input.items.map((item, i) => {
    const name = item.name.trim();
    if (name === '') problems.add(['body', 'items', i, 'name'], 'must not be blank', 'value_error.any_str.blank');
    if (item.currency !== input.currency) {
      problems.add(['body', 'items', i, 'currency'], `item currency must be the checkout currency ${input.currency}`, 'value_error.currency_mismatch');
    }
    const unit = readAmount(problems, ['body', 'items', i, 'amount'], item.amount_text, input.currency);
    return { name, qty: 1, unit_amount_minor: unit ?? 0n };
  });
  const total = checkItems(items, input.currency, noun);
  if (problems.empty && !total.ok) problems.add(['body', 'items'], total.msg, 'value_error.number.not_le');
  const expires_at = input.expires_at ? new Date(input.expires_at) : new Date(now.getTime() + CHECKOUT_TTL_DEFAULT_MS);
  if (expires_at.getTime() <= now.getTime()) {
    problems.add(['body', 'expires_at'], 'expires_at must be in the future', 'value_error.datetime.not_future');
  } else if (expires_at.getTime() > now.getTime() + CHECKOUT_TTL_MAX_MS) {
    problems.add(['body', 'expires_at'], 'expires_at must be at most 30 days ahead', 'value_error.datetime.too_far');
  }
  problems.throwIfAny();
  if (!total.ok) throw new Error('assertion: total refused without a problem');
  return { items, total_minor: total.total_minor, expires_at };
}

export async function createCheckout(ctx: Ctx, merchant_id: number, base_url: string, input: CheckoutInput): Promise<View> {
  const type = requireSupportedType(input.source_kind, ['body', 'source_kind']);
  const kind = SOURCE_KINDS[type];
  const at = ctx.clock.now();
  const { items, total_minor, expires_at } = checkRequest(input, kind.noun, at);
  const published = sourceTransition('IDLE', 'publish');
  if (!published.ok) throw new Error('assertion: a new source cannot be published');

  return ctx.database.transaction(async (tx) => {
    const given = input.counterparty_id == null ? undefined : await requireCounterparty(tx, merchant_id, input.counterparty_id, ['body', 'counterparty_id']);

    await lockPartyPhone(tx, merchant_id, input.party_phone);
    const party =
      (await findPartyByPhone(tx, merchant_id, input.party_phone)) ??
      (await insertParty(tx, {
        merchant_id,
        fullname: input.party_name?.trim() || input.party_phone,
        phone: input.party_phone,
        email: input.party_email ?? null,
        country_code: null,
        created_at: at,
        updated_at: at,
      }));
    const relationship_type = input.party_relationship ?? CHECKOUT_RELATIONSHIP_DEFAULT;
    const counterparty =
      given ??
      (await findCounterpartyOfParty(tx, merchant_id, party.id, relationship_type)) ??
      (await insertCounterparty(tx, { merchant_id, party_id: party.id, relationship_type, created_at: at, updated_at: at }));

    const hosted_token = newHostedToken();
    const source = await insertNewSource(tx, merchant_id, type, at, {
      counterparty_id: counterparty.id,
      currency: input.currency,
      total_amount_minor: total_minor,
      status: published.status,
      note: input.note ?? '',
      fee_bearer: CHECKOUT_FEE_BEARER,
      // Orders have no due date: a due_date sent with source_kind ORDER is ignored.
      due_date: kind.has_due_date && input.due_date ? new Date(input.due_date) : null,
      as_payment_link: true,
      reference_id: input.reference_id ?? null,
      published_at: at,
      hosted_token,
      checkout_mode: input.mode,
      success_url: input.success_url ?? null,
      cancel_url: input.cancel_url ?? null,
      checkout_expires_at: expires_at,
    });
    await insertItems(
      tx,
      items.map((i) => ({ merchant_id, source_id: source.id, name: i.name, currency: input.currency, qty: i.qty, unit_amount_minor: i.unit_amount_minor, created_at: at, updated_at: at })),
    );
    if (source.total_amount_minor !== total_minor) throw new Error('assertion: checkout total not stored as computed');

    const hosted_path = `/checkout/${hosted_token}`;
    return {
      mode: input.mode,
      source_type: type,
      source_id: source.id,
      source_number: source.number,
      source_status: source.status,
      counterparty_id: counterparty.id,
      party_id: party.id,
      currency: source.currency,
      total_amount: minorToJsonNumber(source.total_amount_minor, source.currency),
      source_checkout_config_id: source.id,
      url: `${base_url}${hosted_path}`,
      reference_id: source.reference_id,
      due_date: source.due_date,
      expires_at: source.checkout_expires_at,
      hosted_path_or_token: hosted_path,
      success_url: source.success_url,
      cancel_url: source.cancel_url,
    };
  });
}
