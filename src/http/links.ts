import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SOURCE_TYPES_IN_SPEC } from '../domain/enums.js';
import { SOURCE_NUMBER_LENGTH_MAX } from '../domain/limits.js';
import type { Services } from '../services/index.js';
import { type LinkKind, sourceLink } from '../services/links.js';
import { StringEnum, Type } from './schemas.js';
import { publicBaseUrl } from './urls.js';

const LinkQuery = Type.Object(
  {
    source_type: StringEnum(SOURCE_TYPES_IN_SPEC, { description: 'INVOICE or ORDER (SUBSCRIPTION is reserved and refused)' }),
    source_number: Type.String({ minLength: 1, maxLength: SOURCE_NUMBER_LENGTH_MAX, example: 'INV-2026-00042' }),
  },
  { additionalProperties: false },
);

const LinkResponse = Type.Object({ url: Type.String({ format: 'uri' }) }, { title: 'LinkResponse' });

const LINKS: { link: LinkKind; summary: string; operationId: string; description: string }[] = [
  { link: 'pay', summary: 'Get Payment Link', operationId: 'get_payment_link', description: 'For a published source (ACTIVE or later, not CANCELED).' },
  { link: 'receipt', summary: 'Get Receipt Link', operationId: 'get_receipt_link', description: 'Once the source is PAID.' },
];

/** GET /v1/links/pay and /v1/links/receipt → {url} on this server's hosted pages. */
export const linkRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  for (const { link, ...doc } of LINKS) {
    app.get(
      `/links/${link}`,
      { schema: { tags: ['links'], ...doc, querystring: LinkQuery, response: { 200: LinkResponse } } },
      async (request) =>
        sourceLink(
          services.ctx,
          request.auth.merchant_id,
          link,
          request.query.source_type,
          request.query.source_number,
          publicBaseUrl(request, services.ctx.config),
        ),
    );
  }
};
