/**
 * The merchant portal's use cases: everything is read and changed for the signed-in user's own
 * merchant (its id comes from the session, never from the request), through the same services
 * the API uses where one exists.
 */
import { EXECUTION_STATUSES, OPERATION_TYPES } from '../domain/enums.js';
import { invalid, notFound, Problems } from '../domain/errors.js';
import type { AuthContext } from './auth.js';
import type { AuthService } from './auth.js';
import type { Ctx } from './context.js';
import { confirmPassword, type PortalUser } from './portal-auth.js';
import { findMerchant, listApiKeys, listMerchants, type MerchantRow } from '../store/merchants.js';
import { findMerchantExecution, listExecutionEvents, listExecutions, type ExecutionFilter } from '../store/portal.js';
import { issueApiKey, revokeApiKey, setPasscode } from './merchants.js';
import { findApiKeyByClientId } from '../store/merchants.js';

export const PORTAL_PAGE_SIZE = 50;
const LABEL_LENGTH_MAX = 100;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The merchant a portal owner acts for; an operator has none. */
export async function ownerContext(ctx: Ctx, user: PortalUser): Promise<{ auth: AuthContext; merchant: MerchantRow }> {
  if (user.role !== 'owner' || user.merchant_id === null) throw notFound();
  const merchant = await findMerchant(ctx.database.db, user.merchant_id);
  if (!merchant) throw new Error(`assertion: portal user ${user.id} names missing merchant ${user.merchant_id}`);
  return { auth: { merchant_id: merchant.id, api_key_id: 0, verified: merchant.verification_status === 'VERIFIED' }, merchant };
}

export async function apiKeysOf(ctx: Ctx, merchant_id: number) {
  return (await listApiKeys(ctx.database.db, merchant_id)).map((k) => ({ client_id: k.client_id, label: k.label, created_at: k.created_at, revoked_at: k.revoked_at }));
}

export async function createApiKey(ctx: Ctx, merchant_id: number, label: string) {
  const text = label.trim();
  if (text.length > LABEL_LENGTH_MAX) throw invalid(['label'], `label must be at most ${LABEL_LENGTH_MAX} characters`);
  return issueApiKey(ctx, merchant_id, { label: text });
}

/** Revoke one of this merchant's keys (another merchant's client_id is simply not found). */
export async function revokeOwnApiKey(ctx: Ctx, auth: AuthService, merchant_id: number, client_id: string) {
  const key = await findApiKeyByClientId(ctx.database.db, client_id);
  if (!key || key.merchant_id !== merchant_id) throw notFound();
  if (key.revoked_at) return key;
  const row = await revokeApiKey(ctx, client_id);
  auth.forget(); // this instance stops honouring its tokens at once; others within AUTH_CACHE_TTL_MS
  return row;
}

/** Set or change the payout passcode, bound to a phone; the user re-enters the portal password first. */
export async function changePasscode(ctx: Ctx, user: PortalUser, merchant_id: number, input: { current_password: string; code: string; phone: string }) {
  await confirmPassword(ctx, user, input.current_password);
  await setPasscode(ctx, merchant_id, input.code.trim(), input.phone.trim());
}

export interface ExecutionQuery {
  status?: string | undefined;
  operation?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  before?: string | undefined;
}

function day(text: string, field: string, problems: Problems): Date | undefined {
  if (!DATE_RE.test(text) || Number.isNaN(new Date(`${text}T00:00:00Z`).getTime())) {
    problems.add(['query', field], 'use a date like 2026-01-31', 'value_error.date');
    return undefined;
  }
  return new Date(`${text}T00:00:00Z`);
}

/** Executions newest first, filtered by status, operation and UTC day range (`to` inclusive). */
export async function executionsPage(ctx: Ctx, merchant_id: number, q: ExecutionQuery) {
  const problems = new Problems();
  const filter: ExecutionFilter = {};
  if (q.status) {
    if ((EXECUTION_STATUSES as readonly string[]).includes(q.status)) filter.status = q.status;
    else problems.add(['query', 'status'], `status must be one of ${EXECUTION_STATUSES.join(', ')}`, 'type_error.enum');
  }
  if (q.operation) {
    if ((OPERATION_TYPES as readonly string[]).includes(q.operation)) filter.operation_type = q.operation;
    else problems.add(['query', 'operation'], `operation must be one of ${OPERATION_TYPES.join(', ')}`, 'type_error.enum');
  }
  if (q.from) filter.from = day(q.from, 'from', problems);
  if (q.to) {
    const to = day(q.to, 'to', problems);
    if (to) filter.to = new Date(to.getTime() + 86_400_000);
  }
  let before: number | undefined;
  if (q.before) {
    before = Number(q.before);
    if (!Number.isSafeInteger(before) || before < 1) problems.add(['query', 'before'], 'before must be an id', 'type_error.integer');
  }
  problems.throwIfAny();
  const rows = await listExecutions(ctx.database.db, merchant_id, filter, { limit: PORTAL_PAGE_SIZE + 1, before });
  const items = rows.slice(0, PORTAL_PAGE_SIZE);
  return { items, next_before: rows.length > PORTAL_PAGE_SIZE ? items[items.length - 1]!.id : null };
}

export async function executionDetail(ctx: Ctx, merchant_id: number, id: number) {
  const execution = await findMerchantExecution(ctx.database.db, merchant_id, id);
  if (!execution) throw notFound();
  return { execution, events: await listExecutionEvents(ctx.database.db, merchant_id, id) };
}

/** Operator: every merchant (bounded). */
export const MERCHANTS_LIST_MAX = 500;
export async function allMerchants(ctx: Ctx) {
  return listMerchants(ctx.database.db, MERCHANTS_LIST_MAX);
}
