/** Queries for webhook endpoints, events (the outbox), deliveries and their attempts. */
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import { type Executor, rows } from './db.js';
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from './schema.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type EventRow = typeof webhookEvents.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

export async function insertEndpoint(ex: Executor, values: typeof webhookEndpoints.$inferInsert): Promise<EndpointRow> {
  const [row] = await ex.insert(webhookEndpoints).values(values).returning();
  return row!;
}

export async function listEndpoints(ex: Executor, merchant_id: number): Promise<EndpointRow[]> {
  return ex
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.merchant_id, merchant_id), isNull(webhookEndpoints.deleted_at)))
    .orderBy(webhookEndpoints.id);
}

export async function countEndpoints(ex: Executor, merchant_id: number): Promise<number> {
  const [r] = await rows<{ n: number }>(ex, sql`select count(*)::int as n from webhook_endpoints where merchant_id = ${merchant_id} and deleted_at is null`);
  return Number(r?.n ?? 0);
}

export async function findEndpoint(ex: Executor, merchant_id: number, id: number): Promise<EndpointRow | undefined> {
  const [row] = await ex
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.merchant_id, merchant_id), isNull(webhookEndpoints.deleted_at)));
  return row;
}

export async function softDeleteEndpoint(ex: Executor, merchant_id: number, id: number, at: Date): Promise<boolean> {
  const r = await ex
    .update(webhookEndpoints)
    .set({ deleted_at: at, status: 'disabled', updated_at: at })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.merchant_id, merchant_id), isNull(webhookEndpoints.deleted_at)))
    .returning({ id: webhookEndpoints.id });
  return r.length === 1;
}

/** The merchant's live endpoints that want an event type (one indexed read per status change). */
export async function subscribedEndpoints(ex: Executor, merchant_id: number, type: string): Promise<EndpointRow[]> {
  return ex
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.merchant_id, merchant_id),
        isNull(webhookEndpoints.deleted_at),
        eq(webhookEndpoints.status, 'enabled'),
        sql`(${webhookEndpoints.enabled_events} @> '["*"]'::jsonb or ${webhookEndpoints.enabled_events} @> ${JSON.stringify([type])}::jsonb)`,
      ),
    );
}

/** Insert an event once per fact; undefined when it was already recorded. */
export async function insertEvent(ex: Executor, values: typeof webhookEvents.$inferInsert): Promise<EventRow | undefined> {
  const [row] = await ex.insert(webhookEvents).values(values).onConflictDoNothing().returning();
  return row;
}

export async function insertDelivery(ex: Executor, values: typeof webhookDeliveries.$inferInsert): Promise<DeliveryRow> {
  const [row] = await ex.insert(webhookDeliveries).values(values).returning();
  return row!;
}

export async function findDelivery(ex: Executor, id: number): Promise<{ delivery: DeliveryRow; event: EventRow; endpoint: EndpointRow } | undefined> {
  const [row] = await ex
    .select({ delivery: webhookDeliveries, event: webhookEvents, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.event_id))
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpoint_id))
    .where(eq(webhookDeliveries.id, id));
  return row;
}

export async function updateDelivery(ex: Executor, id: number, values: Partial<typeof webhookDeliveries.$inferInsert>): Promise<void> {
  await ex.update(webhookDeliveries).set(values).where(eq(webhookDeliveries.id, id));
}

export async function insertAttempt(ex: Executor, values: typeof webhookAttempts.$inferInsert): Promise<void> {
  await ex.insert(webhookAttempts).values(values);
}

export async function listDeliveries(ex: Executor, merchant_id: number, endpoint_id: number, limit: number, starting_after?: number): Promise<(DeliveryRow & { type: string })[]> {
  const list = await ex
    .select({ delivery: webhookDeliveries, type: webhookEvents.type })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.event_id))
    .where(
      and(
        eq(webhookDeliveries.merchant_id, merchant_id),
        eq(webhookDeliveries.endpoint_id, endpoint_id),
        starting_after !== undefined ? lt(webhookDeliveries.id, starting_after) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
  return list.map((r) => ({ ...r.delivery, type: r.type }));
}

export async function listAttempts(ex: Executor, delivery_id: number, limit: number): Promise<AttemptRow[]> {
  return ex.select().from(webhookAttempts).where(eq(webhookAttempts.delivery_id, delivery_id)).orderBy(desc(webhookAttempts.id)).limit(limit);
}
