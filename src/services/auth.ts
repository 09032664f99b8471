/**
 * Client-credentials auth as the docs describe it: client_id + client_secret → a signed HS256 JWT
 * whose `expires_in` is in minutes. Tokens name the API key that minted them, so revoking the key
 * ends its tokens (within AUTH_CACHE_TTL_MS, the time a key's status is cached per instance).
 */
import { createSigner, createVerifier } from 'fast-jwt';
import { sql } from 'drizzle-orm';
import { DomainError } from '../domain/errors.js';
import { rows } from '../store/db.js';
import * as store from '../store/merchants.js';
import type { Ctx } from './context.js';
import { randomToken, verifySecret } from './crypto.js';

export const NOT_AUTHENTICATED = 'Not authenticated';
export const BAD_CREDENTIALS = 'Could not validate credentials';
const JWT_SECRET_NAME = 'jwt_hs256_key';
const AUTH_CACHE_ENTRIES_MAX = 10_000;
const TOKEN_LENGTH_MAX = 4096;
/** Verified tokens remembered per instance (oldest out first). */
const VERIFIED_TOKENS_MAX = 10_000;

export interface AuthContext {
  readonly merchant_id: number;
  readonly api_key_id: number;
  readonly verified: boolean;
}

interface Claims {
  sub: string;
  kid: number;
  typ: string;
  iat: number;
  exp: number;
  [k: string]: unknown;
}

/** The docs' 401: `{"detail": msg}` with `WWW-Authenticate: Bearer`. */
export function unauthenticated(msg: string): DomainError {
  return new DomainError('unauthenticated', msg, { 'www-authenticate': 'Bearer' });
}

/** The token of an `Authorization: Bearer <token>` header; undefined when the header is not one. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer[ ]+([^ ]+)\s*$/i.exec(header)?.[1];
}

/** The signing key: from config, or generated once and shared by every instance through the database. */
export async function loadSigningKey(ctx: Ctx): Promise<string> {
  if (ctx.config.jwt_secret) return ctx.config.jwt_secret;
  const candidate = randomToken(48);
  await ctx.database.db.execute(
    sql`insert into server_secrets (name, value, created_at) values (${JWT_SECRET_NAME}, ${candidate}, ${ctx.clock.now()})
        on conflict (name) do nothing`,
  );
  const [row] = await rows<{ value: string }>(ctx.database.db, sql`select value from server_secrets where name = ${JWT_SECRET_NAME}`);
  if (!row) throw new Error('assertion: signing key missing after insert');
  return row.value;
}

export class AuthService {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => Claims;
  private readonly cache = new Map<number, { row: store.AuthRow | undefined; until_ms: number }>();

