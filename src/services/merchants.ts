/**
 * Merchant administration: creation with wallets, API keys (secret shown once, stored hashed),
 * payout passcode, verification. Used by the admin CLI, the sandbox bootstrap and the portal.
 */
import { credit, debit } from '../domain/ledger.js';
import { DomainError, invalid, notFound } from '../domain/errors.js';
import { parseAmountMinor } from '../domain/money.js';
import { ensureAccount, MerchantAccount, PlatformAccount, postTransaction } from '../ledger/ledger.js';
import type { Tx } from '../store/db.js';
import * as store from '../store/merchants.js';
import type { Ctx } from './context.js';
import { hashSecret, randomToken } from './crypto.js';

export const MERCHANT_TYPES = ['MICRO_ORGANIZATION', 'ORGANIZATION'] as const;
export type MerchantType = (typeof MERCHANT_TYPES)[number];
export const VERIFICATION_STATUSES = ['PENDING', 'VERIFIED', 'REJECTED'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

/** Every merchant gets a wallet in each currency it can be paid in. */
export const WALLET_CURRENCIES = ['USD', 'LRD', 'RWF'] as const;

const PHONE_RE = /^[1-9]\d{7,14}$/;
const CLIENT_ID_RE = /^[A-Za-z0-9_-]{8,128}$/;
const SECRET_LENGTH_MIN = 16;
const PASSCODE_RE = /^\d{4,8}$/;

export interface CreateMerchantInput {
  name: string;
  type: MerchantType;
  email: string;
  phone: string;
  verification_status?: VerificationStatus;
  is_sandbox?: boolean;
}

export async function createMerchant(ctx: Ctx, input: CreateMerchantInput): Promise<store.MerchantRow> {
  if (!input.name.trim()) throw invalid(['name'], 'name must not be empty');
  if (!MERCHANT_TYPES.includes(input.type)) throw invalid(['type'], `type must be one of ${MERCHANT_TYPES.join(', ')}`);
  if (!PHONE_RE.test(input.phone)) throw invalid(['phone'], 'phone must be E.164 digits without +, 8–15 digits');
  const at = ctx.clock.now();
  return ctx.database.transaction(async (tx) => {
    const merchant = await store.insertMerchant(tx, {
      name: input.name.trim(),
      type: input.type,
      email: input.email,
      phone: input.phone,
      verification_status: input.verification_status ?? 'PENDING',
      is_sandbox: input.is_sandbox ?? false,
      created_at: at,
      updated_at: at,
    });
    for (const currency of WALLET_CURRENCIES) await createWallet(tx, merchant.id, currency, at);
    return merchant;
  });
}

async function createWallet(tx: Tx, merchant_id: number, currency: string, at: Date) {
  const available = await ensureAccount(tx, merchant_id, MerchantAccount.walletAvailable, currency, at);
  const pending = await ensureAccount(tx, merchant_id, MerchantAccount.walletPending, currency, at);
  return store.insertWallet(tx, {
    merchant_id,
    currency,
    status: 'ACTIVE',
    available_account_id: available,
    pending_account_id: pending,
    created_at: at,
    updated_at: at,
  });
}

export async function getMerchant(ctx: Ctx, merchant_id: number): Promise<store.MerchantRow | undefined> {
  return store.findMerchant(ctx.database.db, merchant_id);
}

export interface IssuedKey {
  client_id: string;
  client_secret: string; // shown once; only its hash is stored
}

export async function issueApiKey(
  ctx: Ctx,
  merchant_id: number,
  opts: { label?: string; client_id?: string; client_secret?: string } = {},
): Promise<IssuedKey> {
  const client_id = opts.client_id ?? `dlr_${randomToken(12)}`;
  const client_secret = opts.client_secret ?? `dlrsk_${randomToken(32)}`;
  if (!CLIENT_ID_RE.test(client_id)) throw invalid(['client_id'], 'client_id must be 8–128 letters, digits, _ or -');
  if (client_secret.length < SECRET_LENGTH_MIN) throw invalid(['client_secret'], `client_secret must be at least ${SECRET_LENGTH_MIN} characters`);
  const secret_hash = await hashSecret(client_secret);
  await ctx.database.transaction(async (tx) => {
    if (!(await store.findMerchant(tx, merchant_id))) throw notFound();
    if (await store.findApiKeyByClientId(tx, client_id)) throw new DomainError('conflict', `client_id ${client_id} already exists`);
    await store.insertApiKey(tx, { merchant_id, client_id, secret_hash, label: opts.label ?? '', created_at: ctx.clock.now() });
  });
  return { client_id, client_secret };
}

export async function revokeApiKey(ctx: Ctx, client_id: string): Promise<store.ApiKeyRow> {
  const row = await store.revokeApiKey(ctx.database.db, client_id, ctx.clock.now());
  if (!row) throw notFound();
  return row;
}

export async function setPasscode(ctx: Ctx, merchant_id: number, code: string, phone: string): Promise<void> {
  if (!PASSCODE_RE.test(code)) throw invalid(['passcode'], 'passcode must be 4–8 digits');
  if (!PHONE_RE.test(phone)) throw invalid(['phone'], 'phone must be E.164 digits without +, 8–15 digits');
  const passcode_hash = await hashSecret(code);
  const row = await store.updateMerchant(ctx.database.db, merchant_id, {
    passcode_hash,
    passcode_phone: phone,
    passcode_failed_attempts: 0,
    passcode_locked_until: null,
    updated_at: ctx.clock.now(),
  });
  if (!row) throw notFound();
}

export async function setVerification(ctx: Ctx, merchant_id: number, status: VerificationStatus): Promise<store.MerchantRow> {
  if (!VERIFICATION_STATUSES.includes(status)) throw invalid(['status'], `status must be one of ${VERIFICATION_STATUSES.join(', ')}`);
  const row = await store.updateMerchant(ctx.database.db, merchant_id, { verification_status: status, updated_at: ctx.clock.now() });
  if (!row) throw notFound();
  return row;
}

/** Sandbox money: a posting from the platform's sandbox funding account, never a bare number. */
export async function fundSandboxWallet(ctx: Ctx, merchant_id: number, currency: string, amount_text: string): Promise<void> {
  const parsed = parseAmountMinor(amount_text, currency);
  if (!parsed.ok) throw invalid(['amount'], `amount ${amount_text} is not a valid ${currency} amount (${parsed.problem})`);
  const at = ctx.clock.now();
  await ctx.database.transaction(async (tx) => {
    const merchant = await store.findMerchant(tx, merchant_id);
    if (!merchant) throw notFound();
    if (!merchant.is_sandbox) throw invalid(['merchant_id'], 'only sandbox merchants can be funded from the sandbox account');
    const wallet = await store.findWalletByCurrency(tx, merchant_id, currency);
    if (!wallet) throw invalid(['currency'], `merchant has no ${currency} wallet`);
    const funding = await ensureAccount(tx, null, PlatformAccount.sandboxFunding, currency, at);
    await postTransaction(tx, {
      merchant_id,
      kind: 'sandbox_funding',
      description: `sandbox test balance ${amount_text} ${currency}`,
      postings: [debit(funding, currency, parsed.amount_minor), credit(wallet.available_account_id, currency, parsed.amount_minor)],
      at,
    });
  });
}
