/**
 * Merchants for tests, the benchmark and the chaos suite: created through the services (as the
 * admin CLI does), with a token obtained over HTTP from the server at `baseUrl`. No node:test
 * import here, so plain scripts (bench/) can use it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../../src/services/context.js';
import { createMerchant, fundSandboxWallet, issueApiKey, setPasscode, type VerificationStatus } from '../../src/services/merchants.js';
import { Api } from './http.js';

export interface MerchantFixture {
  merchant_id: number;
  merchant_type: 'ORGANIZATION' | 'MICRO_ORGANIZATION';
  client_id: string;
  client_secret: string;
  passcode: string;
  phone: string;
  token: string;
  api: Api;
}

export interface MerchantOptions {
  verified?: boolean;
  fund?: boolean;
  type?: 'ORGANIZATION' | 'MICRO_ORGANIZATION';
  passcode?: string;
}

/** A verified sandbox merchant with an API key, a payout passcode, funded wallets and a token from `baseUrl`. */
export async function newMerchant(ctx: Ctx, baseUrl: string, o: MerchantOptions = {}): Promise<MerchantFixture> {
  const phone = `2317${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const m = await createMerchant(ctx, {
    name: `Test Merchant ${randomBytes(3).toString('hex')}`,
    type: o.type ?? 'ORGANIZATION',
    email: 'merchant@example.test',
    phone,
    verification_status: (o.verified ?? true ? 'VERIFIED' : 'PENDING') as VerificationStatus,
    is_sandbox: true,
  });
  const key = await issueApiKey(ctx, m.id);
  const passcode = o.passcode ?? '246810';
  await setPasscode(ctx, m.id, passcode, phone);
  if (o.fund ?? true) {
    await fundSandboxWallet(ctx, m.id, 'USD', '10000.00');
    await fundSandboxWallet(ctx, m.id, 'LRD', '1000000.00');
  }
  const anon = new Api(baseUrl);
  const res = await anon.post('/v1/jwt/client/obtain/token', { client_id: key.client_id, client_secret: key.client_secret });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const token = (res.body as { access_token: string }).access_token;
  return {
    merchant_id: m.id,
    merchant_type: m.type as MerchantFixture['merchant_type'],
    client_id: key.client_id,
    client_secret: key.client_secret,
    passcode,
    phone,
    token,
    api: new Api(baseUrl, token),
  };
}
