/**
 * Signed webhooks (beyond Dollr, which has none). Events are written in the same transaction as
 * the status change that causes them (an outbox), one delivery per subscribed endpoint, each
 * delivered by the worker — at least once, with exponential backoff for up to 3 days — so a slow
 * or dead endpoint never blocks the API.
 *
 *   Dollr-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 */
import { createHmac } from 'node:crypto';
import { invalid, notFound } from '../domain/errors.js';
import { enqueueJob } from '../store/jobs.js';
import type { Executor } from '../store/db.js';
import type { ExecutionRow } from '../store/executions.js';
import * as store from '../store/webhooks.js';
import type { AuthContext } from './auth.js';
import type { Ctx } from './context.js';
import { randomToken } from './crypto.js';
import { toExecutionResponse } from './execution-view.js';

export const EVENT_TYPES = ['execution.processing', 'execution.completed', 'execution.failed', 'source.paid'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const SIGNATURE_HEADER = 'dollr-signature';
export const DELIVER_QUEUE = 'webhook.deliver';
export const ENDPOINTS_PER_MERCHANT_MAX = 16;
export const DELIVERY_WINDOW_MS = 3 * 24 * 60 * 60_000;
export const DELIVERY_TIMEOUT_MS = 10_000;
const RESPONSE_EXCERPT_MAX = 500;
/** Waits after the 1st, 2nd, … failed attempt; the last repeats until the 3-day window closes. */
const RETRY_DELAYS_MS = [10_000, 60_000, 5 * 60_000, 30 * 60_000, 60 * 60_000, 2 * 3600_000, 4 * 3600_000, 8 * 3600_000, 12 * 3600_000];
const JOB_ATTEMPTS_MAX = 40;

export function sign(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, t: number, body: string): string {
  return `t=${t},v1=${sign(secret, t, body)}`;
}

function validUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !!u.hostname && !u.username && !u.password;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

export function endpointView(e: store.EndpointRow) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    enabled_events: e.enabled_events as string[],
    status: e.status,
    created_at: e.created_at,
  };
}

export async function createEndpoint(ctx: Ctx, auth: AuthContext, body: { url: string; description?: string | undefined; enabled_events?: string[] | undefined }) {
  if (!validUrl(body.url)) throw invalid(['body', 'url'], 'url must be an http(s) URL without credentials', 'value_error.url');
  const events = body.enabled_events?.length ? [...new Set(body.enabled_events)] : ['*'];
  for (const [i, t] of events.entries()) {
    if (t !== '*' && !(EVENT_TYPES as readonly string[]).includes(t)) {
      throw invalid(['body', 'enabled_events', i], `unknown event type ${t}; use ${EVENT_TYPES.join(', ')} or *`, 'type_error.enum');
    }
  }
  const now = ctx.clock.now();
  return ctx.database.transaction(async (tx) => {
    if ((await store.countEndpoints(tx, auth.merchant_id)) >= ENDPOINTS_PER_MERCHANT_MAX) {
      throw invalid(['body', 'url'], `at most ${ENDPOINTS_PER_MERCHANT_MAX} endpoints per merchant; delete one first`, 'value_error.limit');
    }
    const secret = `whsec_${randomToken(24)}`;
    const row = await store.insertEndpoint(tx, {
      merchant_id: auth.merchant_id,
      url: body.url,
      description: body.description ?? '',
      secret,
      enabled_events: events,
      status: 'enabled',
      created_at: now,
      updated_at: now,
    });
    return { ...endpointView(row), secret }; // the only time the secret is shown
  });
}

export async function listEndpoints(ctx: Ctx, auth: AuthContext) {
  return (await store.listEndpoints(ctx.database.db, auth.merchant_id)).map(endpointView);
}

export async function deleteEndpoint(ctx: Ctx, auth: AuthContext, id: number): Promise<void> {
  if (!(await store.softDeleteEndpoint(ctx.database.db, auth.merchant_id, id, ctx.clock.now()))) throw notFound();
}

export async function listDeliveries(ctx: Ctx, auth: AuthContext, endpoint_id: number, page: { limit: number; starting_after?: number | undefined }) {
  if (!(await store.findEndpoint(ctx.database.db, auth.merchant_id, endpoint_id))) throw notFound();
  const list = await store.listDeliveries(ctx.database.db, auth.merchant_id, endpoint_id, page.limit, page.starting_after);
  return list.map((d) => ({
    id: d.id,
    event_id: d.event_id,
    event_type: d.type,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    last_attempt_at: d.last_attempt_at,
    next_attempt_at: d.next_attempt_at,
    created_at: d.created_at,
  }));
}

export async function deliveryAttempts(ctx: Ctx, auth: AuthContext, delivery_id: number) {
  const found = await store.findDelivery(ctx.database.db, delivery_id);
  if (!found || found.delivery.merchant_id !== auth.merchant_id) throw notFound();
  return store.listAttempts(ctx.database.db, delivery_id, 100);
}

/** Send a delivery again now, whatever its state (the receiver must accept duplicates anyway). */
export async function replayDelivery(ctx: Ctx, auth: AuthContext, delivery_id: number) {
  const found = await store.findDelivery(ctx.database.db, delivery_id);
  if (!found || found.delivery.merchant_id !== auth.merchant_id || found.endpoint.deleted_at) throw notFound();
  const now = ctx.clock.now();
  await ctx.database.transaction(async (tx) => {
    await store.updateDelivery(tx, delivery_id, { status: 'pending', next_attempt_at: now, updated_at: now });
    await enqueueJob(tx, { queue: DELIVER_QUEUE, payload: { delivery_id, replay: true }, run_at: now, max_attempts: 1, dedupe_key: `replay:${delivery_id}` }, now);
  });
  return { id: delivery_id, status: 'pending' };
}

