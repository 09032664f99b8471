/**
 * /v1/invoices and /v1/orders: one plugin built per source kind. The two differ only in names
 * (invoice_number / order_number, invoice_id / order_id, invoice_items / order_items) and in the
 * invoice's due_date; everything else is the same use case underneath (src/services/sources.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FEE_BEARERS, type FeeBearer, OWNER_TYPES, SOURCE_STATUSES, type SourceStatus, type SourceType } from '../domain/enums.js';
import { notFound } from '../domain/errors.js';
import { ITEM_NAME_LENGTH_MAX, ITEM_QTY_MAX, NOTE_LENGTH_MAX, REFERENCE_LENGTH_MAX, SOURCE_NUMBER_LENGTH_MAX } from '../domain/limits.js';
import { SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import type { Services } from '../services/index.js';
import * as sources from '../services/sources.js';
import { CounterPartyWithPartyResponse } from './counterparties.js';
import { numberText } from './exact.js';
import { pageArgs, sendPage } from './paging.js';
import {
  Amount,
  AmountOut,
  Currency,
  DateTime,
  DateTimeOut,
  IdInt,
  IdString,
  Nullable,
  NullableDateTimeOut,
  PageQuery,
  StringEnum,
  type TSchema,
  Type,
  withMoney,
} from './schemas.js';

const title = (kind: SourceKind, suffix: string) => `${kind.noun[0]!.toUpperCase()}${kind.noun.slice(1)}${suffix}`;

/** The exact text of a body amount (never the float). */
function amountText(body: object, key: string, value: number): string {
  return numberText(body, key) ?? String(value);
}

export const ItemName = () => Type.String({ minLength: 1, maxLength: ITEM_NAME_LENGTH_MAX });

const SourceNumber = (kind: SourceKind) =>
  Type.String({ minLength: 1, maxLength: SOURCE_NUMBER_LENGTH_MAX, example: `${kind.prefix}-2026-00042` });

