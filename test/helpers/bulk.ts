/**
 * Fixtures at load-test scale, for the benchmark and the chaos suite.
 *
 * One template per merchant is made through the public API (a published invoice, a MoMo payment
 * account, a checkout session — so every row has exactly the shape the services write); then
 * thousands of copies are made with one SQL statement each (new invoice number, hosted token and
 * session). Creating them one by one over HTTP would take longer than the measurements themselves.
 * Executions are never cloned: they always go through the API under test.
 */
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config.js';
import { createServer, type Server } from '../../src/server.js';
import { type Database, rows } from '../../src/store/db.js';
import { checkoutSession, msisdn, paymentAccount, publishedInvoice } from './fixtures.js';
import { type MerchantFixture, type MerchantOptions, newMerchant } from './merchants.js';

/** A server in this process used only to create fixtures (its tokens work on every instance sharing the database). */
export interface SetupServer {
  readonly server: Server;
  readonly database: Database;
  readonly baseUrl: string;
  merchant(opts?: MerchantOptions): Promise<MerchantFixture>;
  close(): Promise<void>;
}

export async function openSetupServer(env: Record<string, string>): Promise<SetupServer> {
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    SANDBOX_BOOTSTRAP: 'false',
    RATE_LIMIT_MERCHANT_PER_MIN: '0',
    RATE_LIMIT_IP_PER_MIN: '0',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  } as NodeJS.ProcessEnv);
  const server = await createServer(config);
  const baseUrl = await server.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    server,
    database: server.database,
    baseUrl,
    merchant: (opts = {}) => newMerchant(server.services.ctx, baseUrl, opts),
    close: () => server.close(),
  };
}

/** What a collection needs, once per merchant: copied for every execution fired. */
export interface CollectionTemplate {
  merchant: MerchantFixture;
  account_id: number;
  source_id: number;
  session_id: number;
  currency: string;
}

export async function collectionTemplate(
  m: MerchantFixture,
  opts: { suffix?: string; amount?: number; currency?: string } = {},
): Promise<CollectionTemplate> {
  const currency = opts.currency ?? 'USD';
  const inv = await publishedInvoice(m, { currency, items: [{ amount: opts.amount ?? 25 }] });
  const account_id = await paymentAccount(m, { number: msisdn(opts.suffix ?? '000') });
  const session_id = await checkoutSession(m, inv);
  return { merchant: m, account_id, source_id: inv.id, session_id, currency };
}

const iso = (d: Date) => d.toISOString();

/**
 * `count` new published invoices copied from the template's (items included, numbers taken from
 * the merchant's counter so later creates do not collide), each with its own ACTIVE checkout
 * session expiring at `expires_at`. Returns the session ids.
 */
