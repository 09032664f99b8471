/**
 * Executions: submit a session and move money, keyed by the client's UUIDv4 reference_id.
 *
 * The idempotency contract (README "Idempotency"), enforced by the database:
 *  - one execution per (merchant, operation, reference_id): a unique index, not process memory;
 *  - the same reference_id with the same payload answers the same execution's current state and
 *    moves nothing again; with a different payload it answers 422 on ["body","reference_id"];
 *  - concurrent requests with one reference_id serialize on the session row: exactly one inserts,
 *    the others answer its current state (200, status PENDING/PROCESSING while it is in flight);
 *  - a crash between "received" and "answered" leaves the stored state as the truth: a retry (or
 *    the reconciler) resumes the carrier call with the same carrier key or reports the outcome.
 */
import { CURRENCIES_OF_COUNTRY, GATEWAY_OF_METHOD, COUNTRY_OF_METHOD, type FeeBearer, type OperationType, type OwnerType, type PaymentMethod } from '../domain/enums.js';
import { DomainError, forbidden, invalid } from '../domain/errors.js';
import { isFinal, requestFingerprint, reservePostings, transferPostings } from '../domain/executions.js';
import type { ExecutionStatus, SessionKind, SourceType } from '../domain/enums.js';
import { formatMinor, parseDecimal } from '../domain/money.js';
import { convertMinor } from '../domain/pricing.js';
import { InsufficientFunds, MerchantAccount, PlatformAccount, postTransaction } from '../ledger/ledger.js';
import type { Tx } from '../store/db.js';
import { type ExecutionRow, findExecution, findExecutionByReference, insertEvent, insertExecution, type NewExecution, releaseRefundable, reserveRefundable, updateExecution } from '../store/executions.js';
import { findMerchant, updateMerchant } from '../store/merchants.js';
import { findCounterparty } from '../store/counterparties.js';
import { claimCardAccount, findPaymentAccount } from '../store/payment-accounts.js';
import { lockSource, moveSourceStatus } from '../store/sources.js';
import { lockSession, markSessionUsed, type SessionRow } from '../store/sessions.js';
import { findWallet, findWalletForCurrency } from '../store/wallets.js';
import type { AuthContext } from './auth.js';
import { verifySecret } from './crypto.js';
import type { Services } from './index.js';
import { carrierKey } from '../providers/types.js';
import { notifyStatus } from './events.js';
import { emitExecutionEvents } from './webhooks.js';
import { toExecutionResponse } from './execution-view.js';

export { type ExecutionResponse, toExecutionResponse } from './execution-view.js';
import { initiate, INITIATE_LEASE_MS, reconcile } from './settlement.js';
import { refundableMinor } from './sessions.js';

export const PASSCODE_ATTEMPTS_MAX = 5;
export const PASSCODE_LOCK_MS = 15 * 60_000;
/** Card collections settle in USD (the Stripe account's currency). */
export const CARD_CURRENCIES: readonly string[] = ['USD'];

const SESSION_KIND: Record<OperationType, SessionKind> = { COLLECTION: 'CHECKOUT', PAYOUT: 'PAYOUT', TRANSFER: 'TRANSFER', REFUND: 'REFUND' };
const EXECUTE_PATH: Record<SessionKind, string> = {
  CHECKOUT: 'POST /v1/executions/collection',
  PAYOUT: 'POST /v1/executions/payout',
  TRANSFER: 'POST /v1/executions/transfer',
  REFUND: 'POST /v1/executions/refund',
};
const STATUS_PATH: Record<OperationType, string> = { COLLECTION: 'collection', PAYOUT: 'payout', TRANSFER: 'transfer', REFUND: 'refund' };

function duplicate(op: OperationType, reference_id: string): DomainError {
  return invalid(
    ['body', 'reference_id'],
    `reference_id ${reference_id} already exists for a different ${op.toLowerCase()}; query GET /v1/status/${STATUS_PATH[op]}/${reference_id}, and use a new UUID only for a new payment`,
    'value_error.duplicate',
  );
}

