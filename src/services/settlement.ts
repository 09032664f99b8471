/**
 * Settlement: talking to carriers and applying what they say. Every status change of an execution
 * and its ledger postings commit in one transaction, with the execution row locked, and only a
 * change from an open status applies side effects — so a duplicate callback, a racing poller or a
 * retried request can never move money twice.
 *
 * The carrier is never called inside a database transaction (no lock is held across the wire).
 */
import type { Gateway as GatewayName } from '../providers/types.js';
import { collectionPostings, isFinal, payoutSettlePostings, refundSettlePostings, releasePostings } from '../domain/executions.js';
import type { ExecutionStatus, PaymentMethod } from '../domain/enums.js';
import { AccountBook, PlatformAccount, POSTING_SETS_PER_STATEMENT_MAX, type PostInput, postTransactions } from '../ledger/ledger.js';
import { type CarrierConnector, type CarrierRequest, type CarrierResult, CarrierUnavailable, carrierKey } from '../providers/types.js';
import { indexPlans, together, type Tx } from '../store/db.js';
import { afterMove, type ExecutionRow, findExecution, findExecutionByCarrierKey, lockExecutionsForSettlement, type Move, moveExecutions, type NewExecution, releaseRefundable, updateExecution } from '../store/executions.js';
import { type GroupCommit, type Outcome, rounds } from '../store/group-commit.js';
import { findPaymentAccount } from '../store/payment-accounts.js';
import type { Ctx } from './context.js';
import { STATUS_CHANNEL } from './events.js';
import { toExecutionResponse } from './execution-view.js';
import { emitExecutionEvents } from './webhooks.js';

export const CARRIER_TIMEOUT_MS = 10_000;
/** How long the request that created an execution owns its first carrier call before reconciliation may take over. */
export const INITIATE_LEASE_MS = 30_000;
const POLL_BASE_MS = 5_000;
const POLL_MAX_MS = 5 * 60_000;
/** Initiate attempts on an unreachable carrier before we give up (only when the carrier confirms it never got the request). */
export const INITIATE_ATTEMPTS_MAX = 8;

export interface Carriers {
  for(gateway: GatewayName): CarrierConnector | undefined;
}

export interface SettlementDeps {
  ctx: Ctx;
  carriers: Carriers;
  book: AccountBook;
  /** Carrier answers waiting to be applied, a batch per transaction (applyBatch). */
  applies: GroupCommit<ApplyUnit, ExecutionRow>;
  /** Called after every committed status change (realtime stream, webhooks). */
  onStatusChange?: (row: ExecutionRow) => void;
}

export function backoffMs(attempts: number, hint_ms?: number): number {
  const exp = Math.min(POLL_MAX_MS, POLL_BASE_MS * 2 ** Math.min(attempts, 10));
  return Math.max(exp, hint_ms ?? 0);
}

