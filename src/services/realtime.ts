/**
 * Realtime status: Dollr hands a short-lived key to Supabase; we serve the stream ourselves.
 * A key is scoped to one merchant, one checkout session and one reference_id, and lives
 * REALTIME_KEY_TTL_S seconds (the stream it opens may not outlive it).
 */
import { SOURCE_TYPES } from '../domain/enums.js';
import { invalid } from '../domain/errors.js';
import { eventsAfter, type EventRow, findExecutionByReference } from '../store/executions.js';
import { findSession } from '../store/sessions.js';
import { watchStatus } from '../store/status-watches.js';
import type { AuthContext } from './auth.js';
import type { Services } from './index.js';

export const REALTIME_KEY_TTL_S = 300;

export async function issueCollectionKey(
  s: Services,
  auth: AuthContext,
  body: { session_id: number; source_type: string; reference_id: string },
): Promise<{ access_token: string; expires_in: number }> {
  if (!(SOURCE_TYPES as readonly string[]).includes(body.source_type)) {
    throw invalid(['body', 'source_type'], `${body.source_type} is not supported; use INVOICE or ORDER`, 'value_error.not_supported');
  }
  const session = await findSession(s.ctx.database.db, auth.merchant_id, body.session_id);
  if (!session || session.kind !== 'CHECKOUT') throw invalid(['body', 'session_id'], `checkout session ${body.session_id} not found`, 'value_error.not_found');
  if (session.source_type !== body.source_type) {
    throw invalid(['body', 'source_type'], `session ${session.id} is for an ${session.source_type}, not an ${body.source_type}`, 'value_error.mismatch');
  }
  const reference_id = body.reference_id.toLowerCase();
  // From now until the key expires, the collection's changes are announced to the streams (the
  // execution may not exist yet: keys are usually asked for before paying).
  await watchStatus(s.ctx.database.db, {
    merchant_id: auth.merchant_id,
    operation_type: 'COLLECTION',
    reference_id,
    expires_at: new Date(s.ctx.clock.now().getTime() + REALTIME_KEY_TTL_S * 1000),
  });
  const access_token = s.auth.signRealtime({ merchant_id: auth.merchant_id, session_id: session.id, operation_type: 'COLLECTION', reference_id }, REALTIME_KEY_TTL_S);
  return { access_token, expires_in: REALTIME_KEY_TTL_S };
}

/**
 * The status events of the execution a realtime key watches, after the last one sent — each a
 * snapshot of the ExecutionResponse at that change, so a stream shows PENDING → PROCESSING →
 * COMPLETED even when the changes follow each other faster than it reads.
 */
export async function watchedEvents(
  s: Services,
  key: { merchant_id: number; operation_type: string; reference_id: string },
  cursor: { execution_id?: number; after_id: number },
): Promise<EventRow[]> {
  if (cursor.execution_id === undefined) {
    const row = await findExecutionByReference(s.ctx.database.db, key.merchant_id, key.operation_type, key.reference_id);
    if (!row) return [];
    cursor.execution_id = row.id;
  }
  return eventsAfter(s.ctx.database.db, cursor.execution_id, cursor.after_id);
}
