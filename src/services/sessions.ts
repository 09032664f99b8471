/**
 * Sessions declare intent before money moves: checkout (collect for a published invoice/order),
 * payout (the server picks the wallet), transfer and refund (the caller sets the expiry).
 * Validation that needs stored state answers 422 on the offending body field.
 */
import type { SourceType } from '../domain/enums.js';
import { invalid } from '../domain/errors.js';
import { formatMinor, parseAmountMinor } from '../domain/money.js';
import { findExecution } from '../store/executions.js';
import { findCounterparty } from '../store/counterparties.js';
import { findPaymentAccount } from '../store/payment-accounts.js';
import { findSource } from '../store/sources.js';
import { insertSession, type SessionRow } from '../store/sessions.js';
import { findWallet, findWalletForCurrency } from '../store/wallets.js';
import type { AuthContext } from './auth.js';
import type { Ctx } from './context.js';

export const CHECKOUT_SESSION_TTL_MS = 30 * 60_000;
export const PAYOUT_SESSION_TTL_MS = 15 * 60_000;
/** A caller-chosen expiry (transfer, refund) may not reach further than this. */
export const SESSION_EXPIRY_MAX_MS = 24 * 60 * 60_000;

/** The status a caller sees: an unused session past its expiry reads EXPIRED even before the expiry job marks it. */
export function sessionStatus(row: SessionRow, now: Date): string {
  return row.status === 'ACTIVE' && row.expires_at.getTime() <= now.getTime() ? 'EXPIRED' : row.status;
}

function callerExpiry(ctx: Ctx, expires_at: string): Date {
  const at = new Date(expires_at);
  const now = ctx.clock.now().getTime();
  if (Number.isNaN(at.getTime())) throw invalid(['body', 'expires_at'], 'invalid datetime format', 'value_error.datetime');
  if (at.getTime() <= now) throw invalid(['body', 'expires_at'], 'expires_at must be in the future', 'value_error.datetime.past');
  if (at.getTime() > now + SESSION_EXPIRY_MAX_MS) {
    throw invalid(['body', 'expires_at'], 'expires_at may be at most 24 hours ahead; create the session right before you execute', 'value_error.datetime.too_far');
  }
  return at;
}

export async function createCheckoutSession(ctx: Ctx, auth: AuthContext, body: { source_id: number; source_type: string }): Promise<SessionRow> {
  if (body.source_type !== 'INVOICE' && body.source_type !== 'ORDER') {
    throw invalid(['body', 'source_type'], `source_type ${body.source_type} is not supported; use INVOICE or ORDER`, 'type_error.enum');
  }
  const now = ctx.clock.now();
  const source = await findSource(ctx.database.db, auth.merchant_id, body.source_type as SourceType, body.source_id);
  if (!source) throw invalid(['body', 'source_id'], `${body.source_type.toLowerCase()} ${body.source_id} not found`, 'value_error.not_found');
  if (source.status !== 'ACTIVE') {
    const why: Record<string, string> = {
      IDLE: 'is not published yet; publish it first',
      PROCESSING: 'has a payment in progress; wait for its result',
      PAID: 'is already paid',
      CANCELED: 'is canceled; create a new one',
    };
    throw invalid(['body', 'source_id'], `${body.source_type.toLowerCase()} ${source.number} ${why[source.status] ?? `is ${source.status}`}`, 'value_error.state');
  }
  if (source.checkout_expires_at && source.checkout_expires_at.getTime() <= now.getTime()) {
    throw invalid(['body', 'source_id'], `the hosted checkout for ${source.number} expired; create a new checkout`, 'value_error.state');
  }
  return insertSession(ctx.database.db, {
    merchant_id: auth.merchant_id,
    kind: 'CHECKOUT',
    status: 'ACTIVE',
    source_type: body.source_type,
    source_id: source.id,
    expires_at: new Date(now.getTime() + CHECKOUT_SESSION_TTL_MS),
    created_at: now,
    updated_at: now,
  });
}