function gatewayOf(row: ExecutionRow): GatewayName | undefined {
  return row.provider === 'STRIPE' || row.provider === 'PAWAPAY' || row.provider === 'PLATFORM' ? row.provider : undefined;
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CarrierUnavailable(`carrier did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What we send the carrier for an execution (rebuilt identically on every retry). */
async function carrierRequest(d: SettlementDeps, row: ExecutionRow, hint: CarrierHint = {}): Promise<CarrierRequest> {
  const op = row.operation_type === 'COLLECTION' ? 'collection' : row.operation_type === 'PAYOUT' ? 'payout' : 'refund';
  let msisdn = hint.msisdn;
  if (msisdn === undefined && row.payment_account_id) {
    const account = await findPaymentAccount(d.ctx.database.db, row.merchant_id, row.payment_account_id);
    msisdn = account?.account_number ?? undefined;
  }
  let original_key: string | undefined;
  if (row.operation_type === 'REFUND' && row.original_execution_id) {
    const original = await findExecution(d.ctx.database.db, row.original_execution_id);
    if (original) original_key = carrierKey(original.merchant_id, original.operation_type, original.reference_id);
  }
  // Money that leaves: the carrier moves the payee's share; money that comes in: what the payer pays.
  const [amount_minor, currency] =
    row.operation_type === 'COLLECTION' ? [row.payer_amount_minor, row.payer_currency] : [row.payee_amount_minor, row.payee_currency];
  return {
    operation: op,
    idempotency_key: row.carrier_key ?? carrierKey(row.merchant_id, row.operation_type, row.reference_id),
    amount_minor,
    currency,
    method: row.method as PaymentMethod,
    msisdn,
    original_key,
    description: `${row.operation_type} ${row.reference_id}`,
  };
}

/** What the caller already knows of the carrier request (saves reading it again). */
export interface CarrierHint {
  msisdn?: string | undefined;
}

/** Send an execution to its carrier (first time, or resuming after a crash/timeout) and apply the answer. */
export async function initiate(d: SettlementDeps, row: ExecutionRow, hint: CarrierHint = {}): Promise<ExecutionRow> {
  const gateway = gatewayOf(row);
  const connector = gateway ? d.carriers.for(gateway) : undefined;
  if (!connector) throw new Error(`assertion: no carrier connector for ${row.provider}`);
  const req = await carrierRequest(d, row, hint);
  let result: CarrierResult;
  try {
    result = await withTimeout(connector.initiate(req), CARRIER_TIMEOUT_MS);
  } catch (err) {
    if (!(err instanceof CarrierUnavailable)) throw err;
    return noteUnreachable(d, row, err.message);
  }
  return apply(d, row.id, result);
}

/** Ask the carrier for the truth about an open execution; resume the initiate call if it never arrived. */
export async function reconcile(d: SettlementDeps, row: ExecutionRow): Promise<ExecutionRow> {
  if (isFinal(row.status as ExecutionStatus)) return row;
  const gateway = gatewayOf(row);
  const connector = gateway ? d.carriers.for(gateway) : undefined;
  if (!connector) return row;
  const op = row.operation_type === 'COLLECTION' ? 'collection' : row.operation_type === 'PAYOUT' ? 'payout' : 'refund';
  let result: CarrierResult;
  try {
    result = await withTimeout(connector.query(op, carrierKey(row.merchant_id, row.operation_type, row.reference_id)), CARRIER_TIMEOUT_MS);
  } catch (err) {
    if (!(err instanceof CarrierUnavailable)) throw err;
    return noteUnreachable(d, row, err.message);
  }
  if (result.state === 'not_found') {
    // The carrier never received it (we crashed, or it was unreachable): safe to send it now, same key.
    if (row.check_attempts >= INITIATE_ATTEMPTS_MAX) {
      return apply(d, row.id, { state: 'failed', failure_code: 'CARRIER_UNAVAILABLE', message: 'CARRIER_UNAVAILABLE: the carrier could not be reached; no money moved' });
    }
    return initiate(d, row);
  }
  return apply(d, row.id, result);
}

async function noteUnreachable(d: SettlementDeps, row: ExecutionRow, message: string): Promise<ExecutionRow> {
  const now = d.ctx.clock.now();
  await updateExecution(d.ctx.database.db, row.id, {
    check_attempts: row.check_attempts + 1,
    next_check_at: new Date(now.getTime() + backoffMs(row.check_attempts)),
    gateway_message: `Carrier unreachable, will retry: ${message}`.slice(0, 500),
    updated_at: now,
  });
  d.ctx.log.warn({ execution_id: row.id, attempts: row.check_attempts + 1 }, 'carrier unreachable');
  return (await findExecution(d.ctx.database.db, row.id))!;
}

/** A carrier answer about one execution, waiting to be applied in a batch (SettlementDeps.applies). */
export interface ApplyUnit {
  execution_id: number;
  result: CarrierResult;
}

/**
 * Apply a carrier answer to an execution: the answers that arrive together are applied in one
 * transaction (store/group-commit.ts), each execution row locked, effects only on a real change.
 * Resolves with the execution as it stands after the commit.
 */
export function apply(d: SettlementDeps, execution_id: number, result: CarrierResult): Promise<ExecutionRow> {
  return d.applies.submit({ execution_id, result });
}

/** The apply batch's function: rounds with one answer per execution, each round one transaction. */
export async function applyBatch(d: SettlementDeps, units: readonly ApplyUnit[]): Promise<Outcome<ExecutionRow>[]> {
  const outcomes: Outcome<ExecutionRow>[] = new Array(units.length);
  const runRound = async (round: readonly { item: ApplyUnit; index: number }[]) => {
    const { results, changed } = await d.ctx.database.transaction((tx) => applyRound(d, tx, round.map((r) => r.item)));
    round.forEach((r, i) => (outcomes[r.index] = { ok: true, value: results[i]! }));
    for (const row of changed) d.onStatusChange?.(row);
  };
  for (const round of rounds(units, (u) => [String(u.execution_id)])) {
    try {
      await runRound(round);
    } catch (err) {
      if (round.length === 1) {
        outcomes[round[0]!.index] = { ok: false, error: err };
        continue;
      }
      // Nothing of this round committed: each answer alone, so the failure stays with its cause.
      for (const r of round) {
        try {
          await runRound([r]);
        } catch (e) {
          outcomes[r.index] = { ok: false, error: e };
        }
      }
    }
  }
  return outcomes;
}

/**
 * One round: lock the executions (id order), decide each answer, move every changed execution
 * (with its event, announcement and source) in one statement, then post every posting set in one
 * statement — last, so a hot wallet row is locked only for the commit, once for the whole round.
 * The two statements travel in one packet (db.ts `together`): three round trips a round with the
 * commit.
 */
async function applyRound(d: SettlementDeps, tx: Tx, units: readonly ApplyUnit[]): Promise<{ results: ExecutionRow[]; changed: ExecutionRow[] }> {
  await indexPlans(d.ctx.database, tx);
  const now = d.ctx.clock.now();
  const locked = await lockExecutionsForSettlement(tx, units.map((u) => u.execution_id));
  const results: ExecutionRow[] = new Array(units.length);
  const moves: Move[] = [];
  const moving = new Map<number, { i: number; row: ExecutionRow; webhooks_enabled: boolean; moves_source: boolean }>();
  for (const [i, { execution_id, result }] of units.entries()) {
    const l = locked.get(execution_id);
    if (!l) throw new Error(`assertion: execution ${execution_id} vanished`);
    const { row } = l;
    results[i] = row;
    if (isFinal(row.status as ExecutionStatus)) continue; // late or duplicate news: nothing moves
    const base = {
      provider_transaction_id: result.provider_transaction_id ?? row.provider_transaction_id,
      gateway_message: result.message ?? row.gateway_message,
      updated_at: now,
    };
    let values: Partial<NewExecution> & { status: string; updated_at: Date };
    switch (result.state) {
      case 'completed':
        values = { ...base, status: 'COMPLETED', requires_action: false, completed_at: now, next_check_at: null, carrier_status: 'COMPLETED' };
        break;
      case 'failed':
        values = { ...base, status: 'FAILED', requires_action: false, failed_at: now, next_check_at: null, carrier_status: result.failure_code ?? 'FAILED' };
        break;
      case 'accepted':
      case 'requires_action': {
        const next = new Date(now.getTime() + backoffMs(row.check_attempts, result.retry_after_ms));
        if (row.status === 'PROCESSING') {
          // No news: push the next check out, no event.
          const pushed = { next_check_at: next, check_attempts: row.check_attempts + 1, updated_at: now };
          await updateExecution(tx, row.id, pushed);
          results[i] = { ...row, ...pushed };
          continue;
        }
        values = {
          ...base,
          status: 'PROCESSING',
          requires_action: result.state === 'requires_action',
          client_secret: result.client_secret ?? row.client_secret,
          carrier_status: result.state.toUpperCase(),
          next_check_at: next,
          check_attempts: row.check_attempts + 1,
          initiated_at: row.initiated_at ?? now,
        };
        break;
      }
      case 'not_found':
        continue;
    }
    const after = afterMove(row, values);
    const collection = row.operation_type === 'COLLECTION' && row.source_id !== null;
    const source =
      collection && values.status === 'COMPLETED'
        ? ({ id: row.source_id!, to: 'PAID', paid: true } as const)
        : collection && values.status === 'FAILED'
          ? ({ id: row.source_id!, to: 'ACTIVE', paid: false } as const)
          : null;
    moves.push({ id: row.id, from: ['PENDING', 'PROCESSING'], after, event: { message: after.gateway_message, detail: toExecutionResponse(after) }, source });
    moving.set(row.id, { i, row, webhooks_enabled: l.webhooks_enabled, moves_source: source !== null });
  }

  // Every planned move moves: its row is locked by this transaction and was read under the lock
  // (asserted below). So its webhook events and posting sets are made from the plan, and the moves
  // and the postings go to the database in one round trip (paced at 900/s a settlement batch took
  // 9 ms instead of 10.5–13). Anything short of every planned move throws and rolls the events and
  // postings back with the rest.
  const sets: PostInput[] = [];
  for (const mv of moves) {
    const m = moving.get(mv.id)!;
    await emitExecutionEvents(tx, mv.after, now, m.webhooks_enabled);
    if (mv.after.status === 'COMPLETED') sets.push(...(await completePostings(d, tx, m.row, now)));
    if (mv.after.status === 'FAILED') sets.push(...(await failPostings(d, tx, m.row, now)));
  }
  const postAll = async () => {
    for (let k = 0; k < sets.length; k += POSTING_SETS_PER_STATEMENT_MAX) await postTransactions(tx, sets.slice(k, k + POSTING_SETS_PER_STATEMENT_MAX));
  };
  const [movedRows] = await together(tx, () => moveExecutions(tx, moves, STATUS_CHANNEL), postAll);
  const changed: ExecutionRow[] = [];
  for (const moved of movedRows) {
    const m = moving.get(moved.id);
    if (!m) throw new Error('assertion: an execution moved that was not asked to');
    moving.delete(moved.id);
    if (m.moves_source && !moved.source_moved) {
      d.ctx.log.warn({ execution_id: moved.id, source_id: moved.source_id }, 'execution settled but its source was not PROCESSING');
    }
    results[m.i] = moved;
    changed.push(moved);
  }
  if (moving.size > 0) throw new Error('assertion: a locked open execution did not move');
  return { results, changed };
}

function wallet(d: SettlementDeps, tx: Tx, merchant_id: number, currency: string) {
  return d.book.wallet(tx, merchant_id, currency);
}

/** The money side of COMPLETED, by operation: the posting set to write. */
async function completePostings(d: SettlementDeps, tx: Tx, row: ExecutionRow, at: Date): Promise<PostInput[]> {
  const { book } = d;
  const g = row.provider ?? 'PLATFORM';
  switch (row.operation_type) {
    case 'COLLECTION': {
      const base = row.payee_currency;
      const payer = row.payer_currency;
      const w = await wallet(d, tx, row.merchant_id, base);
      const postings = collectionPostings(
        {
          carrier_clearing_payer: await book.platform(tx, PlatformAccount.carrierClearing(g), payer, at),
          carrier_clearing_base: await book.platform(tx, PlatformAccount.carrierClearing(g), base, at),
          wallet_available: w.available_account_id,
          platform_fee_revenue: await book.platform(tx, PlatformAccount.platformFeeRevenue, base, at),
          gateway_fees_payable: await book.platform(tx, PlatformAccount.gatewayFeesPayable(g), base, at),
          fx_revenue: await book.platform(tx, PlatformAccount.fxRevenue, base, at),
          fx_position_payer: await book.platform(tx, PlatformAccount.fxPosition, payer, at),
          fx_position_base: await book.platform(tx, PlatformAccount.fxPosition, base, at),
        },
        {
          base_currency: base,
          payer_currency: payer,
          payer_minor: row.payer_amount_minor,
          payee_minor: row.payee_amount_minor,
          gross_base_minor: row.payee_amount_minor + row.platform_fee_minor + row.gateway_fee_minor + row.fx_fee_minor,
          platform_fee_minor: row.platform_fee_minor,
          gateway_fee_minor: row.gateway_fee_minor,
          fx_fee_minor: row.fx_fee_minor,
        },
      );
      return [{ merchant_id: row.merchant_id, execution_id: row.id, kind: 'collection', description: `collection ${row.reference_id}`, postings, at }];
    }
    case 'PAYOUT': {
      const w = await wallet(d, tx, row.merchant_id, row.payer_currency);
      const postings = payoutSettlePostings(
        {
          wallet_pending: w.pending_account_id,
          carrier_clearing: await book.platform(tx, PlatformAccount.carrierClearing(g), row.payee_currency, at),
          platform_fee_revenue: await book.platform(tx, PlatformAccount.platformFeeRevenue, row.payer_currency, at),
          gateway_fees_payable: await book.platform(tx, PlatformAccount.gatewayFeesPayable(g), row.payer_currency, at),
        },
        row.payer_currency,
        { gross_minor: row.payer_amount_minor, payee_minor: row.payee_amount_minor, platform_fee_minor: row.platform_fee_minor, gateway_fee_minor: row.gateway_fee_minor },
      );
      return [{ merchant_id: row.merchant_id, execution_id: row.id, kind: 'payout_settle', description: `payout ${row.reference_id}`, postings, at }];
    }
    case 'REFUND': {
      const w = await wallet(d, tx, row.merchant_id, row.payer_currency);
      const postings = refundSettlePostings(
        {
          wallet_pending: w.pending_account_id,
          carrier_clearing_base: await book.platform(tx, PlatformAccount.carrierClearing(g), row.payer_currency, at),
          carrier_clearing_payer: await book.platform(tx, PlatformAccount.carrierClearing(g), row.payee_currency, at),
          fx_position_base: await book.platform(tx, PlatformAccount.fxPosition, row.payer_currency, at),
          fx_position_payer: await book.platform(tx, PlatformAccount.fxPosition, row.payee_currency, at),
        },
        { base_currency: row.payer_currency, payer_currency: row.payee_currency, base_minor: row.payer_amount_minor, payer_minor: row.payee_amount_minor },
      );
      return [{ merchant_id: row.merchant_id, execution_id: row.id, kind: 'refund_settle', description: `refund ${row.reference_id}`, postings, at }];
    }
    case 'TRANSFER':
      throw new Error('assertion: transfers settle inside their execution transaction');
  }
  throw new Error(`assertion: unknown operation ${row.operation_type}`);
}

/** The money side of FAILED: give holds back (a source went back to ACTIVE with the status move). */
async function failPostings(d: SettlementDeps, tx: Tx, row: ExecutionRow, at: Date): Promise<PostInput[]> {
  switch (row.operation_type) {
    case 'PAYOUT':
    case 'REFUND': {
      const kind = row.operation_type === 'PAYOUT' ? 'payout' : 'refund';
      const w = await wallet(d, tx, row.merchant_id, row.payer_currency);
      if (row.operation_type === 'REFUND' && row.original_execution_id) await releaseRefundable(tx, row.original_execution_id, row.payer_amount_minor);
      return [
        {
          merchant_id: row.merchant_id,
          execution_id: row.id,
          kind: `${kind}_release`,
          description: `${kind} ${row.reference_id} failed: hold released`,
          postings: releasePostings(w.available_account_id, w.pending_account_id, row.payer_currency, row.payer_amount_minor),
          at,
        },
      ];
    }
    default:
      return [];
  }
}

export type CallbackOutcome = 'applied' | 'unknown_execution' | 'rejected';

/**
 * A carrier's callback: authenticated and parsed by its connector, then applied like any other
 * carrier answer (once — a duplicate finds the execution final and moves nothing).
 */
export async function acceptCallback(
  d: SettlementDeps,
  gateway: GatewayName,
  headers: Record<string, string | string[] | undefined>,
  body: unknown,
  rawBody: string,
): Promise<CallbackOutcome> {
  const connector = d.carriers.for(gateway);
  const callback = await connector?.parseCallback?.(headers, body, rawBody);
  if (!callback) return 'rejected';
  const row = await findExecutionByCarrierKey(d.ctx.database.db, callback.idempotency_key);
  if (!row) {
    d.ctx.log.warn({ gateway }, 'callback for an unknown carrier key');
    return 'unknown_execution';
  }
  await apply(d, row.id, callback.result);
  return 'applied';
}

/** A carrier-side change we learned of in-process (the card sandbox's confirm): ask the carrier and apply. */
export async function reconcileByCarrierKey(d: SettlementDeps, carrier_key: string): Promise<ExecutionRow | undefined> {
  const row = await findExecutionByCarrierKey(d.ctx.database.db, carrier_key);
  return row ? reconcile(d, row) : undefined;
}
