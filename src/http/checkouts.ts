import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RELATIONSHIP_TYPES, SOURCE_STATUSES, SOURCE_TYPES, SOURCE_TYPES_IN_SPEC } from '../domain/enums.js';
import { ITEMS_PER_SOURCE_MAX, NOTE_LENGTH_MAX, REFERENCE_LENGTH_MAX, URL_LENGTH_MAX } from '../domain/limits.js';
import { CHECKOUT_MODES, createCheckout } from '../services/checkouts.js';
import type { Services } from '../services/index.js';
import { numberText } from './exact.js';
import { Email, Fullname } from './parties.js';
import {
  Amount,
  AmountOut,
  Currency,
  DateTime,
  IdInt,
  Nullable,
  NullableDateTimeOut,
  Phone,
  StringEnum,
  type TSchema,
  Type,
  withMoney,
} from './schemas.js';
import { ItemName } from './sources.js';
import { publicBaseUrl } from './urls.js';

/** Where the hosted page sends the payer back: an absolute http(s) URL. */
const RedirectUrl = () => Type.String({ format: 'uri', pattern: '^https?://', maxLength: URL_LENGTH_MAX, example: 'https://yourstore.com/success' });

/** A checkout line: no qty (each line is one unit). */
const PaymentSourceItemInput = withMoney(
  Type.Object({ name: ItemName(), currency: Currency(), amount: Amount() }, { additionalProperties: false, title: 'PaymentSourceItemInput' }),
  [{ amount: 'amount', currency: 'currency' }],
);

const CreateCheckoutSourceRequest = Type.Object(
  {
    mode: StringEnum(CHECKOUT_MODES, { description: 'HOSTED: the payer pays on the hosted page at `url`. DIRECT: continue with session → payment account → execution.' }),
    source_kind: StringEnum(SOURCE_TYPES_IN_SPEC, { description: 'INVOICE or ORDER (SUBSCRIPTION is reserved and refused)' }),
    party_phone: Phone(),
    currency: Currency(),
    items: Type.Array(PaymentSourceItemInput, { minItems: 1, maxItems: ITEMS_PER_SOURCE_MAX }),
    party_name: Type.Optional(Nullable(Fullname())),
    party_email: Type.Optional(Nullable(Email())),
    party_relationship: Type.Optional(Nullable(StringEnum(RELATIONSHIP_TYPES), { description: 'Default CUSTOMER' })),
    reference_id: Type.Optional(Nullable(Type.String({ maxLength: REFERENCE_LENGTH_MAX }))),
    note: Type.Optional(Nullable(Type.String({ maxLength: NOTE_LENGTH_MAX }))),
    due_date: Type.Optional(Nullable(DateTime({ description: 'Invoices only; ignored for orders' }))),
    success_url: Type.Optional(Nullable(RedirectUrl())),
    cancel_url: Type.Optional(Nullable(RedirectUrl())),
    expires_at: Type.Optional(Nullable(DateTime({ description: 'Default now + 24 h; in the future, at most 30 days ahead' }))),
    counterparty_id: Type.Optional(Nullable(IdInt())),
  },
  { additionalProperties: false, title: 'CreateCheckoutSourceRequest' },
);

const CreateCheckoutSourceLinkResponse: TSchema = Type.Object(
  {
    mode: StringEnum(CHECKOUT_MODES),
    source_type: StringEnum(SOURCE_TYPES),
    source_id: Type.Integer(),
    source_number: Type.String(),
    source_status: StringEnum(SOURCE_STATUSES),
    counterparty_id: Type.Integer(),
    party_id: Type.Integer(),
    currency: Type.String(),
    total_amount: AmountOut(),
    source_checkout_config_id: Type.Integer(),
    url: Type.String({ format: 'uri', description: 'Redirect the payer here' }),
    reference_id: Nullable(Type.String()),
    due_date: NullableDateTimeOut(),
    expires_at: NullableDateTimeOut(),
    hosted_path_or_token: Type.String(),
    success_url: Nullable(Type.String()),
    cancel_url: Nullable(Type.String()),
  },
  { title: 'CreateCheckoutSourceLinkResponse' },
);

/** POST /v1/checkouts/create — verified merchants only (hosted checkout is gated). */
export const checkoutRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/checkouts/create',
    {
      config: { verified: true },
      schema: {
        tags: ['checkouts'],
        summary: 'Create Checkout Source',
        operationId: 'create_checkout_source',
        description:
          'Matches the payer by phone (or creates the party), finds or creates its counterparty, creates the invoice or order with its items ' +
          '(qty 1 each), publishes it (fee_bearer PAYER, as_payment_link true) and returns the hosted checkout link — one transaction.',
        body: CreateCheckoutSourceRequest,
        response: { 200: CreateCheckoutSourceLinkResponse },
      },
    },
    async (request) => {
      const { items, ...rest } = request.body;
      return createCheckout(services.ctx, request.auth.merchant_id, publicBaseUrl(request, services.ctx.config), {
        ...rest,
        items: items.map((item) => ({ name: item.name, currency: item.currency, amount_text: numberText(item, 'amount') ?? String(item.amount) })),
      });
    },
  );
};
