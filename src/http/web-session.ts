/**
 * Cookie sessions for the portal and the operator area, as hooks registered once per area:
 *   - the session cookie holds a random token (only its SHA-256 is stored); HttpOnly, SameSite=Lax,
 *     Path=/, and Secure whenever the server is reached (or published) over https;
 *   - every state-changing request must carry the session's CSRF synchronizer token (`_csrf`) and
 *     must not come from another site (Origin / Sec-Fetch-Site), else 403;
 *   - pages answer HTML, errors included.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { DomainError, type DetailItem } from '../domain/errors.js';
import type { Services } from '../services/index.js';
import { type ActiveSession, type PortalRole, resolveSession, sameToken } from '../services/portal-auth.js';
import { pageHeaders } from '../web/layout.js';
import { errorPage, type Viewer } from '../web/portal-pages.js';

declare module 'fastify' {
  interface FastifyRequest {
    portal: ActiveSession | null;
  }
}

export const SESSION_COOKIE = 'dollr_session';
/** The sign-in form's own CSRF token (double-submit: there is no session yet). */
export const LOGIN_COOKIE = 'dollr_login';
export const FORM_BODY_LIMIT_BYTES = 8192;

export function isHttps(request: FastifyRequest, config: Config): boolean {
  return request.protocol === 'https' || (config.public_base_url ?? '').startsWith('https://');
}

export function cookieOptions(request: FastifyRequest, config: Config) {
  return { httpOnly: true, sameSite: 'lax' as const, path: '/', secure: isHttps(request, config) };
}

export function sendHtml(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).headers(pageHeaders('portal')).send(body);
}

/** One text field of a form body (the first, when repeated), bounded; '' when absent. */
export function field(body: unknown, name: string, max = 1000): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.slice(0, max) : '';
}

/** Every value of a repeated form field (checkboxes), each bounded. */
export function fields(body: unknown, name: string, max = 1000): string[] {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, max));
}

/** The messages of a 422, for showing beside a form. */
export function problemsOf(err: DomainError): string[] {
  return typeof err.detail === 'string' ? [err.detail] : (err.detail as DetailItem[]).map((d) => d.msg);
}

export function viewer(request: FastifyRequest): Viewer {
  const s = request.portal;
  if (!s) throw new Error('assertion: page rendered without a session');
  return { email: s.user.email, role: s.user.role, csrf: s.csrf_token };
}

/** Same-site check for state-changing requests: a browser names the page that sent it. */
function crossSite(request: FastifyRequest): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return origin === 'null';
  return origin !== `${request.protocol}://${request.host}`;
}

export function refuseForgery(request: FastifyRequest, token: string | undefined): boolean {
  return crossSite(request) || !sameToken(field(request.body, '_csrf', 200), token);
}

/** Hooks for one area: a live session of `role`, and the CSRF token on every POST. */
export function requireSession(app: FastifyInstance, services: Services, role: PortalRole): void {
  app.decorateRequest('portal', null);
  app.addHook('preHandler', async (request, reply) => {
    const session = await resolveSession(services.ctx, request.cookies[SESSION_COOKIE]);
    if (!session) {
      if (request.method === 'GET') {
        const next = request.url.length <= 500 ? `?next=${encodeURIComponent(request.url)}` : '';
        return reply.redirect(`/portal/login${next}`, 303);
      }
      return sendHtml(reply, 401, errorPage('Signed out', 'Your session has ended. Sign in again.', '/portal/login'));
    }
    if (session.user.role !== role) {
      if (session.user.role === 'operator') return reply.redirect('/admin', 303);
      return sendHtml(reply, 403, errorPage('Not allowed', 'This area is for platform operators.', '/portal'));
    }
    if (request.method !== 'GET' && request.method !== 'HEAD' && refuseForgery(request, session.csrf_token)) {
      services.ctx.log.warn({ portal_user_id: session.user.id, route: request.routeOptions.url }, 'portal request refused: CSRF check failed');
      return sendHtml(reply, 403, errorPage('Form expired', 'This form could not be verified. Reload the page and try again.'));
    }
    request.portal = session;
  });
}

/** Errors in the web areas render as pages (never as JSON), with the same statuses as the API. */
export function htmlErrors(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof DomainError) {
      for (const [k, v] of Object.entries(err.headers)) if (k !== 'www-authenticate') reply.header(k, v);
      switch (err.kind) {
        case 'not_found':
          return sendHtml(reply, 404, errorPage('Not found', 'There is nothing here.', '/portal'));
        case 'validation':
          return sendHtml(reply, 422, errorPage('Please check your input', problemsOf(err).join(' ')));
        case 'rate_limited':
          return sendHtml(reply, 429, errorPage('Too many requests', 'Please wait a minute and try again.'));
        case 'forbidden':
          return sendHtml(reply, 403, errorPage('Not allowed', String(err.detail)));
        default:
          return sendHtml(reply, err.kind === 'conflict' ? 409 : 400, errorPage('Request refused', String(err.detail)));
      }
    }
    const fe = err as { validation?: unknown; statusCode?: number; code?: string };
    if (fe.validation) return sendHtml(reply, 404, errorPage('Not found', 'There is nothing here.', '/portal'));
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendHtml(reply, 413, errorPage('Too large', 'That form was too large.'));
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return sendHtml(reply, fe.statusCode, errorPage('Request refused', 'The request could not be read.'));
    }
    const error_id = randomUUID();
    request.log.error({ err: { message: err instanceof Error ? err.message : String(err) }, error_id }, 'portal page failed');
    return sendHtml(reply, 500, errorPage('Something went wrong', `Please try again. Error id ${error_id}.`));
  });
}

export function htmlNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((_request, reply) => sendHtml(reply, 404, errorPage('Not found', 'There is nothing here.', '/portal')));
}

/** A notice chosen by a fixed key after a redirect (never text from the request). */
export function notice(request: FastifyRequest, notices: Record<string, string>): string | null {
  const key = (request.query as Record<string, unknown> | undefined)?.notice;
  return typeof key === 'string' && Object.prototype.hasOwnProperty.call(notices, key) ? notices[key]! : null;
}
