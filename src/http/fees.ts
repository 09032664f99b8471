import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { OPERATION_TYPES, OWNER_TYPES, PAYMENT_METHODS } from '../domain/enums.js';
import { getMerchantFeeTier, listFeeTiers, listGatewayFees, listPlatformRates } from '../services/fees.js';
import type { Services } from '../services/index.js';
import { DateTimeOut, IdInt, Nullable, NullableDateTimeOut, StringEnum, Type } from './schemas.js';

const Percent = (description: string) => Type.String({ description: `${description}, a decimal string (numeric(9,4))`, example: '2.9000' });
const FixedFee = () =>
  Type.String({ description: 'Fixed part of the fee at its currency\'s exponent ("0.30" USD, "300" RWF); "0" without a fixed part', example: '0.30' });

const FeeTierResponse = Type.Object(
  { id: Type.Integer(), name: Type.String(), is_default: Type.Boolean(), created_at: DateTimeOut(), updated_at: DateTimeOut() },
  { title: 'FeeTierResponse' },
);

const FeeWithProviderResponse = Type.Object(
  {
    id: Type.Integer(),
    provider_id: Type.Integer(),
    operation_type: StringEnum(OPERATION_TYPES),
    payment_method: StringEnum(PAYMENT_METHODS),
    percentage: Percent('Gateway percentage'),
    created_at: DateTimeOut(),
    updated_at: DateTimeOut(),
    fixed_fee: FixedFee(),
    fixed_fee_currency: Nullable(Type.String()),
    effective_from: DateTimeOut(),
    effective_to: NullableDateTimeOut(),
  },
  { title: 'FeeWithProviderResponse' },
);

const FeeTierRateResponse = Type.Object(
  {
    id: Type.Integer(),
    operation_type: StringEnum(OPERATION_TYPES),
    payment_method: Nullable(StringEnum(PAYMENT_METHODS)),
    percentage: Percent('Platform percentage'),
    fx_percentage: Percent('FX markup percentage'),
    effective_from: DateTimeOut(),
    created_at: DateTimeOut(),
    fixed_fee: FixedFee(),
    fixed_fee_currency: Nullable(Type.String()),
    effective_to: NullableDateTimeOut(),
    tier: FeeTierResponse,
  },
  { title: 'FeeTierRateResponse' },
);

const MerchantFeeResponse = Type.Object(
  {
    id: Type.Integer({ description: 'The assignment id; 0 when the owner is on the default tier without an assignment' }),
    owner_type: StringEnum(OWNER_TYPES),
    owner_id: Type.Integer(),
    assigned_at: DateTimeOut(),
    assigned_by: Type.String(),
    tier: FeeTierResponse,
  },
  { title: 'MerchantFeeResponse' },
);

/** GET /v1/fees/* — the rates in force now (gateway, platform tiers) and the caller's own tier. */
export const feeRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { ctx } = services;

  app.get(
    '/fees/gateway',
    {
      schema: {
        tags: ['fees'],
        summary: 'Get Gateway Fees',
        operationId: 'get_gateway_fees',
        querystring: Type.Object(
          { payment_method: Type.Optional(StringEnum(PAYMENT_METHODS)), operation_type: Type.Optional(StringEnum(OPERATION_TYPES)) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(FeeWithProviderResponse) },
      },
    },
    async (request) => listGatewayFees(ctx, request.query),
  );

  app.get(
    '/fees/platform',
    {
      schema: {
        tags: ['fees'],
        summary: 'Get Platform Fees',
        operationId: 'get_platform_fees',
        querystring: Type.Object(
          { operation_type: Type.Optional(StringEnum(OPERATION_TYPES)), fee_tier_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(FeeTierRateResponse) },
      },
    },
    async (request) => listPlatformRates(ctx, request.query),
  );

  app.get(
    '/fees/merchant-tier',
    {
      schema: {
        tags: ['fees'],
        summary: 'Get Merchant Fee Tier',
        operationId: 'get_merchant_fee_tier',
        querystring: Type.Object({ owner_type: StringEnum(OWNER_TYPES), owner_id: IdInt() }, { additionalProperties: false }),
        response: { 200: MerchantFeeResponse },
      },
    },
    async (request) => getMerchantFeeTier(ctx, request.auth.merchant_id, request.query.owner_type, request.query.owner_id),
  );

  app.get(
    '/fees/tiers',
    {
      schema: {
        tags: ['fees'],
        summary: 'List Fee Tiers',
        operationId: 'list_fee_tiers',
        response: { 200: Type.Array(FeeTierResponse) },
      },
    },
    async () => listFeeTiers(ctx),
  );
};
