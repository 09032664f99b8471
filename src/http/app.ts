/**
 * The Fastify application: cross-cutting concerns registered once (JSON parsing, validation,
 * errors, request ids, auth, rate limits, OpenAPI), then one plugin per resource under /v1.
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { forbidden } from '../domain/errors.js';
import type { AuthContext } from '../services/auth.js';
import type { Services } from '../services/index.js';
import { registerErrorHandling } from './errors.js';
import { parseJsonBody, parseQuery } from './exact.js';
import { noteJsonBodyText, rejectNulCharacters } from './nul.js';
import { callbackRoutes } from './callbacks.js';
import { healthRoutes } from './health.js';
import { hostedRoutes } from './hosted.js';
import { lazyChildLoggerFactory } from './lazy-logger.js';
import { webAreaRoutes } from './portal.js';
import { sandboxRoutes } from './sandbox.js';
import { ErrorMessage, HTTPValidationError, ValidationErrorItem } from './schemas.js';
import { tokenRoutes } from './token.js';
import { bodyAjv, paramAjv } from './validation.js';
import { v1Routes } from './v1.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
  interface FastifyContextConfig {
    /** No bearer token needed (token endpoint, hosted pages). */
    public?: boolean;
    /** Only verified merchants (payouts, refunds, transfers, hosted checkout): 403 otherwise. */
    verified?: boolean;
  }
}

export const API_TITLE = 'Dollr Open API';
/** Longer path parameters are refused by the router itself (ids, numbers and UUIDs are far shorter). */
const PATH_PARAM_CHARS_MAX = 200;
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{8,128}$/;

export interface AppOptions {
  services: Services;
  logger: Logger;
}

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export async function buildApp({ services, logger }: AppOptions): Promise<App> {
  const { config } = services.ctx;
  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: config.body_limit_bytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: PATH_PARAM_CHARS_MAX, ignoreTrailingSlash: true, querystringParser: parseQuery },
    // The router refuses over-long or badly percent-encoded path parameters before any schema
    // runs; answer those in the error contract (422 on the path) instead of Fastify's own body.
    frameworkErrors: (err, _request, replyTyped) => {
      const reply = replyTyped as unknown as FastifyReply;
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return reply.code(422).send({ detail: [{ loc: ['path'], msg: `path parameter longer than ${PATH_PARAM_CHARS_MAX} characters`, type: 'value_error.any_str.max_length' }] });
      }
      if (err.code === 'FST_ERR_BAD_URL') {
        return reply.code(422).send({ detail: [{ loc: ['path'], msg: 'path is not valid percent-encoded UTF-8', type: 'value_error.url' }] });
      }
      return reply.send(err);
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    connectionTimeout: 60_000,
    requestTimeout: 120_000,
    ajv: { customOptions: {} },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies: exact numbers, strict types. Query/path: text converted to declared integers.
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema as object));
  for (const s of [ValidationErrorItem, HTTPValidationError, ErrorMessage]) {
    app.addSchema(s);
    for (const ajv of [bodyAjv, paramAjv]) if (!ajv.getSchema((s as unknown as { $id: string }).$id)) ajv.addSchema(s as object);
  }

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.body_limit_bytes }, (req, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    noteJsonBodyText(req, body as string);
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.decorateRequest('auth', null as unknown as AuthContext);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  registerErrorHandling(app);
  rejectNulCharacters(app);

  // Every /v1 operation documents 200 and 422 and (but for the token call) needs the bearer token.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1')) return;
    const schema = (route.schema ??= {}) as Record<string, any>;
    schema.response ??= {};
    schema.response[422] ??= { $ref: 'HTTPValidationError#' };
    if (!route.config?.public) schema.security ??= [{ HTTPBearer: [] }];
    else schema.security ??= [];
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: API_TITLE,
        version: '1.0.0',
        description:
          'A self-hostable server implementing the Dollr v1 Open API. Amounts in requests are JSON numbers checked exactly against the currency; ' +
          'validation errors answer 422 {"detail":[{"loc","msg","type"}]}.',
      },
      servers: [],
      components: {
        securitySchemes: {
          HTTPBearer: { type: 'http', scheme: 'bearer' },
          RealtimeKey: { type: 'apiKey', in: 'query', name: 'access_token', description: 'A key from POST /v1/realtime-keys/collection' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String((json as { $id?: string }).$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true }, staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, { services });
  await app.register(callbackRoutes, { services });
  await app.register(sandboxRoutes, { services });
  await app.register(hostedRoutes, { services });
  await app.register(webAreaRoutes, { services });

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request: FastifyRequest) => {
        await services.limiter.hit('ip', request.ip);
        if (request.routeOptions.config?.public) return;
        request.auth = await services.auth.authenticate(request.headers.authorization);
        await services.limiter.hit('merchant', String(request.auth.merchant_id));
        if (request.routeOptions.config?.verified && !request.auth.verified) {
          throw forbidden('Merchant account is not verified. Payouts, refunds, transfers and hosted checkout open once verification completes.');
        }
      });
      await v1.register(tokenRoutes, { services });
      await v1.register(v1Routes, { services });
    },
    { prefix: '/v1' },
  );

  return app;
}