export async function cloneCheckoutSessions(database: Database, t: CollectionTemplate, count: number, at: Date, expires_at: Date): Promise<number[]> {
  if (count <= 0) return [];
  return database.transaction(async (tx) => {
    const [tpl] = await rows<{ number: string; source_type: string; merchant_id: bigint | number }>(
      tx,
      sql`select number, source_type, merchant_id from payment_sources where id = ${t.source_id}`,
    );
    if (!tpl) throw new Error(`template source ${t.source_id} not found`);
    const prefix = tpl.number.slice(0, tpl.number.lastIndexOf('-') + 1); // INV-2026-
    const year = Number(prefix.split('-')[1]);
    const [counter] = await rows<{ last_value: number }>(
      tx,
      sql`update document_counters set last_value = last_value + ${count}
          where merchant_id = ${t.merchant.merchant_id} and source_type = ${tpl.source_type} and year = ${year}
          returning last_value`,
    );
    if (!counter) throw new Error('template source has no document counter');
    const first = Number(counter.last_value) - count + 1;
    const ids = await rows<{ id: bigint | number }>(
      tx,
      sql`with src as (
            insert into payment_sources (merchant_id, source_type, number, counterparty_id, currency, total_amount_minor, status, note,
                                         fee_bearer, due_date, as_payment_link, reference_id, published_at, hosted_token, created_at, updated_at)
            select s.merchant_id, s.source_type,
                   ${prefix} || lpad((${first}::int + g - 1)::text, greatest(5, length((${first}::int + g - 1)::text)), '0'),
                   s.counterparty_id, s.currency, s.total_amount_minor, 'ACTIVE', s.note, s.fee_bearer, s.due_date, s.as_payment_link,
                   s.reference_id, ${iso(at)}::timestamptz, md5(random()::text || clock_timestamp()::text || g::text),
                   ${iso(at)}::timestamptz, ${iso(at)}::timestamptz
            from payment_sources s, generate_series(1, ${count}::int) g
            where s.id = ${t.source_id}
            returning id
          ), items as (
            insert into source_items (merchant_id, source_id, name, currency, qty, unit_amount_minor, created_at, updated_at)
            select i.merchant_id, src.id, i.name, i.currency, i.qty, i.unit_amount_minor, ${iso(at)}::timestamptz, ${iso(at)}::timestamptz
            from src, source_items i where i.source_id = ${t.source_id}
          )
          insert into sessions (merchant_id, kind, status, source_type, source_id, payment_account_id, wallet_id, payout_account_id,
                                to_counterparty_id, original_execution_id, amount_minor, currency, reason, expires_at, created_at, updated_at)
          select ss.merchant_id, ss.kind, 'ACTIVE', ss.source_type, src.id, ss.payment_account_id, ss.wallet_id, ss.payout_account_id,
                 ss.to_counterparty_id, ss.original_execution_id, ss.amount_minor, ss.currency, ss.reason,
                 ${iso(expires_at)}::timestamptz, ${iso(at)}::timestamptz, ${iso(at)}::timestamptz
          from src, sessions ss where ss.id = ${t.session_id}
          returning id`,
    );
    if (ids.length !== count) throw new Error(`assertion: cloned ${ids.length} checkout sessions, wanted ${count}`);
    return ids.map((r) => Number(r.id)).sort((a, b) => a - b);
  });
}

/** `count` ACTIVE copies of a payout, transfer or refund session (the same amount, account and wallet). */
export async function cloneSessions(database: Database, template_session_id: number, count: number, at: Date, expires_at: Date): Promise<number[]> {
  if (count <= 0) return [];
  const ids = await rows<{ id: bigint | number }>(
    database.db,
    sql`insert into sessions (merchant_id, kind, status, source_type, source_id, payment_account_id, wallet_id, payout_account_id,
                              to_counterparty_id, original_execution_id, amount_minor, currency, reason, expires_at, created_at, updated_at)
        select ss.merchant_id, ss.kind, 'ACTIVE', ss.source_type, ss.source_id, ss.payment_account_id, ss.wallet_id, ss.payout_account_id,
               ss.to_counterparty_id, ss.original_execution_id, ss.amount_minor, ss.currency, ss.reason,
               ${iso(expires_at)}::timestamptz, ${iso(at)}::timestamptz, ${iso(at)}::timestamptz
        from sessions ss, generate_series(1, ${count}::int) g
        where ss.id = ${template_session_id} and ss.kind <> 'CHECKOUT'
        returning id`,
  );
  if (ids.length !== count) throw new Error(`assertion: cloned ${ids.length} sessions from ${template_session_id}, wanted ${count}`);
  return ids.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** Row counts of every table in the public schema (fuzzing: nothing may be written). */
export async function tableCounts(database: Database, except: readonly string[] = []): Promise<Record<string, number>> {
  const tables = await rows<{ name: string }>(
    database.db,
    sql`select tablename as name from pg_tables where schemaname = 'public' order by tablename`,
  );
  const out: Record<string, number> = {};
  for (const { name } of tables) {
    if (except.includes(name)) continue;
    const [r] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from ${sql.identifier(name)}`);
    out[name] = Number(r!.n);
  }
  return out;
}
