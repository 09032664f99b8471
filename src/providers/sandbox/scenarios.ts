/**
 * The mobile-money sandbox's magic numbers: the last three digits of the payer's (or
 * beneficiary's) MSISDN choose what the simulated carrier does. Pure data, documented in the
 * README table; the pawaPay-protocol simulator uses the same table.
 *
 * Timing follows MTN MoMo request-to-pay: the initiate call answers 202 at once, the payer has a
 * 5-minute approval window, the final callback is sent once and never retried.
 */
export const APPROVAL_WINDOW_MS = 5 * 60_000;

export interface MomoScenario {
  readonly suffix: string;
  readonly name: string;
  /** What the initiate call does. */
  readonly initiate: 'accept' | 'complete_now' | 'reject' | 'unavailable' | 'unavailable_once' | 'slow_accept';
  /** Where the transaction ends, and when (after initiate). NONE: it never finalises. */
  readonly final: 'COMPLETED' | 'FAILED' | 'NONE';
  readonly after_ms: number;
  readonly failure_code?: string;
  /** How many times the final callback is delivered (0: lost, 2: duplicated). */
  readonly callbacks: 0 | 1 | 2;
}

export const MOMO_SCENARIOS: readonly MomoScenario[] = [
  { suffix: '000', name: 'succeeds instantly (synchronous; for quick tries and benchmarks)', initiate: 'complete_now', final: 'COMPLETED', after_ms: 0, callbacks: 0 },
  { suffix: '001', name: 'succeeds after 15 s (payer approves on the handset)', initiate: 'accept', final: 'COMPLETED', after_ms: 15_000, callbacks: 1 },
  { suffix: '002', name: 'succeeds after 2 minutes', initiate: 'accept', final: 'COMPLETED', after_ms: 120_000, callbacks: 1 },
  { suffix: '010', name: 'payer declines after 20 s', initiate: 'accept', final: 'FAILED', after_ms: 20_000, failure_code: 'PAYMENT_NOT_APPROVED', callbacks: 1 },
  { suffix: '011', name: 'insufficient balance after 5 s', initiate: 'accept', final: 'FAILED', after_ms: 5_000, failure_code: 'INSUFFICIENT_BALANCE', callbacks: 1 },
  { suffix: '012', name: 'payer not found (initiate rejected)', initiate: 'reject', final: 'FAILED', after_ms: 0, failure_code: 'PAYER_NOT_FOUND', callbacks: 0 },
  { suffix: '020', name: 'never approved: expires at the end of the 5-minute window', initiate: 'accept', final: 'FAILED', after_ms: APPROVAL_WINDOW_MS, failure_code: 'PAYMENT_NOT_APPROVED', callbacks: 1 },
  { suffix: '030', name: 'succeeds after 30 s but the callback is lost (only polling finds it)', initiate: 'accept', final: 'COMPLETED', after_ms: 30_000, callbacks: 0 },
  { suffix: '031', name: 'succeeds after 10 s and the callback arrives twice', initiate: 'accept', final: 'COMPLETED', after_ms: 10_000, callbacks: 2 },
  { suffix: '040', name: 'initiate answers after our timeout (we see a timeout); it succeeds after 40 s', initiate: 'slow_accept', final: 'COMPLETED', after_ms: 40_000, callbacks: 1 },
  { suffix: '050', name: 'initiate fails with 503 once, then works; succeeds after 15 s', initiate: 'unavailable_once', final: 'COMPLETED', after_ms: 15_000, callbacks: 1 },
  { suffix: '051', name: 'initiate always fails with 503 (the carrier never receives it)', initiate: 'unavailable', final: 'NONE', after_ms: 0, callbacks: 0 },
  { suffix: '060', name: 'accepted, then silence forever: no final status, no callback', initiate: 'accept', final: 'NONE', after_ms: 0, callbacks: 0 },
];

/** Any number not ending in a magic suffix behaves like 001: approved after 15 s. */
export const DEFAULT_SCENARIO: MomoScenario = MOMO_SCENARIOS[1]!;

export function momoScenario(msisdn: string | undefined): MomoScenario {
  const suffix = (msisdn ?? '').slice(-3);
  return MOMO_SCENARIOS.find((s) => s.suffix === suffix) ?? DEFAULT_SCENARIO;
}

export const FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  PAYMENT_NOT_APPROVED: 'The payer did not approve the payment',
  INSUFFICIENT_BALANCE: 'The payer has insufficient balance',
  PAYER_NOT_FOUND: 'The mobile-money account does not exist',
  RECIPIENT_NOT_FOUND: 'The recipient mobile-money account does not exist',
  CARRIER_UNAVAILABLE: 'The carrier could not be reached',
};