// ---------------------------------------------------------------------------------------------
// Events (called inside the transaction that changes the status)
// ---------------------------------------------------------------------------------------------

async function emit(ex: Executor, merchant_id: number, type: EventType, dedupe_key: string, data: Record<string, unknown>, now: Date): Promise<void> {
  const endpoints = await store.subscribedEndpoints(ex, merchant_id, type);
  if (endpoints.length === 0) return;
  const event = await store.insertEvent(ex, { merchant_id, type, dedupe_key, payload: data, created_at: now });
  if (!event) return; // this fact was already announced
  for (const endpoint of endpoints) {
    const delivery = await store.insertDelivery(ex, {
      merchant_id,
      event_id: event.id,
      endpoint_id: endpoint.id,
      status: 'pending',
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    });
    await enqueueJob(ex, { queue: DELIVER_QUEUE, payload: { delivery_id: delivery.id }, run_at: now, max_attempts: JOB_ATTEMPTS_MAX, dedupe_key: `delivery:${delivery.id}` }, now);
  }
}

const EXECUTION_EVENT: Partial<Record<string, EventType>> = {
  PROCESSING: 'execution.processing',
  COMPLETED: 'execution.completed',
  FAILED: 'execution.failed',
};

/** The events an execution's new status announces (and source.paid when a collection settles an invoice). */
export async function emitExecutionEvents(ex: Executor, row: ExecutionRow, now: Date): Promise<void> {
  const type = EXECUTION_EVENT[row.status];
  if (!type) return;
  await emit(ex, row.merchant_id, type, `execution:${row.id}:${row.status}`, { object: 'execution', payment_intent_id: row.id, ...toExecutionResponse(row) }, now);
  if (row.status === 'COMPLETED' && row.operation_type === 'COLLECTION' && row.source_id && row.source_type) {
    await emit(ex, row.merchant_id, 'source.paid', `source:${row.source_id}:paid`, { object: 'source', source_type: row.source_type, source_id: row.source_id, payment_intent_id: row.id, reference_id: row.reference_id, paid_at: now.toISOString() }, now);
  }
}

// ---------------------------------------------------------------------------------------------
// Delivery (the worker's job handler)
// ---------------------------------------------------------------------------------------------

export function eventBody(event: store.EventRow): string {
  return JSON.stringify({ id: `evt_${event.id}`, type: event.type, created_at: event.created_at.toISOString(), data: event.payload });
}

export function nextRetryAt(first_attempt_at: Date, attempts: number, now: Date): Date | undefined {
  const delay = RETRY_DELAYS_MS[Math.min(attempts - 1, RETRY_DELAYS_MS.length - 1)]!;
  const at = new Date(now.getTime() + delay);
  return at.getTime() - first_attempt_at.getTime() > DELIVERY_WINDOW_MS ? undefined : at;
}

export async function deliver(ctx: Ctx, payload: { delivery_id?: unknown; replay?: unknown }): Promise<{ retry_at?: Date; give_up?: string } | void> {
  const delivery_id = Number(payload.delivery_id);
  const found = await store.findDelivery(ctx.database.db, delivery_id);
  if (!found) return { give_up: 'delivery not found' };
  const { delivery, event, endpoint } = found;
  if (delivery.status === 'succeeded' && !payload.replay) return;
  const started = ctx.clock.now();
  if (endpoint.deleted_at || endpoint.status !== 'enabled') {
    await store.updateDelivery(ctx.database.db, delivery.id, { status: 'failed', last_error: 'endpoint deleted or disabled', next_attempt_at: null, updated_at: started });
    return;
  }
  const body = eventBody(event);
  const t = Math.floor(started.getTime() / 1000);
  let status_code: number | null = null;
  let error: string | null = null;
  let excerpt: string | null = null;
  const t0 = performance.now();
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Dollr-Webhooks/1.0',
        [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, t, body),
        'dollr-event-id': `evt_${event.id}`,
        'dollr-delivery-id': String(delivery.id),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    status_code = res.status;
    excerpt = (await res.text().catch(() => '')).slice(0, RESPONSE_EXCERPT_MAX);
  } catch (err) {
    error = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, RESPONSE_EXCERPT_MAX);
  }
  const duration_ms = Math.round(performance.now() - t0);
  const now = ctx.clock.now();
  const ok = status_code !== null && status_code >= 200 && status_code < 300;
  const attempts = delivery.attempts + 1;
  await ctx.database.transaction(async (tx) => {
    await store.insertAttempt(tx, { delivery_id: delivery.id, attempted_at: started, status_code, duration_ms, error, response_excerpt: excerpt });
    if (ok) {
      await store.updateDelivery(tx, delivery.id, { status: 'succeeded', attempts, last_attempt_at: started, last_status_code: status_code, last_error: null, next_attempt_at: null, updated_at: now });
      return;
    }
    const retry = payload.replay ? undefined : nextRetryAt(delivery.created_at, attempts, now);
    await store.updateDelivery(tx, delivery.id, {
      status: retry ? 'pending' : 'failed',
      attempts,
      last_attempt_at: started,
      last_status_code: status_code,
      last_error: error ?? `HTTP ${status_code}`,
      next_attempt_at: retry ?? null,
      updated_at: now,
    });
  });
  if (ok) return;
  const retry = payload.replay ? undefined : nextRetryAt(delivery.created_at, attempts, now);
  return retry ? { retry_at: retry } : undefined;
}