/** Signals that another request owns the idempotency key; the transaction rolls back and we read its execution. */
class KeyTaken extends Error {}

interface Plan {
  values: Omit<NewExecution, 'merchant_id' | 'operation_type' | 'reference_id' | 'request_hash' | 'session_id' | 'created_at' | 'updated_at'>;
  /** Side effects that need the execution id (holds, postings, source transition); may return a final outcome. */
  after?: (tx: Tx, row: ExecutionRow) => Promise<Partial<NewExecution> | void>;
}

/**
 * The one path every execution takes: fast idempotent read; then one transaction that locks the
 * session, plans, inserts the execution, applies its immediate effects and consumes the session;
 * then (outside any transaction) the carrier call.
 */
async function execute(
  s: Services,
  auth: AuthContext,
  op: OperationType,
  reference_id_raw: string,
  session_id: number,
  fingerprint: string,
  plan: (tx: Tx, session: SessionRow) => Promise<Plan>,
): Promise<ExecutionRow> {
  const { ctx } = s;
  const reference_id = reference_id_raw.toLowerCase();
  const existing = await findExecutionByReference(ctx.database.db, auth.merchant_id, op, reference_id);
  if (existing) return answerExisting(s, existing, fingerprint);

  const now = ctx.clock.now();
  let row: ExecutionRow;
  try {
    row = await ctx.database.transaction(async (tx) => {
      const session = await lockSession(tx, auth.merchant_id, session_id);
      if (!session) throw invalid(['body', 'session_id'], `session ${session_id} not found`, 'value_error.not_found');
      const kind = SESSION_KIND[op];
      if (session.kind !== kind) {
        throw invalid(['body', 'session_id'], `session ${session_id} is a ${session.kind} session; use it with ${EXECUTE_PATH[session.kind as SessionKind]}`, 'value_error.session_type');
      }
      if (session.status === 'USED') {
        const prior = session.execution_id ? await findExecution(tx, session.execution_id) : undefined;
        if (prior && prior.reference_id === reference_id && prior.operation_type === op) return prior; // a racing twin committed first
        throw invalid(['body', 'session_id'], `session ${session_id} was already executed; create a new session for a new payment`, 'value_error.session_used');
      }
      if (session.status !== 'ACTIVE' || session.expires_at.getTime() <= now.getTime()) {
        throw invalid(['body', 'session_id'], `session ${session_id} expired at ${session.expires_at.toISOString()}; create a new session`, 'value_error.session_expired');
      }
      const p = await plan(tx, session);
      const inserted = await insertExecution(tx, {
        ...p.values,
        merchant_id: auth.merchant_id,
        operation_type: op,
        reference_id,
        request_hash: fingerprint,
        carrier_key: needsCarrier(op) ? carrierKey(auth.merchant_id, op, reference_id) : null,
        session_id: session.id,
        created_at: now,
        updated_at: now,
      });
      if (!inserted) throw new KeyTaken();
      let current = inserted;
      const outcome = p.after ? await p.after(tx, inserted) : undefined;
      if (outcome) {
        await updateExecution(tx, inserted.id, { ...outcome, updated_at: now });
        current = { ...inserted, ...outcome } as ExecutionRow;
      }
      await markSessionUsed(tx, session.id, inserted.id, now);
      await insertEvent(tx, { execution_id: inserted.id, merchant_id: auth.merchant_id, status: 'PENDING', message: 'received', detail: toExecutionResponse(inserted), at: now });
      if (current.status !== 'PENDING') {
        await insertEvent(tx, { execution_id: inserted.id, merchant_id: auth.merchant_id, status: current.status, message: current.wallet_message ?? current.gateway_message, detail: toExecutionResponse(current), at: now });
      }
      await notifyStatus(tx, current);
      await emitExecutionEvents(tx, current, now);
      return current;
    });
  } catch (err) {
    if (!(err instanceof KeyTaken)) throw err;
    const owner = await findExecutionByReference(ctx.database.db, auth.merchant_id, op, reference_id);
    if (!owner) throw new Error('assertion: idempotency key taken but no execution found');
    return answerExisting(s, owner, fingerprint);
  }
  if (row.request_hash !== fingerprint) throw duplicate(op, reference_id);
  if (row.status !== 'PENDING' || !needsCarrier(op)) {
    if (isFinal(row.status as ExecutionStatus)) s.settlement.onStatusChange?.(row);
    return row;
  }
  return initiate(s.settlement, row);
}