  constructor(
    private readonly ctx: Ctx,
    key: string,
  ) {
    // Time claims are set and checked against the injected clock, not fast-jwt's Date.now().
    this.sign = createSigner({ key, algorithm: 'HS256', noTimestamp: true });
    const verifySignature = createVerifier({ key, algorithms: ['HS256'], ignoreExpiration: true, ignoreNotBefore: true, cache: false }) as (t: string) => Claims;
    // Tokens whose signature checked out, by their exact text: a merchant sends the same token on
    // every call until it expires, and a signature over the same bytes with the same key stays
    // valid — expiry and the key's status are checked on every request anyway (decode, keyStatus).
    // Keyed by the token itself, not a digest of it (fast-jwt's own cache hashes every token).
    const verified = new Map<string, Claims>();
    this.verify = (token) => {
      const hit = verified.get(token);
      if (hit) return hit;
      // base64url's last character carries spare bits: an edited character can decode to the same
      // signature bytes. Only the one canonical spelling of a signature is accepted.
      const signature = token.slice(token.lastIndexOf('.') + 1);
      if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) throw new Error('non-canonical signature encoding');
      const claims = Object.freeze(verifySignature(token));
      if (verified.size >= VERIFIED_TOKENS_MAX) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
      return claims;
    };
  }

  /** POST /v1/jwt/client/obtain/token */
  async obtainToken(client_id: string, client_secret: string): Promise<{ access_token: string; expires_in: number }> {
    const key = await store.findApiKeyByClientId(this.ctx.database.db, client_id);
    // Always run the slow comparison, so an unknown client_id answers as slowly as a wrong secret.
    const ok = await verifySecret(client_secret, key?.secret_hash);
    if (!key || !ok || key.revoked_at) throw unauthenticated(BAD_CREDENTIALS);
    const now_s = Math.floor(this.ctx.clock.now().getTime() / 1000);
    const ttl_minutes = this.ctx.config.token_ttl_minutes;
    const access_token = this.sign({
      sub: String(key.merchant_id),
      kid: key.id,
      typ: 'access',
      iat: now_s,
      exp: now_s + ttl_minutes * 60,
    });
    return { access_token, expires_in: ttl_minutes };
  }

  /** Resolve an Authorization header to the merchant, or throw the documented 401. */
  async authenticate(header: string | undefined): Promise<AuthContext> {
    if (header === undefined || header.trim() === '') throw unauthenticated(NOT_AUTHENTICATED);
    const token = bearerToken(header);
    if (token === undefined || token.length > TOKEN_LENGTH_MAX) throw unauthenticated(BAD_CREDENTIALS);
    const claims = this.decode(token);
    const row = await this.keyStatus(claims.kid);
    if (!row || row.revoked || String(row.merchant_id) !== claims.sub) throw unauthenticated(BAD_CREDENTIALS);
    return { merchant_id: row.merchant_id, api_key_id: row.api_key_id, verified: row.verification_status === 'VERIFIED' };
  }

  private decode(token: string): Claims {
    let claims: Claims;
    try {
      claims = this.verify(token);
    } catch {
      throw unauthenticated(BAD_CREDENTIALS);
    }
    const now_s = this.ctx.clock.now().getTime() / 1000;
    if (
      claims.typ !== 'access' ||
      typeof claims.sub !== 'string' ||
      !Number.isSafeInteger(claims.kid) ||
      typeof claims.exp !== 'number' ||
      claims.exp <= now_s
    ) {
      throw unauthenticated(BAD_CREDENTIALS);
    }
    return claims;
  }

  private async keyStatus(api_key_id: number): Promise<store.AuthRow | undefined> {
    const now_ms = Date.now();
    const hit = this.cache.get(api_key_id);
    if (hit && hit.until_ms > now_ms) return hit.row;
    const row = await store.findAuthContext(this.ctx.database.db, api_key_id);
    if (this.ctx.config.auth_cache_ttl_ms > 0) {
      if (this.cache.size >= AUTH_CACHE_ENTRIES_MAX) this.cache.clear();
      this.cache.set(api_key_id, { row, until_ms: now_ms + this.ctx.config.auth_cache_ttl_ms });
    }
    return row;
  }

  /**
   * A short-lived key for one execution's realtime stream (`expires_in` in SECONDS, as Dollr's).
   * It opens that stream only: the access-token check refuses its `typ`.
   */
  signRealtime(claims: { merchant_id: number; session_id: number; operation_type: string; reference_id: string }, ttl_s: number): string {
    const now_s = Math.floor(this.ctx.clock.now().getTime() / 1000);
    return this.sign({
      sub: String(claims.merchant_id),
      typ: 'realtime',
      sid: claims.session_id,
      op: claims.operation_type,
      ref: claims.reference_id,
      iat: now_s,
      exp: now_s + ttl_s,
    });
  }

  verifyRealtime(token: string): { merchant_id: number; session_id: number; operation_type: string; reference_id: string; exp_s: number } {
    let c: Claims;
    try {
      c = this.verify(token);
    } catch {
      throw unauthenticated(BAD_CREDENTIALS);
    }
    const now_s = this.ctx.clock.now().getTime() / 1000;
    if (c.typ !== 'realtime' || typeof c.exp !== 'number' || c.exp <= now_s || typeof c.ref !== 'string' || typeof c.op !== 'string') {
      throw unauthenticated(BAD_CREDENTIALS);
    }
    return { merchant_id: Number(c.sub), session_id: Number(c.sid), operation_type: c.op, reference_id: c.ref, exp_s: c.exp };
  }

  /** Drop cached key status (after a revoke or verification change made by this process). */
  forget(): void {
    this.cache.clear();
  }
}
