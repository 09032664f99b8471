import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { OPERATION_TYPES, PAYMENT_METHODS, PROVIDERS } from '../domain/enums.js';
import { ACCOUNT_NAME_LENGTH_MAX, ACCOUNT_NUMBER_LENGTH_MAX } from '../domain/limits.js';
import type { Services } from '../services/index.js';
import { createPaymentAccount } from '../services/payment-accounts.js';
import { CountryCode } from './parties.js';
import { DateTimeOut, IdInt, Nullable, StringEnum, Type, type TSchema } from './schemas.js';

/** No account number here, ever: the response schema is also what the serializer writes. */
const PaymentAccountResponse: TSchema = Type.Object(
  {
    id: Type.Integer(),
    account_name: Type.String(),
    provider: StringEnum(PROVIDERS),
    method: StringEnum(PAYMENT_METHODS),
    party_id: Type.Integer(),
    is_active: Type.Boolean(),
    created_at: DateTimeOut(),
    updated_at: DateTimeOut(),
    country_code: Nullable(Type.String()),
  },
  { title: 'PaymentAccountResponse' },
);

const CreatePaymentAccountRequest = Type.Object(
  {
    account_name: Type.String({ minLength: 1, maxLength: ACCOUNT_NAME_LENGTH_MAX }),
    provider: StringEnum(PROVIDERS),
    method: StringEnum(PAYMENT_METHODS),
    party_id: IdInt(),
    country_code: Type.Optional(Nullable(CountryCode({ description: "ISO-3166 alpha-2; must be the method's market for mobile money" }))),
    insensitive_account_number: Type.Optional(
      Nullable(
        Type.String({
          minLength: 1,
          maxLength: ACCOUNT_NUMBER_LENGTH_MAX,
          writeOnly: true,
          description: 'Mobile money: the wallet phone, E.164 digits without +. Cards: leave out. Never returned.',
        }),
      ),
    ),
  },
  { additionalProperties: false, title: 'CreatePaymentAccountRequest' },
);

/** POST /v1/payment-accounts/create?operation_type=… */
export const paymentAccountRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/payment-accounts/create',
    {
      schema: {
        tags: ['payment-accounts'],
        summary: 'Create Payment Account',
        operationId: 'create_payment_account',
        description:
          'Mobile-money and payout accounts are reused: the same party, number, method and operation_type return the existing account. ' +
          'Card accounts (CREDIT_CARD/STRIPE, no number) are new on every call.',
        querystring: Type.Object({ operation_type: StringEnum(OPERATION_TYPES) }, { additionalProperties: false }),
        body: CreatePaymentAccountRequest,
        response: { 200: PaymentAccountResponse },
      },
    },
    async (request) => createPaymentAccount(services.ctx, request.auth.merchant_id, { ...request.body, operation_type: request.query.operation_type }),
  );
};
