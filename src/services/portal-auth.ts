/**
 * Portal users and their sign-in sessions (merchant owners and platform operators).
 *
 * - Passwords are stored only as scrypt hashes (crypto.ts); an unknown email costs the same time
 *   as a wrong password. PORTAL_LOGIN_ATTEMPTS_MAX wrong passwords in a row lock the account for
 *   PORTAL_LOCK_MS.
 * - A session is a random 32-byte cookie value; the database keeps only its SHA-256, so a leaked
 *   table does not open sessions. Sessions end after PORTAL_SESSION_TTL_MS, or PORTAL_IDLE_MS
 *   without use, or at sign-out. Each carries its own CSRF synchronizer token.
 * Time comes from the injected clock, like every other expiry.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError, invalid } from '../domain/errors.js';
import * as store from '../store/portal.js';
import { findMerchant } from '../store/merchants.js';
import type { Ctx } from './context.js';
import { hashSecret, randomToken, verifySecret } from './crypto.js';

export const PORTAL_ROLES = ['owner', 'operator'] as const;
export type PortalRole = (typeof PORTAL_ROLES)[number];

export const PORTAL_LOGIN_ATTEMPTS_MAX = 5;
export const PORTAL_LOCK_MS = 15 * 60_000;
export const PORTAL_SESSION_TTL_MS = 12 * 60 * 60_000;
export const PORTAL_IDLE_MS = 2 * 60 * 60_000;
/** last_seen_at is written at most this often (not on every page view). */
const TOUCH_EVERY_MS = 60_000;
export const PASSWORD_LENGTH_MIN = 10;
export const PASSWORD_LENGTH_MAX = 200;
const EMAIL_LENGTH_MAX = 254;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SESSION_TOKEN_BYTES = 32;

export type PortalUser = store.PortalUserRow;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time comparison of two tokens (CSRF), false on any length mismatch. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function checkPassword(password: string, field = 'password'): void {
  if (password.length < PASSWORD_LENGTH_MIN) throw invalid([field], `password must be at least ${PASSWORD_LENGTH_MIN} characters`);
  if (password.length > PASSWORD_LENGTH_MAX) throw invalid([field], `password must be at most ${PASSWORD_LENGTH_MAX} characters`);
}

export function normalizeEmail(email: string, field = 'email'): string {
  const e = email.trim();
  if (e.length > EMAIL_LENGTH_MAX || !EMAIL_RE.test(e)) throw invalid([field], 'enter an email address like name@example.com');
  return e;
}

export interface CreatePortalUserInput {
  email: string;
  password: string;
  role: PortalRole;
  merchant_id?: number | null | undefined;
}

/** A merchant owner (merchant_id set) or an operator (none). Emails are unique, case-insensitively. */
export async function createPortalUser(ctx: Ctx, input: CreatePortalUserInput): Promise<PortalUser> {
  const email = normalizeEmail(input.email);
  checkPassword(input.password);
  if (!PORTAL_ROLES.includes(input.role)) throw invalid(['role'], `role must be one of ${PORTAL_ROLES.join(', ')}`);
  const merchant_id = input.role === 'operator' ? null : (input.merchant_id ?? null);
  if (input.role === 'owner') {
    if (merchant_id === null) throw invalid(['merchant_id'], 'a merchant user needs a merchant');
    if (!(await findMerchant(ctx.database.db, merchant_id))) throw invalid(['merchant_id'], `merchant ${merchant_id} not found`);
  }
  const password_hash = await hashSecret(input.password);
  const at = ctx.clock.now();
  const row = await store.insertPortalUser(ctx.database.db, { email, password_hash, role: input.role, merchant_id, created_at: at, updated_at: at });
  if (!row) throw invalid(['email'], `a portal user with email ${email} already exists`, 'value_error.duplicate');
  return row;
}

export class SignInRefused extends DomainError {
  constructor(msg: string) {
    super('unauthenticated', msg);
  }
}

export const WRONG_CREDENTIALS = 'Wrong email or password.';

function lockedMessage(until: Date): string {
  return `Too many wrong passwords: this account is locked until ${until.toISOString().replace('T', ' ').slice(0, 16)} UTC.`;
}

/**
 * Check a password against a user, counting the failure toward the lock. The attempt is reserved
 * in the database before the slow hash runs, so guesses sent all at once are checked at most
 * PORTAL_LOGIN_ATTEMPTS_MAX times; the rest meet the lock.
 */
