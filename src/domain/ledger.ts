/**
 * Double-entry rules, pure. A posting set is a list of signed amounts (debit > 0, credit < 0) on
 * accounts; it must balance per currency and touch each currency's accounts only.
 */
export type NormalSide = 'debit' | 'credit';

export interface Posting {
  readonly account_id: number;
  readonly currency: string;
  readonly amount_minor: bigint; // debit > 0, credit < 0
}

export const POSTINGS_PER_TRANSACTION_MAX = 64;

/** Throws if the set is empty, too long, has a zero line, or does not balance in every currency. */
export function assertBalanced(postings: readonly Posting[]): void {
  if (postings.length < 2) throw new Error('assertion: a ledger transaction needs at least two postings');
  if (postings.length > POSTINGS_PER_TRANSACTION_MAX) throw new Error('assertion: too many postings in one transaction');
  const sums = new Map<string, bigint>();
  for (const p of postings) {
    if (p.amount_minor === 0n) throw new Error('assertion: zero posting');
    sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amount_minor);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0n) throw new Error(`assertion: postings do not balance in ${currency} (off by ${sum})`);
  }
}

/** How much an account's balance (in its normal direction) moves for a signed posting amount. */
export function balanceDelta(normal_side: NormalSide, amount_minor: bigint): bigint {
  return normal_side === 'debit' ? amount_minor : -amount_minor;
}

export function debit(account_id: number, currency: string, amount_minor: bigint): Posting {
  if (amount_minor <= 0n) throw new Error('assertion: debit amount must be positive');
  return { account_id, currency, amount_minor };
}

export function credit(account_id: number, currency: string, amount_minor: bigint): Posting {
  if (amount_minor <= 0n) throw new Error('assertion: credit amount must be positive');
  return { account_id, currency, amount_minor: -amount_minor };
}
