import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services/index.js';
import { createEndpoint, deleteEndpoint, deliveryAttempts, EVENT_TYPES, listDeliveries, listEndpoints, replayDelivery } from '../services/webhooks.js';
import { DateTimeOut, IdInt, LIST_LIMIT_MAX, NEXT_CURSOR_HEADER, Nullable, NullableDateTimeOut, PageQuery, Type } from './schemas.js';

const Endpoint = {
  id: Type.Integer(),
  url: Type.String(),
  description: Type.String(),
  enabled_events: Type.Array(Type.String()),
  status: Type.String(),
  created_at: DateTimeOut(),
};
const WebhookEndpointResponse = Type.Object(Endpoint, { title: 'WebhookEndpointResponse' });
const WebhookEndpointCreated = Type.Object({ ...Endpoint, secret: Type.String({ description: 'The signing secret. Shown only in this response.' }) }, { title: 'WebhookEndpointCreatedResponse' });
const WebhookDeliveryResponse = Type.Object(
  {
    id: Type.Integer(),
    event_id: Type.Integer(),
    event_type: Type.String(),
    status: Type.String({ description: 'pending, succeeded or failed' }),
    attempts: Type.Integer(),
    last_status_code: Nullable(Type.Integer()),
    last_error: Nullable(Type.String()),
    last_attempt_at: NullableDateTimeOut(),
    next_attempt_at: NullableDateTimeOut(),
    created_at: DateTimeOut(),
  },
  { title: 'WebhookDeliveryResponse' },
);
const WebhookAttemptResponse = Type.Object(
  {
    id: Type.Integer(),
    attempted_at: DateTimeOut(),
    status_code: Nullable(Type.Integer()),
    duration_ms: Type.Integer(),
    error: Nullable(Type.String()),
    response_excerpt: Nullable(Type.String()),
  },
  { title: 'WebhookAttemptResponse' },
);

/** Beyond Dollr: webhook endpoints, their delivery log and replay. */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { ctx } = services;
  const tags = ['webhooks'];

  app.post(
    '/webhooks/endpoints',
    {
      schema: {
        tags,
        summary: 'Create Webhook Endpoint',
        operationId: 'create_webhook_endpoint',
        body: Type.Object(
          {
            url: Type.String({ minLength: 8, maxLength: 2048 }),
            description: Type.Optional(Type.String({ maxLength: 500 })),
            enabled_events: Type.Optional(Type.Array(Type.String({ maxLength: 64, description: `${EVENT_TYPES.join(', ')} or *` }), { maxItems: 16 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: WebhookEndpointCreated },
      },
    },
    async (request) => createEndpoint(ctx, request.auth, request.body),
  );

  app.get(
    '/webhooks/endpoints',
    { schema: { tags, summary: 'List Webhook Endpoints', operationId: 'list_webhook_endpoints', response: { 200: Type.Array(WebhookEndpointResponse) } } },
    async (request) => listEndpoints(ctx, request.auth),
  );

  app.delete(
    '/webhooks/endpoints/:endpoint_id',
    {
      schema: { tags, summary: 'Delete Webhook Endpoint', operationId: 'delete_webhook_endpoint', params: Type.Object({ endpoint_id: IdInt() }), response: { 200: Type.Object({}) } },
    },
    async (request) => {
      await deleteEndpoint(ctx, request.auth, request.params.endpoint_id);
      return {};
    },
  );

  app.get(
    '/webhooks/endpoints/:endpoint_id/deliveries',
    {
      schema: {
        tags,
        summary: 'List Webhook Deliveries',
        operationId: 'list_webhook_deliveries',
        params: Type.Object({ endpoint_id: IdInt() }),
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Type.Array(WebhookDeliveryResponse) },
      },
    },
    async (request, reply) => {
      const limit = request.query.limit ?? LIST_LIMIT_MAX;
      const list = await listDeliveries(ctx, request.auth, request.params.endpoint_id, { limit, starting_after: request.query.starting_after });
      if (list.length === limit) reply.header(NEXT_CURSOR_HEADER, String(list[list.length - 1]!.id));
      return list;
    },
  );

  app.get(
    '/webhooks/deliveries/:delivery_id/attempts',
    {
      schema: {
        tags,
        summary: 'List Webhook Delivery Attempts',
        operationId: 'list_webhook_delivery_attempts',
        params: Type.Object({ delivery_id: IdInt() }),
        response: { 200: Type.Array(WebhookAttemptResponse) },
      },
    },
    async (request) => deliveryAttempts(ctx, request.auth, request.params.delivery_id),
  );

  app.post(
    '/webhooks/deliveries/:delivery_id/replay',
    {
      schema: {
        tags,
        summary: 'Replay Webhook Delivery',
        operationId: 'replay_webhook_delivery',
        params: Type.Object({ delivery_id: IdInt() }),
        response: { 200: Type.Object({ id: Type.Integer(), status: Type.String() }) },
      },
    },
    async (request) => replayDelivery(ctx, request.auth, request.params.delivery_id),
  );
};