function schemasFor(kind: SourceKind) {
  // Invoices carry a due date; orders have none (and refuse one as an unknown field).
  const dueDateIn: Record<string, TSchema> = kind.has_due_date ? { due_date: Type.Optional(Nullable(DateTime())) } : {};
  const dueDateOut: Record<string, TSchema> = kind.has_due_date ? { due_date: NullableDateTimeOut() } : {};

  const Response: TSchema = Type.Object(
    {
      id: Type.Integer(),
      [kind.number_field]: Type.String({ example: `${kind.prefix}-2026-00042` }),
      counterparty_id: Nullable(Type.Integer()),
      currency: Type.String(),
      total_amount: AmountOut({ description: 'Σ qty × amount of the items' }),
      status: StringEnum(SOURCE_STATUSES),
      note: Type.String(),
      fee_bearer: StringEnum(FEE_BEARERS),
      ...dueDateOut,
      as_payment_link: Type.Boolean(),
      owner_id: Type.Integer(),
      owner_type: StringEnum(OWNER_TYPES),
      created_at: DateTimeOut(),
      updated_at: DateTimeOut(),
      reference_id: Nullable(Type.String()),
      paid_at: NullableDateTimeOut(),
    },
    { title: title(kind, 'Response') },
  );

  const ItemResponse: TSchema = Type.Object(
    {
      id: Type.Integer(),
      [kind.id_field]: Type.Integer(),
      name: Type.String(),
      currency: Type.String(),
      qty: Type.Integer(),
      amount: AmountOut({ description: 'Unit price' }),
      created_at: DateTimeOut(),
      updated_at: DateTimeOut(),
    },
    { title: title(kind, 'ItemResponse') },
  );

  const DetailResponse: TSchema = Type.Object(
    {
      ...(Response as unknown as { properties: Record<string, TSchema> }).properties,
      [kind.items_field]: Type.Array(ItemResponse),
      counterparty: Nullable(CounterPartyWithPartyResponse),
    },
    { title: title(kind, 'DetailResponse') },
  );

  const ReceiptResponse: TSchema = Type.Object(
    {
      [kind.id_field]: Type.Integer(),
      [kind.number_field]: Type.String(),
      currency: Type.String(),
      total_amount: AmountOut(),
      status: StringEnum(SOURCE_STATUSES),
      note: Type.String(),
      ...dueDateOut,
      as_payment_link: Type.Boolean(),
      fee_bearer: StringEnum(FEE_BEARERS),
      owner_id: Type.Integer(),
      owner_type: StringEnum(OWNER_TYPES),
      created_at: DateTimeOut(),
      reference_id: Nullable(Type.String()),
      paid_at: NullableDateTimeOut(),
      counterparty_id: Nullable(Type.Integer()),
      relationship_type: Nullable(Type.String()),
      counterparty_name: Nullable(Type.String()),
      counterparty_phone: Nullable(Type.String()),
      counterparty_email: Nullable(Type.String()),
      payer_amount: AmountOut(),
      payer_currency: Type.String(),
      payee_amount: AmountOut(),
      payee_currency: Type.String(),
      platform_fee: AmountOut(),
      platform_currency: Type.String(),
      gateway_fee: Nullable(AmountOut()),
      gateway_currency: Nullable(Type.String()),
      fx_fee: Nullable(AmountOut()),
      fx_rate: Nullable(Type.String({ description: 'Exact decimal: payer-currency units per source-currency unit' })),
      fx_currency_from: Nullable(Type.String()),
      fx_currency_to: Nullable(Type.String()),
      payment_provider: Nullable(Type.String()),
      payment_method: Nullable(Type.String()),
      account_name: Nullable(Type.String()),
      gateway_confirmed_at: NullableDateTimeOut(),
      provider_transaction_id: Nullable(Type.String()),
      items: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), qty: Type.Integer(), amount: AmountOut(), currency: Type.String() })),
    },
    { title: title(kind, 'ReceiptResponse') },
  );

  const CreateRequest: TSchema = Type.Object(
    {
      counterparty_id: IdInt(),
      currency: Currency(),
      note: Type.String({ maxLength: NOTE_LENGTH_MAX }),
      fee_bearer: StringEnum(FEE_BEARERS),
      as_payment_link: Type.Boolean(),
      reference_id: Type.Optional(Nullable(Type.String({ maxLength: REFERENCE_LENGTH_MAX }))),
      ...dueDateIn,
    },
    { additionalProperties: false, title: title(kind, 'CreateRequest') },
  );

  const UpdateRequest: TSchema = Type.Object(
    {
      reference_id: Type.Optional(Nullable(Type.String({ maxLength: REFERENCE_LENGTH_MAX }))),
      note: Type.Optional(Type.String({ maxLength: NOTE_LENGTH_MAX })),
      fee_bearer: Type.Optional(StringEnum(FEE_BEARERS)),
      ...dueDateIn,
    },
    { additionalProperties: false, title: title(kind, 'UpdateRequest') },
  );

  const Qty = () => Type.Integer({ minimum: 1, maximum: ITEM_QTY_MAX });

  const AddItemRequest: TSchema = withMoney(
    Type.Object(
      { name: ItemName(), currency: Currency({ description: `Must be the ${kind.noun}'s currency` }), qty: Qty(), amount: Amount({ description: 'Unit price' }) },
      { additionalProperties: false, title: title(kind, 'ItemAddRequest') },
    ),
    [{ amount: 'amount', currency: 'currency' }],
  );

  const UpdateItemRequest: TSchema = Type.Object(
    {
      name: Type.Optional(ItemName()),
      qty: Type.Optional(Qty()),
      amount: Type.Optional(Amount({ description: `Unit price, in the ${kind.noun}'s currency` })),
    },
    { additionalProperties: false, title: title(kind, 'ItemUpdateRequest') },
  );

  return { Response, ItemResponse, DetailResponse, ReceiptResponse, CreateRequest, UpdateRequest, AddItemRequest, UpdateItemRequest };
}

