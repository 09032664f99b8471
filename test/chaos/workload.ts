/**
 * The money workload of the chaos suite: per merchant, one template session of every kind made
 * through the API, copied by SQL as many times as the run needs, and the execution request that
 * consumes each copy. Payouts use an instant number (…000); async collections approve after 15 s
 * of sandbox time (run the servers with SANDBOX_TIME_SCALE=0.01: 150 ms).
 */
import { sql } from 'drizzle-orm';
import { type Database, rows } from '../../src/store/db.js';
import { fundSandboxWallet } from '../../src/services/merchants.js';
import { cloneCheckoutSessions, cloneSessions, collectionTemplate, type CollectionTemplate, type SetupServer } from '../helpers/bulk.js';
import { completedCollection, msisdn, passcodeBody, paymentAccount, payoutSession, wallet } from '../helpers/fixtures.js';
import type { MerchantFixture } from '../helpers/merchants.js';
import { counterparty, ok } from '../helpers/objects.js';

export const OP_KINDS = ['collection_instant', 'collection_async', 'payout', 'transfer', 'refund'] as const;
export type OpKind = (typeof OP_KINDS)[number];

export const OPERATION_OF: Record<OpKind, 'COLLECTION' | 'PAYOUT' | 'TRANSFER' | 'REFUND'> = {
  collection_instant: 'COLLECTION',
  collection_async: 'COLLECTION',
  payout: 'PAYOUT',
  transfer: 'TRANSFER',
  refund: 'REFUND',
};

export interface MerchantKit {
  m: MerchantFixture;
  instant: CollectionTemplate;
  async: CollectionTemplate;
  payout_account_id: number;
  payout_session_id: number;
  transfer_session_id: number;
  refund_session_id: number;
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * A merchant with templates for every kind. `poor`: only `poor_usd` in the USD wallet, so its
 * payouts, transfers and refunds race for too little money (none may take the wallet below zero).
 */
export async function merchantKit(setup: SetupServer, opts: { poor_usd?: string } = {}): Promise<MerchantKit> {
  const m = await setup.merchant({ fund: !opts.poor_usd });
  if (opts.poor_usd) await fundSandboxWallet(setup.server.services.ctx, m.merchant_id, 'USD', opts.poor_usd);
  const instant = await collectionTemplate(m, { suffix: '000', amount: 20 });
  const async = await collectionTemplate(m, { suffix: '001', amount: 30 });
  const payout_account_id = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
  const payout_session_id = await payoutSession(m, payout_account_id, 1);
  const cp = (await counterparty(m.api, { relationship_type: 'BENEFICIARY' })).id;
  const usd = await wallet(m.api, 'USD');
  const expires_at = new Date(Date.now() + DAY_MS - 60_000).toISOString();
  const transfer_session_id = ok(
    await m.api.post('/v1/sessions/transfer', { from_wallet_id: usd.id, to_counterparty_id: cp, amount: 0.5, currency: 'USD', expires_at }),
  ).id;
  const paid = await completedCollection(m, { amount: 40 });
  const refund_session_id = ok(
    await m.api.post('/v1/sessions/refund', { original_payment_intent_id: paid.payment_intent_id, amount: 1, reason: 'chaos', expires_at }),
  ).id;
  return { m, instant, async, payout_account_id, payout_session_id, transfer_session_id, refund_session_id };
}

/** `count` fresh ACTIVE sessions of `kind` for the kit's merchant. */
export function sessionsFor(database: Database, kit: MerchantKit, kind: OpKind, count: number): Promise<number[]> {
  const at = new Date();
  const expires = new Date(at.getTime() + 60 * 60_000);
  switch (kind) {
    case 'collection_instant':
      return cloneCheckoutSessions(database, kit.instant, count, at, expires);
    case 'collection_async':
      return cloneCheckoutSessions(database, kit.async, count, at, expires);
    case 'payout':
      return cloneSessions(database, kit.payout_session_id, count, at, expires);
    case 'transfer':
      return cloneSessions(database, kit.transfer_session_id, count, at, expires);
    case 'refund':
      return cloneSessions(database, kit.refund_session_id, count, at, expires);
  }
}

/** The execution request that consumes `session_id`. */
export function executionRequest(kit: MerchantKit, kind: OpKind, session_id: number, reference_id: string): { path: string; body: string } {
  const sid = String(session_id);
  switch (kind) {
    case 'collection_instant':
    case 'collection_async': {
      const t = kind === 'collection_instant' ? kit.instant : kit.async;
      return { path: '/v1/executions/collection', body: JSON.stringify({ session_id: sid, payment_account_id: String(t.account_id), currency: t.currency, reference_id }) };
    }
    case 'payout':
      return {
        path: '/v1/executions/payout',
        body: JSON.stringify({ session_id: sid, payout_account_id: String(kit.payout_account_id), reference_id, passcode: passcodeBody(kit.m) }),
      };
    case 'transfer':
      return { path: '/v1/executions/transfer', body: JSON.stringify({ session_id: sid, reference_id }) };
    case 'refund':
      return { path: '/v1/executions/refund', body: JSON.stringify({ session_id: sid, reference_id }) };
  }
}

export const STATUS_PATH: Record<OpKind, string> = {
  collection_instant: 'collection',
  collection_async: 'collection',
  payout: 'payout',
  transfer: 'transfer',
  refund: 'refund',
};

/** Executions still open (PENDING or PROCESSING). */
export async function openExecutions(database: Database): Promise<number> {
  const [r] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from executions where status in ('PENDING', 'PROCESSING')`);
  return Number(r!.n);
}

export interface StoredExecution {
  merchant_id: number;
  operation_type: string;
  reference_id: string;
  id: number;
  status: string;
  posting_sets: string;
}

/** Every execution with its posting-set kinds ("collection", "payout_reserve,payout_settle", …). */
export async function storedExecutions(database: Database): Promise<Map<string, StoredExecution[]>> {
  const all = await rows<{ merchant_id: bigint; operation_type: string; reference_id: string; id: bigint; status: string; kinds: string | null }>(
    database.db,
    sql`select e.merchant_id, e.operation_type, e.reference_id, e.id, e.status,
               (select string_agg(kind, ',' order by kind) from ledger_transactions t where t.execution_id = e.id) as kinds
        from executions e`,
  );
  const out = new Map<string, StoredExecution[]>();
  for (const r of all) {
    const key = executionKey(Number(r.merchant_id), r.operation_type, r.reference_id);
    const list = out.get(key) ?? [];
    list.push({ merchant_id: Number(r.merchant_id), operation_type: r.operation_type, reference_id: r.reference_id, id: Number(r.id), status: r.status, posting_sets: r.kinds ?? '' });
    out.set(key, list);
  }
  return out;
}

export const executionKey = (merchant_id: number, operation_type: string, reference_id: string) => `${merchant_id}/${operation_type}/${reference_id.toLowerCase()}`;

/** Ledger transactions recorded twice for one execution and kind (the unique index should make this empty). */
export async function doublePostingSets(database: Database): Promise<number> {
  const [r] = await rows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from (select execution_id, kind from ledger_transactions where execution_id is not null
                                         group by execution_id, kind having count(*) > 1) d`,
  );
  return Number(r!.n);
}

export async function negativeWallets(database: Database): Promise<number> {
  const [r] = await rows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from ledger_accounts where code in ('wallet_available', 'wallet_pending') and balance_minor < 0`,
  );
  return Number(r!.n);
}
