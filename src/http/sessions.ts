import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SOURCE_TYPES_IN_SPEC } from '../domain/enums.js';
import { minorToJsonNumber } from '../domain/money.js';
import type { Services } from '../services/index.js';
import { createCheckoutSession, createPayoutSession, createRefundSession, createTransferSession, sessionStatus } from '../services/sessions.js';
import type { SessionRow } from '../store/sessions.js';
import { amountText, exactAmount } from './money.js';
import { Amount, AmountOut, Currency, DateTime, DateTimeOut, IdInt, Nullable, StringEnum, Type, withMoney } from './schemas.js';

const common = {
  status: Type.String({ description: 'ACTIVE, USED or EXPIRED' }),
  expires_at: DateTimeOut(),
  created_at: DateTimeOut(),
  updated_at: DateTimeOut(),
};

const CheckoutSessionResponse = Type.Object(
  { id: Type.Integer(), source_id: Type.Integer(), source_type: Type.String(), payment_account_id: Nullable(Type.Integer()), ...common },
  { title: 'CheckoutSessionResponse' },
);
const PayoutSessionResponse = Type.Object(
  { id: Type.Integer(), wallet_id: Type.Integer(), payout_account_id: Type.Integer(), amount: AmountOut(), currency: Type.String(), ...common },
  { title: 'PayoutSessionResponse' },
);
const TransferSessionResponse = Type.Object(
  { id: Type.Integer(), from_wallet_id: Type.Integer(), to_counterparty_id: Type.Integer(), amount: AmountOut(), currency: Type.String(), ...common },
  { title: 'TransferSessionResponse' },
);
const RefundSessionResponse = Type.Object(
  {
    id: Type.Integer(),
    original_payment_intent_id: Type.Integer(),
    amount: AmountOut(),
    currency: Type.String(),
    reason: Nullable(Type.String()),
    ...common,
  },
  { title: 'RefundSessionResponse' },
);

function base(row: SessionRow, now: Date) {
  return { status: sessionStatus(row, now), expires_at: row.expires_at, created_at: row.created_at, updated_at: row.updated_at };
}

/** POST /v1/sessions/checkout|payout|transfer|refund */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { ctx } = services;

  app.post(
    '/sessions/checkout',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Create Checkout Session',
        operationId: 'create_checkout_session',
        body: Type.Object({ source_id: IdInt(), source_type: StringEnum(SOURCE_TYPES_IN_SPEC) }, { additionalProperties: false, title: 'CheckoutSessionPayload' }),
        response: { 200: CheckoutSessionResponse },
      },
    },
    async (request) => {
      const row = await createCheckoutSession(ctx, request.auth, request.body);
      return { id: row.id, source_id: row.source_id!, source_type: row.source_type!, payment_account_id: row.payment_account_id, ...base(row, ctx.clock.now()) };
    },
  );

  app.post(
    '/sessions/payout',
    {
      config: { verified: true },
      schema: {
        tags: ['sessions'],
        summary: 'Create Payout Session',
        operationId: 'create_payout_session',
        body: withMoney(
          Type.Object({ payout_account_id: IdInt(), amount: Amount(), currency: Currency({ minLength: 3, maxLength: 3 }) }, { additionalProperties: false, title: 'PayoutSessionPayload' }),
          [{ amount: 'amount', currency: 'currency' }],
        ),
        response: { 200: PayoutSessionResponse },
      },
    },
    async (request) => {
      const { body } = request;
      const row = await createPayoutSession(ctx, request.auth, {
        payout_account_id: body.payout_account_id,
        amount_minor: exactAmount(body, 'amount', body.currency),
        currency: body.currency,
      });
      return {
        id: row.id,
        wallet_id: row.wallet_id!,
        payout_account_id: row.payout_account_id!,
        amount: minorToJsonNumber(row.amount_minor!, row.currency!),
        currency: row.currency!,
        ...base(row, ctx.clock.now()),
      };
    },
  );

  app.post(
    '/sessions/transfer',
    {
      config: { verified: true },
      schema: {
        tags: ['sessions'],
        summary: 'Create Transfer Session',
        operationId: 'create_transfer_session',
        body: withMoney(
          Type.Object(
            { from_wallet_id: IdInt(), to_counterparty_id: IdInt(), amount: Amount(), currency: Currency({ minLength: 3, maxLength: 3 }), expires_at: DateTime() },
            { additionalProperties: false, title: 'TransferSessionPayload' },
          ),
          [{ amount: 'amount', currency: 'currency' }],
        ),
        response: { 200: TransferSessionResponse },
      },
    },
    async (request) => {
      const { body } = request;
      const row = await createTransferSession(ctx, request.auth, {
        from_wallet_id: body.from_wallet_id,
        to_counterparty_id: body.to_counterparty_id,
        amount_minor: exactAmount(body, 'amount', body.currency),
        currency: body.currency,
        expires_at: body.expires_at,
      });
      return {
        id: row.id,
        from_wallet_id: row.wallet_id!,
        to_counterparty_id: row.to_counterparty_id!,
        amount: minorToJsonNumber(row.amount_minor!, row.currency!),
        currency: row.currency!,
        ...base(row, ctx.clock.now()),
      };
    },
  );

  app.post(
    '/sessions/refund',
    {
      config: { verified: true },
      schema: {
        tags: ['sessions'],
        summary: 'Create Refund Session',
        operationId: 'create_refund_session',
        body: Type.Object(
          {
            original_payment_intent_id: IdInt(),
            amount: Amount({ description: 'Partial or full; in the original payment’s (invoice) currency; at most what is left to refund' }),
            reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
            expires_at: DateTime(),
          },
          { additionalProperties: false, title: 'RefundSessionPayload' },
        ),
        response: { 200: RefundSessionResponse },
      },
    },
    async (request) => {
      const { body } = request;
      const row = await createRefundSession(ctx, request.auth, {
        original_payment_intent_id: body.original_payment_intent_id,
        amount_text: amountText(body, 'amount'),
        reason: body.reason ?? null,
        expires_at: body.expires_at,
      });
      return {
        id: row.id,
        original_payment_intent_id: row.original_execution_id!,
        amount: minorToJsonNumber(row.amount_minor!, row.currency!),
        currency: row.currency!,
        reason: row.reason,
        ...base(row, ctx.clock.now()),
      };
    },
  );
};
