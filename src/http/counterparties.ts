import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RELATIONSHIP_TYPES } from '../domain/enums.js';
import { FULLNAME_LENGTH_MAX } from '../domain/limits.js';
import { createCounterparty, getCounterparty, listCounterparties, updateCounterparty } from '../services/counterparties.js';
import type { Services } from '../services/index.js';
import { pageArgs, sendPage } from './paging.js';
import { PartyResponse } from './parties.js';
import { DateTimeOut, IdInt, Nullable, PageQuery, StringEnum, Type, type TSchema } from './schemas.js';

const RelationshipType = () => StringEnum(RELATIONSHIP_TYPES);

const counterpartyFields = {
  id: Type.Integer(),
  relationship_type: RelationshipType(),
  party_id: Nullable(Type.Integer()),
  created_at: DateTimeOut(),
  updated_at: DateTimeOut(),
};

export const CounterPartyResponse: TSchema = Type.Object(counterpartyFields, { title: 'CounterPartyResponse' });

export const CounterPartyWithPartyResponse: TSchema = Type.Object(
  { ...counterpartyFields, party: Nullable(PartyResponse) },
  { title: 'CounterPartyWithPartyResponse' },
);

const CreateCounterpartyRequest = Type.Object(
  { relationship_type: RelationshipType(), party_id: Type.Optional(Nullable(IdInt())) },
  { additionalProperties: false, title: 'CreateCounterPartyRequest' },
);

const UpdateCounterpartyRequest = Type.Object(
  {
    relationship_type: Type.Optional(RelationshipType()),
    party_id: Type.Optional(Nullable(IdInt(), { description: 'null unlinks the party' })),
  },
  { additionalProperties: false, title: 'UpdateCounterPartyRequest' },
);

/** /v1/counterparties: a party's relationship to the merchant. */
export const counterpartyRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ['counterparties'];

  app.post(
    '/counterparties/create',
    { schema: { tags, summary: 'Create Counterparty', operationId: 'create_counterparty', body: CreateCounterpartyRequest, response: { 200: CounterPartyResponse } } },
    async (request) => createCounterparty(services.ctx, request.auth.merchant_id, request.body),
  );

  app.get(
    '/counterparties/list',
    {
      schema: {
        tags,
        summary: 'List Counterparties',
        operationId: 'list_counterparties',
        description: "Ordered by id. `fullname` matches any part of the linked party's name, case-insensitively.",
        querystring: Type.Object(
          { fullname: Type.Optional(Type.String({ maxLength: FULLNAME_LENGTH_MAX })), relationship_type: Type.Optional(RelationshipType()), ...PageQuery },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(CounterPartyResponse) },
      },
    },
    async (request, reply) => {
      const { fullname, relationship_type, ...page } = request.query;
      return sendPage(reply, await listCounterparties(services.ctx, request.auth.merchant_id, { fullname, relationship_type }, pageArgs(page)));
    },
  );

  app.get(
    '/counterparties/retrieve/:id',
    {
      schema: {
        tags,
        summary: 'Retrieve Counterparty',
        operationId: 'retrieve_counterparty',
        params: Type.Object({ id: IdInt() }),
        response: { 200: CounterPartyWithPartyResponse },
      },
    },
    async (request) => getCounterparty(services.ctx, request.auth.merchant_id, request.params.id),
  );

  app.put(
    '/counterparties/update/:id',
    {
      schema: {
        tags,
        summary: 'Update Counterparty',
        operationId: 'update_counterparty',
        params: Type.Object({ id: IdInt() }),
        body: UpdateCounterpartyRequest,
        response: { 200: CounterPartyResponse },
      },
    },
    async (request) => updateCounterparty(services.ctx, request.auth.merchant_id, request.params.id, request.body ?? {}),
  );
};