function needsCarrier(op: OperationType): boolean {
  return op !== 'TRANSFER';
}

/** Same key: same payload → its current state (resuming a carrier call that a crashed request left behind); other payload → 422. */
async function answerExisting(s: Services, row: ExecutionRow, fingerprint: string): Promise<ExecutionRow> {
  if (row.request_hash !== fingerprint) throw duplicate(row.operation_type as OperationType, row.reference_id);
  const now = s.ctx.clock.now().getTime();
  if (row.status === 'PENDING' && needsCarrier(row.operation_type as OperationType) && row.next_check_at && row.next_check_at.getTime() <= now) {
    return reconcile(s.settlement, row);
  }
  return row;
}

function parseId(text: string, field: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw invalid(['body', field], `${field} must be a positive integer id`, 'type_error.integer');
  return n;
}

// ---------------------------------------------------------------------------------------------
// Collection
// ---------------------------------------------------------------------------------------------

export async function executeCollection(
  s: Services,
  auth: AuthContext,
  body: { session_id: string; payment_account_id: string; currency: string; reference_id: string },
): Promise<ExecutionRow> {
  const session_id = parseId(body.session_id, 'session_id');
  const account_id = parseId(body.payment_account_id, 'payment_account_id');
  const fingerprint = requestFingerprint('COLLECTION', { session_id, payment_account_id: account_id, currency: body.currency });
  return execute(s, auth, 'COLLECTION', body.reference_id, session_id, fingerprint, async (tx, session) => {
    const now = s.ctx.clock.now();
    const account = await findPaymentAccount(tx, auth.merchant_id, account_id);
    if (!account) throw invalid(['body', 'payment_account_id'], `payment account ${account_id} not found`, 'value_error.not_found');
    if (!account.is_active) throw invalid(['body', 'payment_account_id'], `payment account ${account.id} is inactive`, 'value_error.state');
    if (account.operation_type !== 'COLLECTION') {
      throw invalid(['body', 'payment_account_id'], `payment account ${account.id} was registered for ${account.operation_type}; create one with operation_type=COLLECTION`, 'value_error.state');
    }
    const method = account.method as PaymentMethod;
    if (method === 'WALLET') throw invalid(['body', 'payment_account_id'], 'WALLET accounts cannot collect; use a transfer', 'value_error.state');
    const allowed = method === 'CREDIT_CARD' ? CARD_CURRENCIES : CURRENCIES_OF_COUNTRY[COUNTRY_OF_METHOD[method] ?? ''] ?? [];
    if (!allowed.includes(body.currency)) {
      throw invalid(['body', 'currency'], `${method} pays in ${allowed.join(' or ')}, not ${body.currency}`, 'value_error.currency');
    }
    const source = await lockSource(tx, auth.merchant_id, session.source_type as SourceType, session.source_id!);
    if (!source) throw invalid(['body', 'session_id'], `the session's ${session.source_type?.toLowerCase()} no longer exists`, 'value_error.not_found');
    if (source.status !== 'ACTIVE') {
      const why: Record<string, string> = { PROCESSING: 'has a payment in progress', PAID: 'is already paid', CANCELED: 'is canceled', IDLE: 'is not published' };
      throw invalid(['body', 'session_id'], `${source.number} ${why[source.status] ?? `is ${source.status}`}`, 'value_error.state');
    }
    if (method === 'CREDIT_CARD' && !(await claimCardAccount(tx, account.id, now))) {
      throw invalid(['body', 'payment_account_id'], 'a card payment account serves one attempt; create a new one for this payment', 'value_error.state');
    }
    const gateway = GATEWAY_OF_METHOD[method];
    const merchant = (await findMerchant(tx, auth.merchant_id))!;
    const p = await s.pricer(tx, {
      merchant_id: auth.merchant_id,
      merchant_type: merchant.type as OwnerType,
      base_minor: source.total_amount_minor,
      base_currency: source.currency,
      payer_currency: body.currency,
      method,
      provider: gateway,
      operation_type: 'COLLECTION',
      fee_bearer: source.fee_bearer as FeeBearer,
      at: now,
    }, { payer_currency: 'currency', method: 'payment_account_id', provider: 'payment_account_id', operation_type: 'payment_account_id', base_minor: 'session_id' });
    return {
      values: {
        status: 'PENDING',
        source_type: source.source_type,
        source_id: source.id,
        payment_account_id: account.id,
        provider: gateway,
        method,
        fee_bearer: source.fee_bearer,
        base_amount_minor: source.total_amount_minor,
        payer_amount_minor: p.payer_minor,
        payer_currency: p.payer_currency,
        payee_amount_minor: p.payee_minor,
        payee_currency: p.payee_currency,
        platform_fee_minor: p.platform_fee_minor,
        platform_currency: p.payee_currency,
        gateway_fee_minor: p.gateway_fee_minor,
        gateway_currency: p.payee_currency,
        fx_fee_minor: p.fx_fee_minor,
        fx_rate: p.fx?.rate ?? null,
        fx_currency_from: p.fx?.from ?? null,
        fx_currency_to: p.fx?.to ?? null,
        next_check_at: new Date(now.getTime() + INITIATE_LEASE_MS),
      },
      after: async (t) => {
        if (!(await moveSourceStatus(t, source.id, 'ACTIVE', 'PROCESSING', now))) throw new Error('assertion: locked ACTIVE source did not move');
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Payout
// ---------------------------------------------------------------------------------------------

export interface PasscodeInput {
  token: { code: string; phone?: string | undefined; user_id?: string | number | undefined };
  device: { name: string; type: string; platform: string; user_agent: string; client_ip: string };
}

/** The merchant's payout passcode: slow hash, bound to a phone, locked after a bounded number of misses. */
async function checkPasscode(s: Services, auth: AuthContext, passcode: PasscodeInput): Promise<void> {
  const { ctx } = s;
  const m = await findMerchant(ctx.database.db, auth.merchant_id);
  if (!m?.passcode_hash) throw forbidden('No payout passcode is set for this merchant; set one in the portal (Settings → Security)');
  const now = ctx.clock.now();
  if (m.passcode_locked_until && m.passcode_locked_until.getTime() > now.getTime()) {
    throw forbidden(`Payout passcode locked after ${PASSCODE_ATTEMPTS_MAX} wrong attempts; try again after ${m.passcode_locked_until.toISOString()}`);
  }
  const who = passcode.token.phone ?? (passcode.token.user_id !== undefined ? String(passcode.token.user_id) : undefined);
  const identityOk = passcode.token.phone !== undefined ? passcode.token.phone === m.passcode_phone : who === String(m.id);
  const codeOk = await verifySecret(passcode.token.code, m.passcode_hash);
  if (identityOk && codeOk) {
    if (m.passcode_failed_attempts > 0) await updateMerchant(ctx.database.db, m.id, { passcode_failed_attempts: 0, passcode_locked_until: null });
    return;
  }
  const attempts = m.passcode_failed_attempts + 1;
  const locked = attempts >= PASSCODE_ATTEMPTS_MAX;
  await updateMerchant(ctx.database.db, m.id, {
    passcode_failed_attempts: locked ? 0 : attempts,
    passcode_locked_until: locked ? new Date(now.getTime() + PASSCODE_LOCK_MS) : null,
  });
  ctx.log.warn({ merchant_id: m.id, attempts, locked }, 'wrong payout passcode');
  throw forbidden(
    locked
      ? `Invalid payout passcode; locked for ${PASSCODE_LOCK_MS / 60_000} minutes after ${PASSCODE_ATTEMPTS_MAX} wrong attempts`
      : `Invalid payout passcode or phone; ${PASSCODE_ATTEMPTS_MAX - attempts} attempt(s) left before a ${PASSCODE_LOCK_MS / 60_000}-minute lock`,
  );
}

function insufficientMessage(available_minor: bigint, needed_minor: bigint, currency: string, what: string): string {
  return `Insufficient wallet balance: ${formatMinor(needed_minor, currency)} ${currency} needed (${what}), ${formatMinor(available_minor, currency)} ${currency} available`;
}

/** Hold `amount` on the wallet (available → pending) inside a savepoint; false when the balance is short. */
async function hold(s: Services, tx: Tx, row: ExecutionRow, kind: string, wallet: { available_account_id: number; pending_account_id: number }, currency: string, amount: bigint): Promise<boolean> {
  try {
    await tx.transaction(async (sp) => {
      await postTransaction(sp as unknown as Tx, {
        merchant_id: row.merchant_id,
        execution_id: row.id,
        kind,
        description: `${row.operation_type.toLowerCase()} ${row.reference_id}: hold`,
        postings: reservePostings(wallet.available_account_id, wallet.pending_account_id, currency, amount),
        at: s.ctx.clock.now(),
      });
    });
    return true;
  } catch (err) {
    if (err instanceof InsufficientFunds) return false;
    throw err;
  }
}

export async function executePayout(
  s: Services,
  auth: AuthContext,
  body: { session_id: string; payout_account_id: string; reference_id: string; passcode: PasscodeInput },
): Promise<ExecutionRow> {
  const session_id = parseId(body.session_id, 'session_id');
  const account_id = parseId(body.payout_account_id, 'payout_account_id');
  const fingerprint = requestFingerprint('PAYOUT', { session_id, payout_account_id: account_id });
  // An idempotent retry answers without asking for the passcode again (no money moves on it).
  const existing = await findExecutionByReference(s.ctx.database.db, auth.merchant_id, 'PAYOUT', body.reference_id.toLowerCase());
  if (!existing) await checkPasscode(s, auth, body.passcode);
  return execute(s, auth, 'PAYOUT', body.reference_id, session_id, fingerprint, async (tx, session) => {
    const now = s.ctx.clock.now();
    if (session.payout_account_id !== account_id) {
      throw invalid(['body', 'payout_account_id'], `payout_account_id must match the session's (${session.payout_account_id})`, 'value_error.mismatch');
    }
    const account = await findPaymentAccount(tx, auth.merchant_id, account_id);
    if (!account || !account.is_active) throw invalid(['body', 'payout_account_id'], `payment account ${account_id} is not available`, 'value_error.state');
    const wallet = await findWallet(tx, auth.merchant_id, session.wallet_id!);
    if (!wallet || wallet.status !== 'ACTIVE') throw invalid(['body', 'session_id'], `the session's wallet is not ACTIVE`, 'value_error.state');
    const method = account.method as PaymentMethod;
    const gateway = GATEWAY_OF_METHOD[method];
    const merchant = (await findMerchant(tx, auth.merchant_id))!;
    const currency = session.currency!;
    const p = await s.pricer(tx, {
      merchant_id: auth.merchant_id,
      merchant_type: merchant.type as OwnerType,
      base_minor: session.amount_minor!,
      base_currency: currency,
      payer_currency: currency,
      method,
      provider: gateway,
      operation_type: 'PAYOUT',
      fee_bearer: 'PAYER',
      at: now,
    }, { payer_currency: 'session_id', base_currency: 'session_id', base_minor: 'session_id', method: 'payout_account_id', provider: 'payout_account_id', operation_type: 'payout_account_id' });
    return {
      values: {
        status: 'PENDING',
        payment_account_id: account.id,
        wallet_id: wallet.id,
        provider: gateway,
        method,
        fee_bearer: 'PAYER',
        base_amount_minor: session.amount_minor!,
        payer_amount_minor: p.payer_minor,
        payer_currency: currency,
        payee_amount_minor: p.payee_minor,
        payee_currency: currency,
        platform_fee_minor: p.platform_fee_minor,
        platform_currency: currency,
        gateway_fee_minor: p.gateway_fee_minor,
        gateway_currency: currency,
        next_check_at: new Date(now.getTime() + INITIATE_LEASE_MS),
      },
      after: async (t, row) => {
        if (await hold(s, t, row, 'payout_reserve', wallet, currency, p.payer_minor)) return { wallet_message: `Reserved ${formatMinor(p.payer_minor, currency)} ${currency}` };
        const fresh = (await findWallet(t, auth.merchant_id, wallet.id))!;
        return { status: 'FAILED', failed_at: now, next_check_at: null, wallet_message: insufficientMessage(fresh.available_minor, p.payer_minor, currency, 'amount + fees') };
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Transfer (inside the platform: settles in the execution's own transaction)
// ---------------------------------------------------------------------------------------------

export async function executeTransfer(s: Services, auth: AuthContext, body: { session_id: string; reference_id: string }): Promise<ExecutionRow> {
  const session_id = parseId(body.session_id, 'session_id');
  const fingerprint = requestFingerprint('TRANSFER', { session_id });
  return execute(s, auth, 'TRANSFER', body.reference_id, session_id, fingerprint, async (tx, session) => {
    const now = s.ctx.clock.now();
    const wallet = await findWallet(tx, auth.merchant_id, session.wallet_id!);
    if (!wallet || wallet.status !== 'ACTIVE') throw invalid(['body', 'session_id'], `the session's wallet is not ACTIVE`, 'value_error.state');
    const cp = await findCounterparty(tx, auth.merchant_id, session.to_counterparty_id!);
    if (!cp) throw invalid(['body', 'session_id'], `the session's counterparty no longer exists`, 'value_error.not_found');
    const currency = session.currency!;
    const merchant = (await findMerchant(tx, auth.merchant_id))!;
    const p = await s.pricer(tx, {
      merchant_id: auth.merchant_id,
      merchant_type: merchant.type as OwnerType,
      base_minor: session.amount_minor!,
      base_currency: currency,
      payer_currency: currency,
      method: 'WALLET',
      provider: 'PLATFORM',
      operation_type: 'TRANSFER',
      fee_bearer: 'PAYER',
      at: now,
    }, { payer_currency: 'session_id', base_currency: 'session_id', base_minor: 'session_id', method: 'session_id', provider: 'session_id', operation_type: 'session_id' });
    const counterparty_account = await s.book.id(tx, auth.merchant_id, MerchantAccount.counterpartyBalance(cp.id), currency, now);
    const revenue = await s.book.platform(tx, PlatformAccount.platformFeeRevenue, currency, now);
    return {
      values: {
        status: 'PENDING',
        wallet_id: wallet.id,
        to_counterparty_id: cp.id,
        provider: 'PLATFORM',
        method: 'WALLET',
        fee_bearer: 'PAYER',
        base_amount_minor: session.amount_minor!,
        payer_amount_minor: p.payer_minor,
        payer_currency: currency,
        payee_amount_minor: p.payee_minor,
        payee_currency: currency,
        platform_fee_minor: p.platform_fee_minor,
        platform_currency: currency,
        gateway_fee_minor: 0n,
        gateway_currency: null,
      },
      after: async (t, row) => {
        try {
          await t.transaction(async (sp) => {
            await postTransaction(sp as unknown as Tx, {
              merchant_id: auth.merchant_id,
              execution_id: row.id,
              kind: 'transfer',
              description: `transfer ${row.reference_id} to counterparty ${cp.id}`,
              postings: transferPostings(
                { wallet_available: wallet.available_account_id, counterparty_balance: counterparty_account, platform_fee_revenue: revenue },
                currency,
                { gross_minor: p.payer_minor, payee_minor: p.payee_minor, platform_fee_minor: p.platform_fee_minor },
              ),
              at: now,
            });
          });
          return { status: 'COMPLETED', completed_at: now, provider_transaction_id: `trf_${row.id}`, gateway_message: 'Settled on the platform', wallet_message: `Debited ${formatMinor(p.payer_minor, currency)} ${currency}` };
        } catch (err) {
          if (!(err instanceof InsufficientFunds)) throw err;
          const fresh = (await findWallet(t, auth.merchant_id, wallet.id))!;
          return { status: 'FAILED', failed_at: now, wallet_message: insufficientMessage(fresh.available_minor, p.payer_minor, currency, 'amount + fees') };
        }
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Refund (returns money for a completed collection through its carrier)
// ---------------------------------------------------------------------------------------------

export async function executeRefund(s: Services, auth: AuthContext, body: { session_id: string; reference_id: string }): Promise<ExecutionRow> {
  const session_id = parseId(body.session_id, 'session_id');
  const fingerprint = requestFingerprint('REFUND', { session_id });
  return execute(s, auth, 'REFUND', body.reference_id, session_id, fingerprint, async (tx, session) => {
    const now = s.ctx.clock.now();
    const original = await findExecution(tx, session.original_execution_id!);
    if (!original || original.status !== 'COMPLETED') throw invalid(['body', 'session_id'], 'the original payment is not refundable', 'value_error.state');
    const base_currency = original.payee_currency;
    const payer_currency = original.payer_currency;
    const amount = session.amount_minor!;
    const payee_minor = original.fx_rate && payer_currency !== base_currency ? convertMinor(amount, base_currency, payer_currency, parseDecimal(original.fx_rate)!) : amount;
    if (payee_minor <= 0n) throw invalid(['body', 'session_id'], 'the refund is too small to convert into the payer currency', 'value_error.state');
    const wallet = await findWalletForCurrency(tx, auth.merchant_id, base_currency);
    if (!wallet) throw new Error(`assertion: merchant ${auth.merchant_id} has no ${base_currency} wallet`);
    return {
      values: {
        status: 'PENDING',
        original_execution_id: original.id,
        payment_account_id: original.payment_account_id,
        source_type: original.source_type,
        source_id: original.source_id,
        wallet_id: wallet.id,
        provider: original.provider,
        method: original.method,
        fee_bearer: 'PAYER',
        base_amount_minor: amount,
        payer_amount_minor: amount,
        payer_currency: base_currency,
        payee_amount_minor: payee_minor,
        payee_currency: payer_currency,
        platform_fee_minor: 0n,
        platform_currency: base_currency,
        fx_rate: original.fx_rate,
        fx_currency_from: original.fx_rate ? base_currency : null,
        fx_currency_to: original.fx_rate ? payer_currency : null,
        next_check_at: new Date(now.getTime() + INITIATE_LEASE_MS),
      },
      after: async (t, row) => {
        if (!(await reserveRefundable(t, original.id, amount, original.base_amount_minor))) {
          return {
            status: 'FAILED',
            failed_at: now,
            next_check_at: null,
            wallet_message: `Refund exceeds what is left of the original payment (${formatMinor(refundableMinor(original), base_currency)} ${base_currency})`,
          };
        }
        if (await hold(s, t, row, 'refund_reserve', wallet, base_currency, amount)) return { wallet_message: `Reserved ${formatMinor(amount, base_currency)} ${base_currency}` };
        await releaseRefundable(t, original.id, amount);
        return { status: 'FAILED', failed_at: now, next_check_at: null, wallet_message: insufficientMessage(wallet.available_minor, amount, base_currency, 'refund') };
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** GET /v1/status/{op}/{reference_id}: the stored truth (404 when unknown or another merchant's). */
export async function executionStatus(s: Services, auth: AuthContext, op: OperationType, reference_id: string): Promise<ExecutionRow | undefined> {
  const row = await findExecutionByReference(s.ctx.database.db, auth.merchant_id, op, reference_id.toLowerCase());
  if (!row) return undefined;
  // A PENDING execution whose first carrier call never happened (its request died) is resumed here too.
  if (row.status === 'PENDING' && needsCarrier(op) && row.next_check_at && row.next_check_at.getTime() <= s.ctx.clock.now().getTime()) {
    return reconcile(s.settlement, row);
  }
  return row;
}
