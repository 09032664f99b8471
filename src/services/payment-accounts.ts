/** Use case for payment accounts: create (or reuse) the account a party pays from or is paid to. */
import type { OperationType, PaymentMethod, Provider } from '../domain/enums.js';
import { isReusableAccount, paymentAccountCountry, paymentAccountProblems, paymentAccountView } from '../domain/payment-accounts.js';
import type { View } from '../domain/sources.js';
import * as store from '../store/payment-accounts.js';
import type { Ctx } from './context.js';
import { requireParty, requireText } from './parties.js';

export { findPaymentAccount } from '../store/payment-accounts.js';

export interface CreatePaymentAccountInput {
  operation_type: OperationType;
  account_name: string;
  provider: Provider;
  method: PaymentMethod;
  party_id: number;
  country_code?: string | null | undefined;
  insensitive_account_number?: string | null | undefined;
}

/**
 * POST /v1/payment-accounts/create. Mobile-money and payout accounts are reused: the same party,
 * number, method and operation give back the existing account (unchanged, with its first name and
 * provider). Card accounts are new on every call (one per card attempt).
 */
export async function createPaymentAccount(ctx: Ctx, merchant_id: number, input: CreatePaymentAccountInput): Promise<View> {
  const account_name = requireText(['body', 'account_name'], input.account_name);
  const account_number = input.insensitive_account_number ?? null;
  const country_code = input.country_code ?? null;
  paymentAccountProblems({ method: input.method, provider: input.provider, country_code, account_number }).throwIfAny();
  const at = ctx.clock.now();
  const row = await ctx.database.transaction(async (tx) => {
    await requireParty(tx, merchant_id, input.party_id, ['body', 'party_id']);
    const values = {
      merchant_id,
      party_id: input.party_id,
      operation_type: input.operation_type,
      account_name,
      provider: input.provider,
      method: input.method,
      country_code: paymentAccountCountry(input.method, country_code),
      account_number,
      is_active: true,
      created_at: at,
      updated_at: at,
    };
    if (account_number !== null && isReusableAccount(input.method, account_number)) {
      return (await store.insertOrReusePaymentAccount(tx, { ...values, account_number })).account;
    }
    return store.insertPaymentAccount(tx, values);
  });
  return paymentAccountView(row);
}
