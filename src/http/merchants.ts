import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound } from '../domain/errors.js';
import type { Services } from '../services/index.js';
import { getMerchant, MERCHANT_TYPES } from '../services/merchants.js';
import { IdInt, StringEnum, Type } from './schemas.js';

const MerchantInfoResponse = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    type: StringEnum(MERCHANT_TYPES),
    email: Type.String(),
    phone: Type.String(),
  },
  { title: 'MerchantInfoResponse' },
);

/** GET /v1/merchants/merchant-info — the caller's own profile; any other id answers 404. */
export const merchantRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/merchants/merchant-info',
    {
      schema: {
        tags: ['merchants'],
        summary: 'Get Merchant Info',
        operationId: 'get_merchant_info',
        querystring: Type.Object(
          { merchant_id: IdInt(), merchant_type: StringEnum(MERCHANT_TYPES) },
          { additionalProperties: false },
        ),
        response: { 200: MerchantInfoResponse },
      },
    },
    async (request) => {
      const { merchant_id, merchant_type } = request.query;
      if (merchant_id !== request.auth.merchant_id) throw notFound();
      const m = await getMerchant(services.ctx, merchant_id);
      if (!m || m.type !== merchant_type) throw notFound();
      return { id: m.id, name: m.name, type: m.type as (typeof MERCHANT_TYPES)[number], email: m.email, phone: m.phone };
    },
  );
};
