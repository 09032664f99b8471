import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FEE_BEARERS, OPERATION_TYPES, OWNER_TYPES, PAYMENT_METHODS, PROVIDERS, SOURCE_TYPES_IN_SPEC } from '../domain/enums.js';
import { parseAmountMinor } from '../domain/money.js';
import type { Services } from '../services/index.js';
import { predictAmountAndFees, predictCardProviderInfo, predictMmoProviderInfo, predictSourceAmountAndFees } from '../services/predictions.js';
import { numberText } from './exact.js';
import { Amount, Currency, IdInt, Nullable, Phone, StringEnum, Type, withMoney } from './schemas.js';

const DecimalText = (example: string) => Type.String({ description: 'Amount as a decimal string at the currency\'s exponent', example });

const AmountAndFeePredictionResponse = Type.Object(
  {
    payer_amount: DecimalText('255.00'),
    payer_currency: Type.String(),
    payee_amount: DecimalText('250.00'),
    payee_currency: Type.String(),
    platform_fee: DecimalText('3.75'),
    platform_currency: Type.String(),
    fx_fee: Nullable(DecimalText('0.00')),
    gateway_fee: Nullable(DecimalText('7.50')),
    gateway_currency: Nullable(Type.String()),
  },
  { title: 'AmountAndFeePredictionResponse' },
);

const PredictPhonePaymentInfoResponse = Type.Object(
  {
    carrier: Type.String({ example: 'Orange' }),
    country: Type.String({ example: 'LR' }),
    currencies: Type.Array(Type.String(), { example: ['USD', 'LRD'] }),
    phone: Type.String({ example: '231771234567' }),
    payment_method: StringEnum(PAYMENT_METHODS),
    gateway_provider: Type.String({ example: 'PAWAPAY' }),
    operation_type: StringEnum(OPERATION_TYPES),
  },
  { title: 'PredictPhonePaymentInfoResponse' },
);

const PredictCardPaymentInfoResponse = Type.Object(
  {
    brand: Type.String({ example: 'visa' }),
    country: Type.String({ example: 'US' }),
    currencies: Type.Array(Type.String()),
    payment_method: Type.Literal('CREDIT_CARD'),
    gateway_provider: Type.String({ example: 'STRIPE' }),
  },
  { title: 'PredictCardPaymentInfoResponse' },
);

const Method = () => StringEnum(PAYMENT_METHODS);
const Operation = () => StringEnum(OPERATION_TYPES);
const ProviderParam = () => StringEnum(PROVIDERS, { description: 'Routing network; the spec also accepts the two Liberian method names' });

/** GET /v1/predictions/* — fee/FX previews (amounts as decimal strings) and operator/card detection. */
export const predictionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { ctx } = services;

  app.get(
    '/predictions/amount-and-fees',
    {
      schema: {
        tags: ['predictions'],
        summary: 'Predict Amount And Fee',
        operationId: 'predict_amount_and_fee',
        querystring: withMoney(
          Type.Object(
            {
              base_amount: Amount(),
              base_currency: Currency(),
              target_currency: Currency(),
              payment_method: Method(),
              operation_type: Operation(),
              provider: ProviderParam(),
              fee_bearer: StringEnum(FEE_BEARERS),
              owner_type: Type.Optional(StringEnum(OWNER_TYPES)),
              owner_id: Type.Optional(IdInt()),
            },
            { additionalProperties: false },
          ),
          [{ amount: 'base_amount', currency: 'base_currency' }],
        ),
        response: { 200: AmountAndFeePredictionResponse },
      },
    },
    async (request) => {
      const q = request.query;
      // x-money already proved the exact text fits the currency; read it, never the float.
      const parsed = parseAmountMinor(numberText(q, 'base_amount') ?? String(q.base_amount), q.base_currency);
      if (!parsed.ok) throw new Error('assertion: base_amount passed x-money but does not parse');
      return predictAmountAndFees(ctx, request.auth.merchant_id, {
        base_minor: parsed.amount_minor,
        base_currency: q.base_currency,
        target_currency: q.target_currency,
        payment_method: q.payment_method,
        operation_type: q.operation_type,
        provider: q.provider,
        fee_bearer: q.fee_bearer,
        owner_type: q.owner_type,
        owner_id: q.owner_id,
      });
    },
  );

  app.get(
    '/predictions/payment-source/amount-and-fees',
    {
      schema: {
        tags: ['predictions'],
        summary: 'Predict Payment Source Amount And Fee',
        operationId: 'predict_payment_source_amount_and_fee',
        querystring: Type.Object(
          {
            target_currency: Currency(),
            payment_method: Method(),
            provider: ProviderParam(),
            source_type: StringEnum(SOURCE_TYPES_IN_SPEC),
            source_id: IdInt(),
          },
          { additionalProperties: false },
        ),
        response: { 200: AmountAndFeePredictionResponse },
      },
    },
    async (request) => predictSourceAmountAndFees(ctx, request.auth.merchant_id, request.query),
  );

  app.get(
    '/predictions/mmo-provider-info',
    {
      schema: {
        tags: ['predictions'],
        summary: 'Predict Mmo Provider Info',
        operationId: 'predict_mmo_provider_info',
        querystring: Type.Object({ phone: Phone(), operation_type: Operation() }, { additionalProperties: false }),
        response: { 200: PredictPhonePaymentInfoResponse },
      },
    },
    async (request) => predictMmoProviderInfo(request.query.phone, request.query.operation_type),
  );

  app.get(
    '/predictions/card-provider-info',
    {
      schema: {
        tags: ['predictions'],
        summary: 'Predict Card Provider Info',
        operationId: 'predict_card_provider_info',
        querystring: Type.Object(
          {
            payment_method_id: Type.String({ pattern: '^pm_[A-Za-z0-9_]{1,96}$', description: 'A Stripe PaymentMethod id (sandbox: pm_card_visa, …)', example: 'pm_card_visa' }),
            operation_type: Operation(),
            provider: ProviderParam(),
          },
          { additionalProperties: false },
        ),
        response: { 200: PredictCardPaymentInfoResponse },
      },
    },
    async (request) => predictCardProviderInfo(request.query.payment_method_id, request.query.provider),
  );
};
