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
import { AccountBook, PlatformAccount, postTransaction } from '../ledger/ledger.js';
import { type CarrierConnector, type CarrierRequest, type CarrierResult, CarrierUnavailable, carrierKey } from '../providers/types.js';
import type { Tx } from '../store/db.js';
import { type ExecutionRow, findExecution, findExecutionByCarrierKey, insertEvent, lockExecution, releaseRefundable, transitionExecution, updateExecution } from '../store/executions.js';
import { findPaymentAccount } from '../store/payment-accounts.js';
import { moveSourceStatus } from '../store/sources.js';
import { findWalletForCurrency } from '../store/wallets.js';
import type { Ctx } from './context.js';
import { notifyStatus } from './events.js';
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
async function carrierRequest(d: SettlementDeps, row: ExecutionRow): Promise<CarrierRequest> {
  const op = row.operation_type === 'COLLECTION' ? 'collection' : row.operation_type === 'PAYOUT' ? 'payout' : 'refund';
  let msisdn: string | undefined;
  if (row.payment_account_id) {
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

/** Send an execution to its carrier (first time, or resuming after a crash/timeout) and apply the answer. */
export async function initiate(d: SettlementDeps, row: ExecutionRow): Promise<ExecutionRow> {
  const gateway = gatewayOf(row);
  const connector = gateway ? d.carriers.for(gateway) : undefined;
  if (!connector) throw new Error(`assertion: no carrier connector for ${row.provider}`);
  const req = await carrierRequest(d, row);
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

/** Apply a carrier answer to an execution: one transaction, execution row locked, effects only on a real change. */
export async function apply(d: SettlementDeps, execution_id: number, result: CarrierResult): Promise<ExecutionRow> {
  const { ctx } = d;
  const now = ctx.clock.now();
  const changed = await ctx.database.transaction(async (tx) => {
    const moved = await applyInTx(d, tx, execution_id, result, now);
    if (moved) {
      await insertEvent(tx, { execution_id: moved.id, merchant_id: moved.merchant_id, status: moved.status, message: moved.gateway_message, detail: toExecutionResponse(moved), at: now });
      await notifyStatus(tx, moved);
      await emitExecutionEvents(tx, moved, now);
    }
    return moved;
  });
  if (changed) {
    d.onStatusChange?.(changed);
    return changed;
  }
  return (await findExecution(ctx.database.db, execution_id))!;
}

async function applyInTx(d: SettlementDeps, tx: Tx, execution_id: number, result: CarrierResult, now: Date): Promise<ExecutionRow | undefined> {
  {
    const row = await lockExecution(tx, execution_id);
    if (!row) throw new Error(`assertion: execution ${execution_id} vanished`);
    if (isFinal(row.status as ExecutionStatus)) return undefined; // late or duplicate news: nothing moves
    const base = {
      provider_transaction_id: result.provider_transaction_id ?? row.provider_transaction_id,
      gateway_message: result.message ?? row.gateway_message,
      updated_at: now,
    };
    switch (result.state) {
      case 'completed':
        await completeEffects(d, tx, row, now);
        return transitionExecution(tx, row.id, ['PENDING', 'PROCESSING'], { ...base, status: 'COMPLETED', requires_action: false, completed_at: now, next_check_at: null, carrier_status: 'COMPLETED' });
      case 'failed':
        await failEffects(d, tx, row, now);
        return transitionExecution(tx, row.id, ['PENDING', 'PROCESSING'], { ...base, status: 'FAILED', requires_action: false, failed_at: now, next_check_at: null, carrier_status: result.failure_code ?? 'FAILED' });
      case 'accepted':
      case 'requires_action': {
        const next = new Date(now.getTime() + backoffMs(row.check_attempts, result.retry_after_ms));
        const moved = await transitionExecution(tx, row.id, ['PENDING', 'PROCESSING'], {
          ...base,
          status: 'PROCESSING',
          requires_action: result.state === 'requires_action',
          client_secret: result.client_secret ?? row.client_secret,
          carrier_status: result.state.toUpperCase(),
          next_check_at: next,
          check_attempts: row.check_attempts + 1,
          initiated_at: row.initiated_at ?? now,
        });
        return moved && row.status !== 'PROCESSING' ? moved : undefined;
      }
      case 'not_found':
        return undefined;
    }
  }
}

async function wallet(d: SettlementDeps, tx: Tx, merchant_id: number, currency: string) {
  const w = await findWalletForCurrency(tx, merchant_id, currency);
  if (!w) throw new Error(`assertion: merchant ${merchant_id} has no ${currency} wallet`);
  return w;
}

/** The money side of COMPLETED, by operation. */
async function completeEffects(d: SettlementDeps, tx: Tx, row: ExecutionRow, at: Date): Promise<void> {
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
      await postTransaction(tx, { merchant_id: row.merchant_id, execution_id: row.id, kind: 'collection', description: `collection ${row.reference_id}`, postings, at });
      if (row.source_id && row.source_type) {
        const moved = await moveSourceStatus(tx, row.source_id, 'PROCESSING', 'PAID', at, { paid_at: at, paid_execution_id: row.id });
        if (!moved) d.ctx.log.warn({ execution_id: row.id, source_id: row.source_id }, 'collection completed but its source was not PROCESSING');
      }
      return;
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
      await postTransaction(tx, { merchant_id: row.merchant_id, execution_id: row.id, kind: 'payout_settle', description: `payout ${row.reference_id}`, postings, at });
      return;
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
      await postTransaction(tx, { merchant_id: row.merchant_id, execution_id: row.id, kind: 'refund_settle', description: `refund ${row.reference_id}`, postings, at });
      return;
    }
    case 'TRANSFER':
      throw new Error('assertion: transfers settle inside their execution transaction');
  }
}

/** The money side of FAILED: give holds back, reopen the source for another attempt. */
async function failEffects(d: SettlementDeps, tx: Tx, row: ExecutionRow, at: Date): Promise<void> {
  switch (row.operation_type) {
    case 'COLLECTION':
      if (row.source_id) await moveSourceStatus(tx, row.source_id, 'PROCESSING', 'ACTIVE', at);
      return;
    case 'PAYOUT':
    case 'REFUND': {
      const kind = row.operation_type === 'PAYOUT' ? 'payout' : 'refund';
      const w = await wallet(d, tx, row.merchant_id, row.payer_currency);
      await postTransaction(tx, {
        merchant_id: row.merchant_id,
        execution_id: row.id,
        kind: `${kind}_release`,
        description: `${kind} ${row.reference_id} failed: hold released`,
        postings: releasePostings(w.available_account_id, w.pending_account_id, row.payer_currency, row.payer_amount_minor),
        at,
      });
      if (row.operation_type === 'REFUND' && row.original_execution_id) await releaseRefundable(tx, row.original_execution_id, row.payer_amount_minor);
      return;
    }
    case 'TRANSFER':
      return;
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
