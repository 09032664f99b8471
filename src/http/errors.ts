/**
 * The one error path. Every refusal leaves here in the docs' shapes:
 *   422 {"detail":[{loc,msg,type}]}  401/403/404/409/413/429 {"detail":"…"}
 * a database that is out of reach becomes 503 + Retry-After (safe to retry), and anything
 * unexpected becomes a 500 that logs an error id and shows no stack.
 */
import { GroupCommitBusy } from '../store/group-commit.js';
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DetailItem } from '../domain/errors.js';
import { JsonBodyError } from './exact.js';
import { toDetail } from './validation.js';

const STATUS: Record<DomainError['kind'], number> = {
  validation: 422,
  not_found: 404,
  unauthenticated: 401,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  rate_limited: 429,
  too_large: 413,
};

function send422(reply: FastifyReply, detail: DetailItem[]) {
  return reply.code(422).type('application/json').send({ detail });
}

/** How long a client may go on sending a body we refused before its connection is cut. */
const REFUSED_BODY_DRAIN_MS = 10_000;

/**
 * After refusing a body unread (413), keep the connection while node discards the rest of it.
 * Fastify asks for `Connection: close`; closing while the client's bytes still arrive makes the
 * kernel answer them with a reset, which can destroy the 413 before the client has read it (the
 * "lingering close" problem of HTTP/1.1). Bounded: a body still arriving after
 * REFUSED_BODY_DRAIN_MS loses its connection.
 */
function drainRefusedBody(request: FastifyRequest, reply: FastifyReply): void {
  reply.removeHeader('connection');
  const raw = request.raw;
  if (raw.complete) return;
  const timer = setTimeout(() => raw.socket?.destroy(), REFUSED_BODY_DRAIN_MS);
  timer.unref();
  const done = () => clearTimeout(timer);
  raw.once('end', done);
  raw.once('close', done);
}

/** Errors raised by Fastify itself before our handler runs, mapped to the contract. */
function fastifyError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      drainRefusedBody(request, reply);
      return reply.code(413).send({ detail: 'Request body too large' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return send422(reply, [
        { loc: ['body'], msg: 'unsupported content type; send application/json', type: 'value_error.content_type' },
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return send422(reply, [{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return reply.code(400).send({ detail: 'Content-Length does not match the body' });
    default:
      return undefined;
  }
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DomainError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof DomainError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      if (err.kind === 'validation') return send422(reply, err.detail as DetailItem[]);
      return reply.code(STATUS[err.kind]).send({ detail: err.detail });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      return send422(reply, toDetail(fe.validationContext ?? 'body', fe.validation as never));
    }
    if (err instanceof JsonBodyError || (fe.cause instanceof JsonBodyError)) {
      const e = err instanceof JsonBodyError ? err : (fe.cause as JsonBodyError);
      return send422(reply, [{ loc: ['body', e.position], msg: `JSON decode error: ${e.message}`, type: 'value_error.jsondecode' }]);
    }
    const mapped = fastifyError(fe, request, reply);
    if (mapped) return mapped;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ detail: fe.message });
    }
    const error_id = randomUUID();
    if (databaseUnavailable(err)) {
      // The database restarted or is out of reach: nothing was committed by this request (a
      // transaction that lost its connection rolls back), so the client may retry the same call —
      // with the same reference_id for executions. 503 + Retry-After says exactly that.
      request.log.warn({ err: sanitize(err), error_id }, 'database unavailable');
      return reply.code(503).header('retry-after', '1').send({ detail: 'Service Unavailable', error_id });
    }
    request.log.error({ err: sanitize(err), error_id }, 'unhandled error');
    return reply.code(500).send({ detail: 'Internal Server Error', error_id });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ detail: 'Not Found' }));
}

/**
 * What a 500 may write to the log: the error's class, code and message, and the driver's own
 * message — never a query's bound parameters (drizzle puts them in its message), which can hold
 * account numbers or hashes.
 */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGE = /Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)/;

/** A lost or refused database connection (restart, failover, too many clients), not a bug. */
export function databaseUnavailable(err: unknown): boolean {
  if (err instanceof GroupCommitBusy) return true; // too many units already wait for the database
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  }
  return false;
}

export function sanitize(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; message?: string; code?: string; stack?: string; cause?: { message?: string; code?: string } };
  const isQueryError = e?.name === 'DrizzleQueryError' || /^Failed query:/.test(e?.message ?? '');
  return {
    type: e?.name,
    code: e?.code ?? e?.cause?.code,
    message: isQueryError ? `query failed: ${e?.cause?.message ?? ''}` : e?.message,
    stack: isQueryError ? undefined : e?.stack,
  };
}