export async function createPayoutSession(
  ctx: Ctx,
  auth: AuthContext,
  body: { payout_account_id: number; amount_minor: bigint; currency: string },
): Promise<SessionRow> {
  const now = ctx.clock.now();
  const account = await findPaymentAccount(ctx.database.db, auth.merchant_id, body.payout_account_id);
  if (!account) throw invalid(['body', 'payout_account_id'], `payment account ${body.payout_account_id} not found`, 'value_error.not_found');
  if (!account.is_active) throw invalid(['body', 'payout_account_id'], `payment account ${account.id} is inactive`, 'value_error.state');
  if (account.operation_type !== 'PAYOUT') {
    throw invalid(['body', 'payout_account_id'], `payment account ${account.id} was registered for ${account.operation_type}; create one with operation_type=PAYOUT`, 'value_error.state');
  }
  if (account.method === 'CREDIT_CARD' || account.method === 'WALLET') {
    throw invalid(['body', 'payout_account_id'], `payouts to ${account.method} accounts are not available; pay out to mobile money`, 'value_error.state');
  }
  const wallet = await findWalletForCurrency(ctx.database.db, auth.merchant_id, body.currency);
  if (!wallet) throw invalid(['body', 'currency'], `you have no ${body.currency} wallet`, 'value_error.not_found');
  if (wallet.status !== 'ACTIVE') throw invalid(['body', 'currency'], `your ${body.currency} wallet is ${wallet.status}`, 'value_error.state');
  return insertSession(ctx.database.db, {
    merchant_id: auth.merchant_id,
    kind: 'PAYOUT',
    status: 'ACTIVE',
    wallet_id: wallet.id,
    payout_account_id: account.id,
    amount_minor: body.amount_minor,
    currency: body.currency,
    expires_at: new Date(now.getTime() + PAYOUT_SESSION_TTL_MS),
    created_at: now,
    updated_at: now,
  });
}

export async function createTransferSession(
  ctx: Ctx,
  auth: AuthContext,
  body: { from_wallet_id: number; to_counterparty_id: number; amount_minor: bigint; currency: string; expires_at: string },
): Promise<SessionRow> {
  const now = ctx.clock.now();
  const expires_at = callerExpiry(ctx, body.expires_at);
  const wallet = await findWallet(ctx.database.db, auth.merchant_id, body.from_wallet_id);
  if (!wallet) throw invalid(['body', 'from_wallet_id'], `wallet ${body.from_wallet_id} not found`, 'value_error.not_found');
  if (wallet.currency !== body.currency) throw invalid(['body', 'currency'], `wallet ${wallet.id} holds ${wallet.currency}, not ${body.currency}`, 'value_error.currency');
  if (wallet.status !== 'ACTIVE') throw invalid(['body', 'from_wallet_id'], `wallet ${wallet.id} is ${wallet.status}`, 'value_error.state');
  const cp = await findCounterparty(ctx.database.db, auth.merchant_id, body.to_counterparty_id);
  if (!cp) throw invalid(['body', 'to_counterparty_id'], `counterparty ${body.to_counterparty_id} not found`, 'value_error.not_found');
  return insertSession(ctx.database.db, {
    merchant_id: auth.merchant_id,
    kind: 'TRANSFER',
    status: 'ACTIVE',
    wallet_id: wallet.id,
    to_counterparty_id: cp.id,
    amount_minor: body.amount_minor,
    currency: body.currency,
    expires_at,
    created_at: now,
    updated_at: now,
  });
}

/** How much of a collection can still be refunded, in its payee (invoice) currency. */
export function refundableMinor(collection: { base_amount_minor: bigint; refunded_minor: bigint }): bigint {
  return collection.base_amount_minor - collection.refunded_minor;
}

export async function createRefundSession(
  ctx: Ctx,
  auth: AuthContext,
  body: { original_payment_intent_id: number; amount_text: string; reason: string | null; expires_at: string },
): Promise<SessionRow> {
  const now = ctx.clock.now();
  const expires_at = callerExpiry(ctx, body.expires_at);
  const original = await findExecution(ctx.database.db, body.original_payment_intent_id);
  if (!original || original.merchant_id !== auth.merchant_id || original.operation_type !== 'COLLECTION') {
    throw invalid(['body', 'original_payment_intent_id'], `payment intent ${body.original_payment_intent_id} not found`, 'value_error.not_found');
  }
  if (original.status !== 'COMPLETED') {
    throw invalid(['body', 'original_payment_intent_id'], `payment intent ${original.id} is ${original.status}; only COMPLETED collections can be refunded`, 'value_error.state');
  }
  const currency = original.payee_currency;
  const parsed = parseAmountMinor(body.amount_text, currency);
  if (!parsed.ok) {
    const msg = parsed.problem === 'too_many_decimals' ? `the refund is in ${currency}; use at most its decimal places` : `amount is not a valid ${currency} amount (${parsed.problem})`;
    throw invalid(['body', 'amount'], msg, 'value_error.decimal');
  }
  const left = refundableMinor(original);
  if (parsed.amount_minor > left) {
    throw invalid(['body', 'amount'], `amount exceeds what is left to refund on this payment: ${formatMinor(left, currency)} ${currency}`, 'value_error.number.not_le');
  }
  return insertSession(ctx.database.db, {
    merchant_id: auth.merchant_id,
    kind: 'REFUND',
    status: 'ACTIVE',
    original_execution_id: original.id,
    amount_minor: parsed.amount_minor,
    currency,
    reason: body.reason,
    expires_at,
    created_at: now,
    updated_at: now,
  });
}
