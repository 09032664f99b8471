import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { type ExecutionStatus, type OperationType, SOURCE_TYPES_IN_SPEC } from '../domain/enums.js';
import { isFinal } from '../domain/executions.js';
import { invalid, notFound } from '../domain/errors.js';
import { minorToJsonNumber } from '../domain/money.js';
import { toExecutionResponse } from '../services/execution-view.js';
import { executionStatus } from '../services/executions.js';
import type { Services } from '../services/index.js';
import { sourceStatus } from '../services/sources.js';
import type { ExecutionStatusRow } from '../store/executions.js';
import { ExecutionResponse, PAYMENT_INTENT_HEADER, sendExecution } from './executions.js';
import { AmountOut, IdInt, NullableDateTimeOut, StringEnum, Type, UuidV4 } from './schemas.js';

const PaymentSourceStatusResponse = Type.Object(
  {
    source_id: Type.Integer(),
    source_type: Type.String(),
    source_number: Type.String(),
    status: Type.String(),
    currency: Type.String(),
    total_amount: AmountOut(),
    paid_at: NullableDateTimeOut(),
  },
  { title: 'PaymentSourceStatusResponse' },
);

const OPS: readonly [string, OperationType][] = [
  ['collection', 'COLLECTION'],
  ['payout', 'PAYOUT'],
  ['transfer', 'TRANSFER'],
  ['refund', 'REFUND'],
];

/** GET /v1/status/{collection|payout|transfer|refund}/{reference_id} and /v1/status/source */
export const statusRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  /** Serialized answers of final executions, by the row object remembered for them (gone with it). */
  const finalBodies = new WeakMap<ExecutionStatusRow, string>();
  for (const [segment, op] of OPS) {
    app.get(
      `/status/${segment}/:reference_id`,
      {
        schema: {
          tags: ['status'],
          summary: `Get ${segment[0]!.toUpperCase()}${segment.slice(1)} Status`,
          operationId: `get_${segment}_status`,
          params: Type.Object({ reference_id: UuidV4() }),
          response: { 200: ExecutionResponse },
        },
      },
      async (request, reply) => {
        const row = await executionStatus(services, request.auth, op, request.params.reference_id);
        if (!row) throw notFound();
        if (!isFinal(row.status as ExecutionStatus)) return sendExecution(reply, row);
        // A final answer never changes (services/final-executions.ts) and polls repeat it: the
        // body this route's own serializer made for the remembered row is sent again as it is.
        reply.header(PAYMENT_INTENT_HEADER, String(row.id));
        let body = finalBodies.get(row);
        if (body === undefined) {
          const made = reply.serialize(toExecutionResponse(row));
          if (typeof made !== 'string') throw new Error('assertion: the response serializer made no text');
          finalBodies.set(row, (body = made));
        }
        // A string with a JSON content type goes out as it is (no second serialization).
        return (reply as unknown as FastifyReply).type('application/json; charset=utf-8').send(body);
      },
    );
  }

  app.get(
    '/status/source',
    {
      schema: {
        tags: ['status'],
        summary: 'Get Payment Source Status',
        operationId: 'get_payment_source_status',
        querystring: Type.Object({ source_type: StringEnum(SOURCE_TYPES_IN_SPEC), source_id: IdInt() }, { additionalProperties: false }),
        response: { 200: PaymentSourceStatusResponse },
      },
    },
    async (request) => {
      const { source_type, source_id } = request.query;
      if (source_type === 'SUBSCRIPTION') throw invalid(['query', 'source_type'], 'SUBSCRIPTION sources are not supported yet; use INVOICE or ORDER', 'value_error.not_supported');
      const source = await sourceStatus(services.ctx, request.auth.merchant_id, source_type, source_id);
      return {
        source_id: source.id,
        source_type: source.source_type,
        source_number: source.number,
        status: source.status,
        currency: source.currency,
        total_amount: minorToJsonNumber(source.total_amount_minor, source.currency),
        paid_at: source.paid_at,
      };
    },
  );
};
