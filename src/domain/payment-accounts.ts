/**
 * Payment accounts, pure: which method/provider/number/country combinations are valid, which
 * accounts are reused rather than created again, and what the API shows (never the number).
 */
import { COUNTRY_OF_METHOD, isValidMethodProvider, MOMO_METHODS, type PaymentMethod, PROVIDERS, type Provider } from './enums.js';
import { Problems } from './errors.js';
import type { View } from './sources.js';

const PHONE_RE = /^[1-9]\d{7,14}$/;

export interface PaymentAccountRequest {
  readonly method: PaymentMethod;
  readonly provider: Provider;
  readonly country_code: string | null;
  readonly account_number: string | null;
}

function isMomo(method: PaymentMethod): boolean {
  return (MOMO_METHODS as readonly string[]).includes(method);
}

/** Every rule the request breaks, each on its field (body locations). */
export function paymentAccountProblems(r: PaymentAccountRequest): Problems {
  const problems = new Problems();
  if (!isValidMethodProvider(r.method, r.provider)) {
    const allowed = PROVIDERS.filter((p) => isValidMethodProvider(r.method, p)).join(' or ');
    problems.add(['body', 'provider'], `invalid combination: method ${r.method} goes through provider ${allowed}, not ${r.provider}`, 'value_error.combination');
  }
  if (isMomo(r.method)) {
    if (r.account_number === null) {
      problems.add(['body', 'insensitive_account_number'], `field required for ${r.method}: the wallet's phone number, E.164 digits without + (e.g. 231771234567)`, 'value_error.missing');
    } else if (!PHONE_RE.test(r.account_number)) {
      problems.add(['body', 'insensitive_account_number'], `${r.method} accounts are phone numbers: E.164 digits without +, 8–15 digits`, 'value_error.str.regex');
    }
  }
  if (r.method === 'CREDIT_CARD' && r.account_number !== null) {
    problems.add(['body', 'insensitive_account_number'], 'card accounts take no account number (the card is entered on the payment form); leave it out', 'value_error.not_allowed');
  }
  const country = COUNTRY_OF_METHOD[r.method];
  if (r.country_code !== null && country && r.country_code !== country) {
    problems.add(['body', 'country_code'], `${r.method} is a ${country} method; send country_code ${country} or leave it out`, 'value_error.country');
  }
  return problems;
}

/** The stored country: the one given, else the method's own market (mobile money), else none. */
export function paymentAccountCountry(method: PaymentMethod, given: string | null): string | null {
  return given ?? COUNTRY_OF_METHOD[method] ?? null;
}

/**
 * Whether an equal account (same party, number, method and operation) is reused instead of a new one
 * created: mobile money and payout accounts are; cards never are (one account per card attempt).
 * Mirrors the partial unique index payment_accounts_reuse_key.
 */
export function isReusableAccount(method: PaymentMethod, account_number: string | null): boolean {
  return account_number !== null && method !== 'CREDIT_CARD';
}

export interface PaymentAccountRecord {
  readonly id: number;
  readonly account_name: string;
  readonly provider: string;
  readonly method: string;
  readonly party_id: number;
  readonly is_active: boolean;
  readonly country_code: string | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

/** PaymentAccountResponse. The account number is stored but never part of a view. */
export function paymentAccountView(a: PaymentAccountRecord): View {
  return {
    id: a.id,
    account_name: a.account_name,
    provider: a.provider,
    method: a.method,
    party_id: a.party_id,
    is_active: a.is_active,
    created_at: a.created_at,
    updated_at: a.updated_at,
    country_code: a.country_code,
  };
}
