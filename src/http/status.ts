import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type OperationType, SOURCE_TYPES_IN_SPEC } from '../domain/enums.js';
import { invalid, notFound } from '../domain/errors.js';
import { minorToJsonNumber } from '../domain/money.js';
import { executionStatus } from '../services/executions.js';
import type { Services } from '../services/index.js';
import { sourceStatus } from '../services/sources.js';
import { ExecutionResponse, sendExecution } from './executions.js';
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
        return sendExecution(reply, row);
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
