/**
 * The ready-to-use sandbox merchant: on an empty database the server creates a verified merchant
 * with an API key, a payout passcode and funded USD/LRD wallets, so a first request works at once.
 */
import { randomInt } from 'node:crypto';
import type { Ctx } from './context.js';
import { createMerchant, fundSandboxWallet, issueApiKey, setPasscode } from './merchants.js';
import { countMerchants } from '../store/merchants.js';
import { randomToken } from './crypto.js';
import { createPortalUser } from './portal-auth.js';

export const SANDBOX_BALANCES: readonly { currency: string; amount: string }[] = [
  { currency: 'USD', amount: '10000.00' },
  { currency: 'LRD', amount: '1000000.00' },
];

export interface SandboxCredentials {
  merchant_id: number;
  merchant_type: string;
  client_id: string;
  client_secret: string;
  passcode: string;
  phone: string;
  /** Sign-in for the merchant portal (/portal) and the operator area (/admin). */
  portal: { email: string; password: string };
  operator: { email: string; password: string };
}

/** Creates the sandbox merchant when no merchant exists yet; returns undefined otherwise. */
export async function bootstrapSandbox(ctx: Ctx): Promise<SandboxCredentials | undefined> {
  if ((await countMerchants(ctx.database.db)) > 0) return undefined;
  const s = ctx.config.sandbox;
  const merchant = await createMerchant(ctx, {
    name: 'Sandbox Merchant',
    type: 'ORGANIZATION',
    email: 'sandbox@merchant.test',
    phone: s.phone,
    verification_status: 'VERIFIED',
    is_sandbox: true,
  });
  const key = await issueApiKey(ctx, merchant.id, {
    label: 'sandbox',
    ...(s.client_id ? { client_id: s.client_id } : {}),
    ...(s.client_secret ? { client_secret: s.client_secret } : {}),
  });
  const passcode = s.passcode ?? String(randomInt(0, 1_000_000)).padStart(6, '0');
  await setPasscode(ctx, merchant.id, passcode, s.phone);
  for (const b of SANDBOX_BALANCES) await fundSandboxWallet(ctx, merchant.id, b.currency, b.amount);
  const portal = { email: s.portal_email, password: s.portal_password ?? randomToken(12) };
  await createPortalUser(ctx, { role: 'owner', merchant_id: merchant.id, ...portal });
  const operator = { email: s.operator_email, password: s.operator_password ?? randomToken(12) };
  await createPortalUser(ctx, { role: 'operator', ...operator });
  return { merchant_id: merchant.id, merchant_type: merchant.type, client_id: key.client_id, client_secret: key.client_secret, passcode, phone: s.phone, portal, operator };
}
