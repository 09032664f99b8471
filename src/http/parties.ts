import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EMAIL_LENGTH_MAX, FULLNAME_LENGTH_MAX } from '../domain/limits.js';
import type { Services } from '../services/index.js';
import { createParty, getParty, listParties } from '../services/parties.js';
import { pageArgs, sendPage } from './paging.js';
import { DateTimeOut, IdInt, Nullable, PageQuery, Phone, Type, type TSchema } from './schemas.js';

export const Fullname = () => Type.String({ minLength: 1, maxLength: FULLNAME_LENGTH_MAX, example: 'Amara Kamara' });
export const Email = () => Type.String({ format: 'email', maxLength: EMAIL_LENGTH_MAX, example: 'amara@example.com' });
export const CountryCode = (opts: Record<string, unknown> = {}) =>
  Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO-3166 alpha-2, uppercase', example: 'LR', ...opts });

export const PartyResponse: TSchema = Type.Object(
  {
    id: Type.Integer(),
    fullname: Type.String(),
    phone: Type.String(),
    email: Nullable(Type.String()),
    country_code: Nullable(Type.String()),
    created_at: DateTimeOut(),
    updated_at: DateTimeOut(),
  },
  { title: 'PartyResponse' },
);

const CreatePartyRequest = Type.Object(
  {
    fullname: Fullname(),
    phone: Phone(),
    email: Type.Optional(Nullable(Email())),
    country_code: Type.Optional(Nullable(CountryCode())),
  },
  { additionalProperties: false, title: 'CreatePartyRequest' },
);

/** /v1/parties: contact records of the merchant. */
export const partyRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/parties/create',
    { schema: { tags: ['parties'], summary: 'Create Party', operationId: 'create_party', body: CreatePartyRequest, response: { 200: PartyResponse } } },
    async (request) => createParty(services.ctx, request.auth.merchant_id, request.body),
  );

  app.get(
    '/parties/list',
    {
      schema: {
        tags: ['parties'],
        summary: 'List Parties',
        operationId: 'list_parties',
        description: 'Ordered by id. `fullname` matches any part of the name, case-insensitively.',
        querystring: Type.Object({ fullname: Type.Optional(Type.String({ maxLength: FULLNAME_LENGTH_MAX })), ...PageQuery }, { additionalProperties: false }),
        response: { 200: Type.Array(PartyResponse) },
      },
    },
    async (request, reply) => {
      const { fullname, ...page } = request.query;
      return sendPage(reply, await listParties(services.ctx, request.auth.merchant_id, { fullname }, pageArgs(page)));
    },
  );

  app.get(
    '/parties/retrieve/:id',
    {
      schema: {
        tags: ['parties'],
        summary: 'Retrieve Party',
        operationId: 'retrieve_party',
        params: Type.Object({ id: IdInt() }),
        response: { 200: PartyResponse },
      },
    },
    async (request) => getParty(services.ctx, request.auth.merchant_id, request.params.id),
  );
};
