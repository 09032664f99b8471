import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { executeCollection, executePayout, executeRefund, executeTransfer, toExecutionResponse } from '../services/executions.js';
import type { Services } from '../services/index.js';
import type { ExecutionStatusRow } from '../store/executions.js';
import { AmountOut, Currency, IdString, Nullable, Phone, Type, UuidV4 } from './schemas.js';

export const ExecutionResponse = Type.Object(
  {
    reference_id: Type.String(),
    status: Type.String({ description: 'PENDING → PROCESSING → COMPLETED | FAILED' }),
    payer_amount: AmountOut(),
    payer_currency: Type.String(),
    payee_amount: AmountOut(),
    payee_currency: Type.String(),
    operation_type: Type.String(),
    provider_transaction_id: Nullable(Type.String()),
    gateway_message: Nullable(Type.String()),
    wallet_message: Nullable(Type.String()),
    client_secret: Nullable(Type.String()),
    requires_action: Type.Boolean(),
  },
  { title: 'ExecutionResponse' },
);

/**
 * Beyond the 12 documented fields, the execution's id (what a refund session calls
 * `original_payment_intent_id`) travels in a header, so the JSON contract stays exactly Dollr's.
 */
export const PAYMENT_INTENT_HEADER = 'x-payment-intent-id';

export function sendExecution(reply: FastifyReply, row: ExecutionStatusRow) {
  reply.header(PAYMENT_INTENT_HEADER, String(row.id));
  return toExecutionResponse(row);
}

const Passcode = Type.Object(
  {
    token: Type.Object(
      {
        code: Type.String({ minLength: 1, maxLength: 64 }),
        phone: Type.Optional(Phone()),
        user_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()])),
      },
      { additionalProperties: false },
    ),
    device: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200 }),
        type: Type.String({ minLength: 1, maxLength: 50, examples: ['SERVER', 'MOBILE'] }),
        platform: Type.String({ minLength: 1, maxLength: 50, examples: ['NODE', 'IOS'] }),
        user_agent: Type.String({ minLength: 1, maxLength: 500 }),
        client_ip: Type.String({ minLength: 1, maxLength: 64 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, title: 'PayoutPasscode' },
);

/** POST /v1/executions/collection|payout|transfer|refund */
export const executionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/executions/collection',
    {
      schema: {
        tags: ['executions'],
        summary: 'Collect',
        operationId: 'collect',
        body: Type.Object(
          { session_id: IdString(), payment_account_id: IdString(), currency: Currency({ minLength: 3, maxLength: 3, description: 'The payer’s currency' }), reference_id: UuidV4() },
          { additionalProperties: false, title: 'CheckoutExecutionPayload' },
        ),
        response: { 200: ExecutionResponse },
      },
    },
    async (request, reply) => sendExecution(reply, await executeCollection(services, request.auth, request.body)),
  );

  app.post(
    '/executions/payout',
    {
      config: { verified: true },
      schema: {
        tags: ['executions'],
        summary: 'Payout',
        operationId: 'payout',
        body: Type.Object(
          { session_id: IdString(), payout_account_id: IdString(), reference_id: UuidV4(), passcode: Passcode },
          { additionalProperties: false, title: 'PayoutExecutionPayload' },
        ),
        response: { 200: ExecutionResponse },
      },
    },
    async (request, reply) => sendExecution(reply, await executePayout(services, request.auth, request.body)),
  );

  for (const [path, name, run] of [
    ['/executions/transfer', 'transfer', executeTransfer],
    ['/executions/refund', 'refund', executeRefund],
  ] as const) {
    app.post(
      path,
      {
        config: { verified: true },
        schema: {
          tags: ['executions'],
          summary: name === 'transfer' ? 'Transfer' : 'Refund',
          operationId: name,
          body: Type.Object({ session_id: IdString(), reference_id: UuidV4() }, { additionalProperties: false, title: name === 'transfer' ? 'TransferExecutionPayload' : 'RefundExecutionPayload' }),
          response: { 200: ExecutionResponse },
        },
      },
      async (request, reply) => sendExecution(reply, await run(services, request.auth, request.body)),
    );
  }
};
