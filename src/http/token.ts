import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services/index.js';
import { Type } from './schemas.js';

const ObtainTokenRequest = Type.Object(
  {
    client_id: Type.String({ minLength: 1, maxLength: 256 }),
    client_secret: Type.String({ minLength: 1, maxLength: 512, format: 'password', writeOnly: true }),
  },
  { additionalProperties: false, title: 'ObtainTokenRequest' },
);

const ObtainTokenResponse = Type.Object(
  {
    access_token: Type.String(),
    expires_in: Type.Integer({ description: 'Validity in minutes' }),
  },
  { title: 'ObtainTokenResponse' },
);

/** POST /v1/jwt/client/obtain/token — the one call without a bearer token. */
export const tokenRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/jwt/client/obtain/token',
    {
      config: { public: true },
      schema: {
        tags: ['jwt'],
        summary: 'Client Obtain Token',
        operationId: 'client_obtain_token',
        body: ObtainTokenRequest,
        response: { 200: ObtainTokenResponse },
      },
    },
    async (request) => services.auth.obtainToken(request.body.client_id, request.body.client_secret),
  );
};