type CreateBody = sources.CreateSourceInput;
type UpdateBody = { reference_id?: string | null; note?: string; fee_bearer?: FeeBearer; due_date?: string | null };
type AddItemBody = { name: string; currency: string; qty: number; amount: number };
type UpdateItemBody = { name?: string; qty?: number; amount?: number };

/** The receipt path `{id}` is a string in the spec ("Object ID"); digits only, and a number we can hold. */
function receiptId(text: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id)) throw notFound();
  return id;
}

function sourceRoutes(type: SourceType): FastifyPluginAsyncTypebox<{ services: Services }> {
  const kind = SOURCE_KINDS[type];
  const base = `/${kind.noun}s`;
  const noun = kind.noun;
  const s = schemasFor(kind);
  const tags = [`${noun}s`];
  const IdParams = Type.Object({ id: IdInt() });
  const SourceIdParams: TSchema = Type.Object({ [kind.id_field]: IdInt() });
  const ItemParams: TSchema = Type.Object({ [kind.id_field]: IdInt(), id: IdInt() });
  const NumberParams: TSchema = Type.Object({ [kind.number_field]: SourceNumber(kind) });
  const numberOf = (params: unknown) => (params as Record<string, string>)[kind.number_field]!;
  const sourceIdOf = (params: unknown) => (params as Record<string, number>)[kind.id_field]!;
  const Noun = title(kind, '');

  return async (app, { services }) => {
    const ctx = services.ctx;

    app.post(
      `${base}/create`,
      {
        schema: {
          tags,
          summary: `Create ${Noun}`,
          operationId: `create_${noun}`,
          description: `Creates an IDLE (draft) ${noun} with total 0 and the next number of the year (${kind.prefix}-YYYY-NNNNN).`,
          body: s.CreateRequest,
          response: { 200: s.Response },
        },
      },
      async (request) => sources.createSource(ctx, request.auth.merchant_id, type, request.body as CreateBody),
    );

    app.post(
      `${base}/:${kind.id_field}/items/add`,
      {
        schema: {
          tags,
          summary: `Add ${Noun} Item`,
          operationId: `add_${noun}_item`,
          description: `IDLE ${noun}s only. \`amount\` is the unit price; the ${noun} total grows by qty × amount.`,
          params: SourceIdParams,
          body: s.AddItemRequest,
          response: { 200: s.ItemResponse },
        },
      },
      async (request) => {
        const body = request.body as AddItemBody;
        return sources.addItem(ctx, request.auth.merchant_id, type, sourceIdOf(request.params), {
          name: body.name,
          currency: body.currency,
          qty: body.qty,
          amount_text: amountText(body, 'amount', body.amount),
        });
      },
    );

    app.put(
      `${base}/:${kind.id_field}/items/:id/update`,
      {
        schema: {
          tags,
          summary: `Update ${Noun} Item`,
          operationId: `update_${noun}_item`,
          params: ItemParams,
          body: s.UpdateItemRequest,
          response: { 200: s.ItemResponse },
        },
      },
      async (request) => {
        const body = (request.body ?? {}) as UpdateItemBody;
        const params = request.params as { id: number };
        return sources.updateItem(ctx, request.auth.merchant_id, type, sourceIdOf(request.params), params.id, {
          name: body.name,
          qty: body.qty,
          amount_text: body.amount === undefined ? undefined : amountText(body, 'amount', body.amount),
        });
      },
    );

    app.delete(
      `${base}/:${kind.id_field}/items/:id/remove`,
      {
        schema: {
          tags,
          summary: `Remove ${Noun} Item`,
          operationId: `remove_${noun}_item`,
          params: ItemParams,
          response: { 200: Type.Object({}, { title: 'EmptyResponse' }) },
        },
      },
      async (request) => {
        await sources.removeItem(ctx, request.auth.merchant_id, type, sourceIdOf(request.params), (request.params as { id: number }).id);
        return {};
      },
    );

    app.put(
      `${base}/update/:id`,
      {
        schema: {
          tags,
          summary: `Update ${Noun}`,
          operationId: `update_${noun}`,
          description: `IDLE ${noun}s only. Absent fields stay as they are.`,
          params: IdParams,
          body: s.UpdateRequest,
          response: { 200: s.Response },
        },
      },
      async (request) => sources.updateSource(ctx, request.auth.merchant_id, type, request.params.id, (request.body ?? {}) as UpdateBody),
    );

    app.put(
      `${base}/publish/:id`,
      {
        schema: {
          tags,
          summary: `Publish ${Noun}`,
          operationId: `publish_${noun}`,
          description: `IDLE → ACTIVE; the ${noun} needs at least one item. No body.`,
          params: IdParams,
          response: { 200: s.Response },
        },
      },
      async (request) => sources.publishSource(ctx, request.auth.merchant_id, type, request.params.id),
    );

    app.delete(
      `${base}/cancel/:id`,
      {
        schema: {
          tags,
          summary: `Cancel ${Noun}`,
          operationId: `cancel_${noun}`,
          description: 'IDLE or ACTIVE → CANCELED, for good. Refused while a payment is in flight (PROCESSING) and once PAID.',
          params: IdParams,
          response: { 200: s.Response },
        },
      },
      async (request) => sources.cancelSource(ctx, request.auth.merchant_id, type, request.params.id),
    );

    app.get(
      `${base}/list`,
      {
        schema: {
          tags,
          summary: `List ${Noun}s`,
          operationId: `list_${noun}s`,
          description: 'Ordered by id.',
          querystring: Type.Object(
            { currency: Type.Optional(Currency()), status: Type.Optional(StringEnum(SOURCE_STATUSES)), ...PageQuery },
            { additionalProperties: false },
          ),
          response: { 200: Type.Array(s.Response) },
        },
      },
      async (request, reply) => {
        const { currency, status, ...page } = request.query;
        const filter = { currency, status: status as SourceStatus | undefined };
        return sendPage(reply, await sources.listSources(ctx, request.auth.merchant_id, type, filter, pageArgs(page)));
      },
    );

    app.get(
      `${base}/retrieve/:id`,
      {
        schema: { tags, summary: `Retrieve ${Noun}`, operationId: `retrieve_${noun}`, params: IdParams, response: { 200: s.DetailResponse } },
      },
      async (request) => sources.getSource(ctx, request.auth.merchant_id, type, { id: request.params.id }),
    );

    app.get(
      `${base}/retrieve/number/:${kind.number_field}`,
      {
        schema: {
          tags,
          summary: `Retrieve ${Noun} By Number`,
          operationId: `retrieve_${noun}_by_number`,
          params: NumberParams,
          response: { 200: s.DetailResponse },
        },
      },
      async (request) => sources.getSource(ctx, request.auth.merchant_id, type, { number: numberOf(request.params) }),
    );

    app.get(
      `${base}/receipt/:id`,
      {
        schema: {
          tags,
          summary: `Retrieve ${Noun} Receipt By Id`,
          operationId: `retrieve_${noun}_receipt_by_id`,
          description: `Once the ${noun} is PAID; 422 before.`,
          params: Type.Object({ id: IdString({ description: 'Object ID' }) }),
          response: { 200: s.ReceiptResponse },
        },
      },
      async (request) => sources.getReceipt(ctx, request.auth.merchant_id, type, { id: receiptId(request.params.id) }, ['path', 'id']),
    );

    app.get(
      `${base}/receipt/number/:${kind.number_field}`,
      {
        schema: {
          tags,
          summary: `Retrieve ${Noun} Receipt By Number`,
          operationId: `retrieve_${noun}_receipt_by_number`,
          description: `Once the ${noun} is PAID; 422 before.`,
          params: NumberParams,
          response: { 200: s.ReceiptResponse },
        },
      },
      async (request) =>
        sources.getReceipt(ctx, request.auth.merchant_id, type, { number: numberOf(request.params) }, ['path', kind.number_field]),
    );
  };
}

export const invoiceRoutes = sourceRoutes('INVOICE');
export const orderRoutes = sourceRoutes('ORDER');