async function verifyPassword(ctx: Ctx, user: PortalUser | undefined, password: string): Promise<PortalUser> {
  const now = ctx.clock.now();
  if (!user) {
    // Pay for one scrypt all the same, so an unknown email answers as slowly as a wrong password.
    await verifySecret(password, undefined);
    throw new SignInRefused(WRONG_CREDENTIALS);
  }
  if (user.locked_until && user.locked_until.getTime() > now.getTime()) throw new SignInRefused(lockedMessage(user.locked_until));
  const reserved = await store.reserveLoginAttempt(ctx.database.db, user.id, PORTAL_LOGIN_ATTEMPTS_MAX, now);
  if (!reserved) {
    const current = await store.findPortalUser(ctx.database.db, user.id);
    const until = current?.locked_until && current.locked_until.getTime() > now.getTime() ? current.locked_until : new Date(now.getTime() + PORTAL_LOCK_MS);
    throw new SignInRefused(lockedMessage(until));
  }
  if (await verifySecret(password, reserved.password_hash)) {
    await store.clearFailedLogins(ctx.database.db, user.id, now);
    return reserved;
  }
  const locked = reserved.failed_logins >= PORTAL_LOGIN_ATTEMPTS_MAX;
  if (locked) await store.lockLogin(ctx.database.db, user.id, new Date(now.getTime() + PORTAL_LOCK_MS), now);
  ctx.log.warn({ portal_user_id: user.id, locked }, 'portal sign-in refused');
  if (locked) throw new SignInRefused(lockedMessage(new Date(now.getTime() + PORTAL_LOCK_MS)));
  throw new SignInRefused(WRONG_CREDENTIALS);
}

export interface IssuedSession {
  /** The cookie value: shown to the browser once, never stored. */
  token: string;
  user: PortalUser;
  csrf_token: string;
}

/** Email + password → a new session (a new random token every time: no session fixation). */
export async function signIn(ctx: Ctx, email: string, password: string): Promise<IssuedSession> {
  const user = await verifyPassword(ctx, await store.findPortalUserByEmail(ctx.database.db, email.trim().slice(0, EMAIL_LENGTH_MAX)), password.slice(0, PASSWORD_LENGTH_MAX));
  const now = ctx.clock.now();
  const token = randomToken(SESSION_TOKEN_BYTES);
  const csrf_token = randomToken(SESSION_TOKEN_BYTES);
  await ctx.database.transaction(async (tx) => {
    await store.recordLogin(tx, user.id, now);
    await store.deleteEndedSessions(tx, user.id, now, new Date(now.getTime() - PORTAL_IDLE_MS));
    await store.insertSession(tx, {
      token_hash: sha256(token),
      user_id: user.id,
      csrf_token,
      created_at: now,
      expires_at: new Date(now.getTime() + PORTAL_SESSION_TTL_MS),
      last_seen_at: now,
    });
  });
  return { token, user, csrf_token };
}

export interface ActiveSession {
  user: PortalUser;
  csrf_token: string;
  token_hash: string;
}

/** The session a cookie names, if it is still alive (ended ones are deleted on sight). */
export async function resolveSession(ctx: Ctx, token: string | undefined): Promise<ActiveSession | undefined> {
  if (!token || token.length > 128) return undefined;
  const token_hash = sha256(token);
  const found = await store.findSessionWithUser(ctx.database.db, token_hash);
  if (!found) return undefined;
  const now = ctx.clock.now().getTime();
  const { session, user } = found;
  if (session.expires_at.getTime() <= now || session.last_seen_at.getTime() + PORTAL_IDLE_MS <= now) {
    await store.deleteSession(ctx.database.db, token_hash);
    return undefined;
  }
  if (now - session.last_seen_at.getTime() >= TOUCH_EVERY_MS) await store.touchSession(ctx.database.db, token_hash, new Date(now));
  return { user, csrf_token: session.csrf_token, token_hash };
}

export async function signOut(ctx: Ctx, token_hash: string): Promise<void> {
  await store.deleteSession(ctx.database.db, token_hash);
}

/** Re-enter the password before a sensitive change (payout passcode); failures count toward the lock. */
export async function confirmPassword(ctx: Ctx, user: PortalUser, password: string): Promise<void> {
  const fresh = await store.findPortalUser(ctx.database.db, user.id);
  try {
    await verifyPassword(ctx, fresh, password.slice(0, PASSWORD_LENGTH_MAX));
  } catch (err) {
    if (err instanceof SignInRefused) throw invalid(['current_password'], err.detail as string);
    throw err;
  }
}
