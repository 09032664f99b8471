/**
 * Executions, pure: the status machine, the idempotency fingerprint, and the posting set each
 * money movement writes to the ledger. No I/O: account ids arrive resolved.
 *
 *   PENDING ──► PROCESSING ──► COMPLETED
 *      │            │
 *      └────────────┴────────► FAILED          (COMPLETED and FAILED are final)
 */
import { createHash } from 'node:crypto';
import type { ExecutionStatus, OperationType } from './enums.js';
import { credit, debit, type Posting } from './ledger.js';

const NEXT: Readonly<Record<ExecutionStatus, readonly ExecutionStatus[]>> = {
  PENDING: ['PROCESSING', 'COMPLETED', 'FAILED'],
  PROCESSING: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
};

export function canMove(from: ExecutionStatus, to: ExecutionStatus): boolean {
  return from === to ? from === 'PROCESSING' || from === 'PENDING' : NEXT[from].includes(to);
}

export function isFinal(status: ExecutionStatus): boolean {
  return status === 'COMPLETED' || status === 'FAILED';
}

/**
 * The idempotency fingerprint: what makes two requests "the same payment". Only the fields that
 * decide the movement count (never the passcode, which must not be derivable from stored data).
 */
export function requestFingerprint(operation: OperationType, fields: Record<string, string | number | null | undefined>): string {
  const canonical = JSON.stringify([operation, ...Object.keys(fields).sort().map((k) => [k, fields[k] ?? null])]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The ledger kinds each (operation, final status) leaves behind — checked by the invariant. */
export const EXPECTED_LEDGER_KINDS: Readonly<Record<OperationType, Readonly<Record<'COMPLETED' | 'FAILED', readonly (readonly string[])[]>>>> = {
  COLLECTION: { COMPLETED: [['collection']], FAILED: [[]] },
  PAYOUT: { COMPLETED: [['payout_reserve', 'payout_settle']], FAILED: [[], ['payout_release', 'payout_reserve']] },
  TRANSFER: { COMPLETED: [['transfer']], FAILED: [[]] },
  REFUND: { COMPLETED: [['refund_reserve', 'refund_settle']], FAILED: [[], ['refund_release', 'refund_reserve']] },
};

// ---------------------------------------------------------------------------------------------
// Posting sets. Amounts are minor units; zero lines are left out (a fee of 0 posts nothing).
// ---------------------------------------------------------------------------------------------

function lines(...ps: (Posting | null)[]): Posting[] {
  return ps.filter((p): p is Posting => p !== null);
}
const cr = (account: number, currency: string, amount: bigint) => (amount > 0n ? credit(account, currency, amount) : null);
const dr = (account: number, currency: string, amount: bigint) => (amount > 0n ? debit(account, currency, amount) : null);

export interface CollectionAccounts {
  carrier_clearing_payer: number; // carrier clearing in the payer currency
  carrier_clearing_base: number; // carrier clearing in the base currency
  wallet_available: number; // merchant wallet, base currency
  platform_fee_revenue: number; // base currency
  gateway_fees_payable: number; // base currency
  fx_revenue: number; // base currency
  fx_position_payer: number;
  fx_position_base: number;
}

export interface MovementAmounts {
  base_currency: string;
  payer_currency: string;
  payer_minor: bigint;
  payee_minor: bigint;
  gross_base_minor: bigint;
  platform_fee_minor: bigint;
  gateway_fee_minor: bigint;
  fx_fee_minor: bigint;
}

/** A settled collection: the carrier owes us what the payer paid; the merchant and the fee accounts are credited. */
export function collectionPostings(a: CollectionAccounts, m: MovementAmounts): Posting[] {
  const cross = m.payer_currency !== m.base_currency;
  return lines(
    cross ? dr(a.carrier_clearing_payer, m.payer_currency, m.payer_minor) : dr(a.carrier_clearing_base, m.base_currency, m.gross_base_minor),
    cross ? cr(a.fx_position_payer, m.payer_currency, m.payer_minor) : null,
    cross ? dr(a.fx_position_base, m.base_currency, m.gross_base_minor) : null,
    cr(a.wallet_available, m.base_currency, m.payee_minor),
    cr(a.platform_fee_revenue, m.base_currency, m.platform_fee_minor),
    cr(a.gateway_fees_payable, m.base_currency, m.gateway_fee_minor),
    cr(a.fx_revenue, m.base_currency, m.fx_fee_minor),
  );
}

/** Hold funds for money leaving a wallet: available → pending. */
export function reservePostings(wallet_available: number, wallet_pending: number, currency: string, amount: bigint): Posting[] {
  return [debit(wallet_available, currency, amount), credit(wallet_pending, currency, amount)];
}

/** Give a hold back: pending → available. */
export function releasePostings(wallet_available: number, wallet_pending: number, currency: string, amount: bigint): Posting[] {
  return [debit(wallet_pending, currency, amount), credit(wallet_available, currency, amount)];
}

export interface OutflowAccounts {
  wallet_pending: number;
  carrier_clearing: number;
  platform_fee_revenue: number;
  gateway_fees_payable: number;
}

/** A settled payout: the hold pays the beneficiary (through the carrier) and the fees. */
export function payoutSettlePostings(a: OutflowAccounts, currency: string, m: { gross_minor: bigint; payee_minor: bigint; platform_fee_minor: bigint; gateway_fee_minor: bigint }): Posting[] {
  return lines(
    debit(a.wallet_pending, currency, m.gross_minor),
    cr(a.carrier_clearing, currency, m.payee_minor),
    cr(a.platform_fee_revenue, currency, m.platform_fee_minor),
    cr(a.gateway_fees_payable, currency, m.gateway_fee_minor),
  );
}

/** A wallet-to-counterparty transfer, settled at once inside the platform. */
export function transferPostings(
  a: { wallet_available: number; counterparty_balance: number; platform_fee_revenue: number },
  currency: string,
  m: { gross_minor: bigint; payee_minor: bigint; platform_fee_minor: bigint },
): Posting[] {
  return lines(debit(a.wallet_available, currency, m.gross_minor), cr(a.counterparty_balance, currency, m.payee_minor), cr(a.platform_fee_revenue, currency, m.platform_fee_minor));
}

/** A settled refund: the hold goes back to the payer through the carrier, converted at the original rate when the payer paid in another currency. */
export function refundSettlePostings(
  a: { wallet_pending: number; carrier_clearing_base: number; carrier_clearing_payer: number; fx_position_base: number; fx_position_payer: number },
  m: { base_currency: string; payer_currency: string; base_minor: bigint; payer_minor: bigint },
): Posting[] {
  if (m.base_currency === m.payer_currency) {
    return [debit(a.wallet_pending, m.base_currency, m.base_minor), credit(a.carrier_clearing_base, m.base_currency, m.base_minor)];
  }
  return [
    debit(a.wallet_pending, m.base_currency, m.base_minor),
    credit(a.fx_position_base, m.base_currency, m.base_minor),
    debit(a.fx_position_payer, m.payer_currency, m.payer_minor),
    credit(a.carrier_clearing_payer, m.payer_currency, m.payer_minor),
  ];
}
