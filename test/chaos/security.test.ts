/**
 * Security probes against a real server process (JWT_SECRET known to the test, every log line
 * captured at trace level):
 *  - merchant B sends merchant A's ids to every operation that takes one: 404 or 422, never A's
 *    data, nothing written; B's lists never show A's objects;
 *  - JWT tampering: alg none, wrong key, expired, edited claims, claims of another merchant,
 *    other algorithms, a realtime key or a revoked key's token used as an API token → 401;
 *  - payout passcode brute force: locked after 5 wrong tries, one at a time and all at once;
 *  - secrets (client secrets, passcodes, account numbers, bearer tokens, webhook and JWT secrets)
 *    absent from every response that is not the one documented to show them, and from the log.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { startTempPostgres, type TempPostgres } from '../../scripts/pg-temp.mjs';
import { revokeApiKey } from '../../src/services/merchants.js';
import { type Database, openDatabase, rows } from '../../src/store/db.js';
import { openSetupServer, type SetupServer } from '../helpers/bulk.js';
import { checkoutSession, msisdn, passcodeBody, paymentAccount, payoutSession, publishedInvoice, wallet } from '../helpers/fixtures.js';
import { Api, type ApiResponse } from '../helpers/http.js';
import type { MerchantFixture } from '../helpers/merchants.js';
import { counterparty, ok, party } from '../helpers/objects.js';
import { Receiver } from '../helpers/receiver.js';
import { loadEnv, type ServerProcess, startServerProcess } from '../helpers/processes.js';
import { pool, Summary } from './harness.js';

const JWT_SECRET = `chaos-jwt-${randomUUID()}`;
const MARKERS = ['Alpha Secret Party', 'alpha-secret-note', 'alpha@secret.example', 'Alpha Secret Item'];
/** Tables a request could change; the worker's own tables (jobs, deliveries) are left out. */
const BUSINESS_TABLES = [
  'merchants', 'api_keys', 'parties', 'counterparties', 'payment_sources', 'source_items', 'payment_accounts', 'sessions',
  'executions', 'ledger_accounts', 'ledger_transactions', 'ledger_postings', 'wallets', 'webhook_endpoints',
];

/** Every response the test saw, to look for secrets afterwards (the documented places excepted). */
const seen: { path: string; status: number; text: string }[] = [];
class RecordingApi extends Api {
  override async request<T = any>(method: string, path: string, opts: Parameters<Api['request']>[2] = {}): Promise<ApiResponse<T>> {
    const res = await super.request<T>(method, path, opts);
    seen.push({ path: `${method} ${path}`, status: res.status, text: res.text });
    return res;
  }
}

const b64url = (x: string | Buffer) => Buffer.from(x).toString('base64url');
function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, key?: string, alg = 'sha256'): string {
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return key === undefined ? `${head}.` : `${head}.${createHmac(alg, key).update(head).digest('base64url')}`;
}
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

async function tableHashes(database: Database): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of BUSINESS_TABLES) {
    const [r] = await rows<{ h: string }>(database.db, sql`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${sql.identifier(t)} x`);
    out[t] = r!.h;
  }
  return out;
}

interface Alpha {
  m: MerchantFixture;
  party_id: number;
  cp_id: number;
  invoice: { id: number; number: string };
  idle_invoice_id: number;
  item_id: number;
  order: { id: number; number: string };
  open_invoice_id: number;
  collection_account_id: number;
  payout_account_id: number;
  unused_checkout_session: number;
  unused_payout_session: number;
  unused_transfer_session: number;
  unused_refund_session: number;
  refs: Record<'collection' | 'payout' | 'transfer' | 'refund', string>;
  payment_intent_id: number;
  wallet_id: number;
  endpoint_id: number;
  delivery_id: number;
  realtime_key: string;
}

describe('chaos: security probes', { timeout: 30 * 60_000 }, () => {
  const summary = new Summary('security');
  let pg: TempPostgres;
  let database: Database;
  let setup: SetupServer;
  let server: ServerProcess;
  let receiver: Receiver;
  const secrets: Record<string, string> = {};
  const merchants: MerchantFixture[] = [];

  const onServer = (m: MerchantFixture): MerchantFixture => ({ ...m, api: new RecordingApi(server.url, m.token) });
  async function merchant(passcode: string): Promise<MerchantFixture> {
    const m = onServer(await setup.merchant({ passcode }));
    merchants.push(m);
    secrets[`client_secret of merchant ${m.merchant_id}`] = m.client_secret;
    secrets[`passcode of merchant ${m.merchant_id}`] = passcode;
    secrets[`bearer token of merchant ${m.merchant_id}`] = m.token;
    return m;
  }

  before(async () => {
    pg = await startTempPostgres({ fsync: false });
    const env = { DATABASE_URL: pg.url, JWT_SECRET, AUTH_CACHE_TTL_MS: '0', SANDBOX_TIME_SCALE: '0.01' };
    setup = await openSetupServer(env);
    database = await openDatabase({ database_url: pg.url, pool_max: 2 });
    server = await startServerProcess({ env: loadEnv({ ...env, LOG_LEVEL: 'trace' }), captureLogs: true, echoErrors: false });
    receiver = await new Receiver().start();
    secrets.JWT_SECRET = JWT_SECRET;
  });

  after(async () => {
    summary.write();
    await server?.stop();
    await receiver?.stop();
    await setup?.close();
    await database?.close();
    pg?.stop();
  });

  /** Merchant A with one of everything, made through the API. */
  async function alpha(): Promise<Alpha> {
    const m = await merchant('73915846');
    const ep = ok(await m.api.post('/v1/webhooks/endpoints', { url: receiver.url, description: 'alpha' }));
    secrets['webhook secret'] = ep.secret;
    const p = await party(m.api, { fullname: 'Alpha Secret Party', email: 'alpha@secret.example' });
    const cp = await counterparty(m.api, { party_id: p.id });
    const inv = ok(await m.api.post('/v1/invoices/create', { counterparty_id: cp.id, currency: 'USD', note: 'alpha-secret-note', fee_bearer: 'PAYER', as_payment_link: true }));
    const item = ok(await m.api.post(`/v1/invoices/${inv.id}/items/add`, { name: 'Alpha Secret Item', currency: 'USD', qty: 1, amount: 10 }));
    const published = ok(await m.api.put(`/v1/invoices/publish/${inv.id}`));
    const idle = ok(await m.api.post('/v1/invoices/create', { counterparty_id: cp.id, currency: 'USD', note: 'alpha-secret-note', fee_bearer: 'PAYER', as_payment_link: false }));
    const ord = ok(await m.api.post('/v1/orders/create', { counterparty_id: cp.id, currency: 'USD', note: 'alpha-secret-note', fee_bearer: 'PAYER', as_payment_link: true }));
    await m.api.post(`/v1/orders/${ord.id}/items/add`, { name: 'Alpha Secret Item', currency: 'USD', qty: 1, amount: 10 });
    const ordPublished = ok(await m.api.put(`/v1/orders/publish/${ord.id}`));
    const number = msisdn('000');
    secrets['collection account number'] = number;
    // the party's phone is not the account number, so a party answer showing its phone is no leak
    const collection_account_id = await paymentAccount(m, { number, party_id: p.id });
    const payoutNumber = msisdn('000');
    secrets['payout account number'] = payoutNumber;
    const payout_account_id = await paymentAccount(m, { number: payoutNumber, operation: 'PAYOUT', party_id: p.id });

    // one execution of every kind
    const refs = { collection: randomUUID(), payout: randomUUID(), transfer: randomUUID(), refund: randomUUID() };
    const collectRes = await m.api.post('/v1/executions/collection', {
      session_id: String(await checkoutSession(m, { id: inv.id, number: published.invoice_number, currency: 'USD', total_amount: 10, source_type: 'INVOICE' })),
      payment_account_id: String(collection_account_id),
      currency: 'USD',
      reference_id: refs.collection,
    });
    assert.equal(ok(collectRes).status, 'COMPLETED');
    const payment_intent_id = Number(collectRes.headers.get('x-payment-intent-id'));
    ok(await m.api.post('/v1/executions/payout', { session_id: String(await payoutSession(m, payout_account_id, 2)), payout_account_id: String(payout_account_id), reference_id: refs.payout, passcode: passcodeBody(m) }));
    const usd = await wallet(m.api, 'USD');
    const beneficiary = await counterparty(m.api, { relationship_type: 'BENEFICIARY', party_id: p.id });
    const expires_at = new Date(Date.now() + 60 * 60_000).toISOString();
    const transferSession = () => m.api.post('/v1/sessions/transfer', { from_wallet_id: usd.id, to_counterparty_id: beneficiary.id, amount: 1, currency: 'USD', expires_at });
    ok(await m.api.post('/v1/executions/transfer', { session_id: String(ok(await transferSession()).id), reference_id: refs.transfer }));
    const refundSession = () => m.api.post('/v1/sessions/refund', { original_payment_intent_id: payment_intent_id, amount: 1, expires_at });
    ok(await m.api.post('/v1/executions/refund', { session_id: String(ok(await refundSession()).id), reference_id: refs.refund }));

    const open = await publishedInvoice(m);
    const unused_checkout_session = await checkoutSession(m, open);
    const rt = ok(await m.api.post('/v1/realtime-keys/collection', { session_id: unused_checkout_session, source_type: 'INVOICE', reference_id: randomUUID() }));
    secrets['realtime key'] = rt.access_token;
    // wait for the webhook delivery rows the executions produced
    let delivery_id = 0;
    for (let i = 0; i < 100 && !delivery_id; i++) {
      delivery_id = (ok(await m.api.get(`/v1/webhooks/endpoints/${ep.id}/deliveries`))[0]?.id as number) ?? 0;
      if (!delivery_id) await new Promise((r) => setTimeout(r, 200));
    }
    return {
      m,
      party_id: p.id,
      cp_id: cp.id,
      invoice: { id: inv.id, number: published.invoice_number },
      idle_invoice_id: idle.id,
      item_id: item.id,
      order: { id: ord.id, number: ordPublished.order_number },
      open_invoice_id: open.id,
      collection_account_id,
      payout_account_id,
      unused_checkout_session,
      unused_payout_session: await payoutSession(m, payout_account_id, 1),
      unused_transfer_session: ok(await transferSession()).id,
      unused_refund_session: ok(await refundSession()).id,
      refs,
      payment_intent_id,
      wallet_id: usd.id,
      endpoint_id: ep.id,
      delivery_id,
      realtime_key: rt.access_token,
    };
  }

  it("another merchant's ids on every operation: 404 or 422, never data, nothing written", async () => {
    const a = await alpha();
    const b = await merchant('48151623');
    const bApi = b.api;
    const expires_at = new Date(Date.now() + 60 * 60_000).toISOString();
    const item = { name: 'x', currency: 'USD', qty: 1, amount: 1 };
    const src = { counterparty_id: a.cp_id, currency: 'USD', note: 'n', fee_bearer: 'PAYER', as_payment_link: false };
    const q = (o: Record<string, string | number>) => `?${new URLSearchParams(Object.entries(o).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
    const probes: [string, string, unknown?][] = [
      ['GET', `/v1/merchants/merchant-info${q({ merchant_id: a.m.merchant_id, merchant_type: 'ORGANIZATION' })}`],
      ['GET', `/v1/parties/retrieve/${a.party_id}`],
      ['POST', '/v1/counterparties/create', { relationship_type: 'CUSTOMER', party_id: a.party_id }],
      ['GET', `/v1/counterparties/retrieve/${a.cp_id}`],
      ['PUT', `/v1/counterparties/update/${a.cp_id}`, { relationship_type: 'SUPPLIER' }],
      ['POST', '/v1/invoices/create', src],
      ['POST', '/v1/orders/create', src],
      ['POST', `/v1/invoices/${a.idle_invoice_id}/items/add`, item],
      ['PUT', `/v1/invoices/${a.invoice.id}/items/${a.item_id}/update`, { name: 'y' }],
      ['DELETE', `/v1/invoices/${a.invoice.id}/items/${a.item_id}/remove`],
      ['PUT', `/v1/invoices/update/${a.idle_invoice_id}`, { note: 'taken over' }],
      ['PUT', `/v1/invoices/publish/${a.idle_invoice_id}`],
      ['DELETE', `/v1/invoices/cancel/${a.open_invoice_id}`],
      ['GET', `/v1/invoices/retrieve/${a.invoice.id}`],
      ['GET', `/v1/invoices/retrieve/number/${a.invoice.number}`],
      ['GET', `/v1/invoices/receipt/${a.invoice.id}`],
      ['GET', `/v1/invoices/receipt/number/${a.invoice.number}`],
      ['POST', `/v1/orders/${a.order.id}/items/add`, item],
      ['PUT', `/v1/orders/update/${a.order.id}`, { note: 'taken over' }],
      ['DELETE', `/v1/orders/cancel/${a.order.id}`],
      ['GET', `/v1/orders/retrieve/${a.order.id}`],
      ['GET', `/v1/orders/retrieve/number/${a.order.number}`],
      ['GET', `/v1/orders/receipt/${a.order.id}`],
      ['POST', '/v1/payment-accounts/create?operation_type=COLLECTION', { account_name: 'x', provider: 'PAWAPAY', method: 'MTN_MOMO_LBR', party_id: a.party_id, insensitive_account_number: msisdn('000') }],
      ['GET', `/v1/links/pay${q({ source_type: 'INVOICE', source_number: a.invoice.number })}`],
      ['GET', `/v1/links/receipt${q({ source_type: 'INVOICE', source_number: a.invoice.number })}`],
      ['POST', '/v1/checkouts/create', { mode: 'HOSTED', source_kind: 'INVOICE', party_phone: '231770001234', currency: 'USD', items: [{ name: 'x', currency: 'USD', amount: 1 }], counterparty_id: a.cp_id }],
      ['POST', '/v1/sessions/checkout', { source_id: a.open_invoice_id, source_type: 'INVOICE' }],
      ['POST', '/v1/sessions/payout', { payout_account_id: a.payout_account_id, amount: 1, currency: 'USD' }],
      ['POST', '/v1/sessions/transfer', { from_wallet_id: a.wallet_id, to_counterparty_id: a.cp_id, amount: 1, currency: 'USD', expires_at }],
      ['POST', '/v1/sessions/transfer', { from_wallet_id: (await wallet(bApi, 'USD')).id, to_counterparty_id: a.cp_id, amount: 1, currency: 'USD', expires_at }],
      ['POST', '/v1/sessions/refund', { original_payment_intent_id: a.payment_intent_id, amount: 1, expires_at }],
      ['POST', '/v1/executions/collection', { session_id: String(a.unused_checkout_session), payment_account_id: String(a.collection_account_id), currency: 'USD', reference_id: a.refs.collection }],
      ['POST', '/v1/executions/collection', { session_id: String(a.unused_checkout_session), payment_account_id: String(a.collection_account_id), currency: 'USD', reference_id: randomUUID() }],
      ['POST', '/v1/executions/payout', { session_id: String(a.unused_payout_session), payout_account_id: String(a.payout_account_id), reference_id: randomUUID(), passcode: passcodeBody(b) }],
      ['POST', '/v1/executions/transfer', { session_id: String(a.unused_transfer_session), reference_id: randomUUID() }],
      ['POST', '/v1/executions/refund', { session_id: String(a.unused_refund_session), reference_id: a.refs.refund }],
      ['GET', `/v1/status/collection/${a.refs.collection}`],
      ['GET', `/v1/status/payout/${a.refs.payout}`],
      ['GET', `/v1/status/transfer/${a.refs.transfer}`],
      ['GET', `/v1/status/refund/${a.refs.refund}`],
      ['GET', `/v1/status/source${q({ source_type: 'INVOICE', source_id: a.invoice.id })}`],
      ['GET', `/v1/wallets/${a.wallet_id}`],
      ['GET', `/v1/wallets/${a.wallet_id}/entries`],
      ['GET', `/v1/fees/merchant-tier${q({ owner_type: 'ORGANIZATION', owner_id: a.m.merchant_id })}`],
      ['GET', `/v1/predictions/amount-and-fees${q({ base_amount: 10, base_currency: 'USD', target_currency: 'USD', payment_method: 'MTN_MOMO_LBR', operation_type: 'COLLECTION', provider: 'PAWAPAY', fee_bearer: 'PAYER', owner_type: 'ORGANIZATION', owner_id: a.m.merchant_id })}`],
      ['GET', `/v1/predictions/payment-source/amount-and-fees${q({ target_currency: 'USD', payment_method: 'MTN_MOMO_LBR', provider: 'PAWAPAY', source_type: 'INVOICE', source_id: a.open_invoice_id })}`],
      ['POST', '/v1/realtime-keys/collection', { session_id: a.unused_checkout_session, source_type: 'INVOICE', reference_id: randomUUID() }],
      ['DELETE', `/v1/webhooks/endpoints/${a.endpoint_id}`],
      ['GET', `/v1/webhooks/endpoints/${a.endpoint_id}/deliveries`],
      ['GET', `/v1/webhooks/deliveries/${a.delivery_id}/attempts`],
      ['POST', `/v1/webhooks/deliveries/${a.delivery_id}/replay`],
    ];
    const lists = ['/v1/parties/list', '/v1/counterparties/list', '/v1/invoices/list', '/v1/orders/list', '/v1/wallets', '/v1/webhooks/endpoints'];

    const before = await tableHashes(database);
    const problems: string[] = [];
    for (const [method, path, body] of probes) {
      const res = await bApi.request(method, path, body === undefined ? {} : { body });
      const leaked = MARKERS.filter((mk) => res.text.includes(mk));
      // A 422 must be the ownership refusal ("… not found" on the id), not a schema complaint that never reached it.
      const ownership = res.status === 404 || (res.status === 422 && res.body.detail.every((d: { type: string }) => d.type === 'value_error.not_found'));
      if (!ownership || leaked.length) problems.push(`${method} ${path.split('?')[0]} → ${res.status}${leaked.length ? ` leaks ${leaked.join(', ')}` : ''}: ${res.text.slice(0, 120)}`);
    }
    for (const path of lists) {
      const res = await bApi.get(path);
      const ids = new Set([a.party_id, a.cp_id, a.invoice.id, a.order.id, a.wallet_id, a.endpoint_id]);
      const foreign = res.status === 200 && Array.isArray(res.body) ? res.body.filter((o: { id: number }) => ids.has(o.id) && path !== '/v1/wallets') : [];
      const leaked = MARKERS.filter((mk) => res.text.includes(mk));
      if (res.status !== 200 || foreign.length || leaked.length) problems.push(`GET ${path} → ${res.status}, ${foreign.length} of A's objects, markers ${leaked.join(', ')}`);
    }
    const afterHashes = await tableHashes(database);
    const changed = BUSINESS_TABLES.filter((t) => before[t] !== afterHashes[t]);
    summary.add(
      "another merchant's ids: 404/422, no data, no write",
      `${probes.length} operations with merchant A's ids as merchant B, ${lists.length} lists`,
      problems.length === 0 && changed.length === 0,
      [...problems.slice(0, 3), changed.length ? `changed: ${changed.join(', ')}` : ''].filter(Boolean).join('; '),
    );
    assert.deepEqual(problems, [], 'every probe refused without data');
    assert.deepEqual(changed, [], 'nothing written');
    (globalThis as { alphaFixture?: Alpha }).alphaFixture = a;
  });

  it('refuses tampered, foreign and out-of-place tokens with 401', async () => {
    const a = (globalThis as { alphaFixture?: Alpha }).alphaFixture!;
    const b = merchants[1]!;
    const c = claimsOf(a.m.token);
    const now = Math.floor(Date.now() / 1000);
    const [h, p, s] = a.m.token.split('.');
    const edited = `${h}.${b64url(JSON.stringify({ ...c, sub: String(b.merchant_id) }))}.${s}`;
    const revokable = onServer(await setup.merchant());
    await revokeApiKey(setup.server.services.ctx, revokable.client_id);
    const cases: [string, string][] = [
      ['alg none, no signature', jwt({ alg: 'none', typ: 'JWT' }, c)],
      ['alg none, original signature kept', `${jwt({ alg: 'none', typ: 'JWT' }, c).slice(0, -1)}.${s}`],
      ['signed with another key', jwt({ alg: 'HS256', typ: 'JWT' }, c, 'not-the-server-key')],
      ['expired (right key)', jwt({ alg: 'HS256', typ: 'JWT' }, { ...c, iat: now - 7200, exp: now - 60 }, JWT_SECRET)],
      ['no exp (right key)', jwt({ alg: 'HS256', typ: 'JWT' }, { sub: c.sub, kid: c.kid, typ: 'access', iat: now }, JWT_SECRET)],
      ['claims edited, signature kept', edited],
      ["merchant B's id with A's key id (right key)", jwt({ alg: 'HS256', typ: 'JWT' }, { ...c, sub: String(b.merchant_id) }, JWT_SECRET)],
      ['unknown key id (right key)', jwt({ alg: 'HS256', typ: 'JWT' }, { ...c, kid: 999_999 }, JWT_SECRET)],
      ['typ realtime (right key)', jwt({ alg: 'HS256', typ: 'JWT' }, { ...c, typ: 'realtime' }, JWT_SECRET)],
      ['HS512 with the right key', jwt({ alg: 'HS512', typ: 'JWT' }, c, JWT_SECRET, 'sha512')],
      ['RS256 header, HMAC signature', jwt({ alg: 'RS256', typ: 'JWT' }, c, JWT_SECRET)],
      ['a realtime key as an API token', a.realtime_key],
      ["a revoked key's token", revokable.token],
      ['token of 5,000 characters', `${a.m.token}${'A'.repeat(5_000)}`],
      ['two tokens', `${a.m.token} ${b.token}`],
    ];
    const control = jwt({ alg: 'HS256', typ: 'JWT' }, { ...c, iat: now, exp: now + 600 }, JWT_SECRET);
    const controlRes = await new RecordingApi(server.url, control).get('/v1/wallets');
    const problems: string[] = [];
    for (const [label, token] of cases) {
      for (const path of ['/v1/wallets', `/v1/status/collection/${a.refs.collection}`]) {
        const res = await new RecordingApi(server.url, token).get(path);
        if (res.status !== 401 || res.body?.detail !== 'Could not validate credentials') problems.push(`${label} on ${path} → ${res.status} ${res.text.slice(0, 80)}`);
      }
    }
    const missing = await new RecordingApi(server.url).get('/v1/wallets');
    const missingOk = missing.status === 401 && missing.body?.detail === 'Not authenticated' && /bearer/i.test(missing.headers.get('www-authenticate') ?? '');
    summary.add(
      'JWT tampering → 401',
      `${cases.length} forged or misused tokens × 2 operations; a correctly signed control token answers ${controlRes.status}`,
      problems.length === 0 && controlRes.status === 200 && missingOk,
      [...problems.slice(0, 3), missingOk ? '' : `no header → ${missing.status} ${missing.text}`].filter(Boolean).join('; '),
    );
    assert.equal(controlRes.status, 200, 'the forging code makes a valid token when it should');
    assert.deepEqual(problems, []);
    assert.ok(missingOk, 'no token: 401 Not authenticated with WWW-Authenticate');
  });

  it('locks the payout passcode after 5 wrong tries, one at a time', async () => {
    const m = await merchant('26483517');
    const account = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
    const session = await payoutSession(m, account, 1);
    const tryCode = (code: string) => m.api.post('/v1/executions/payout', { session_id: String(session), payout_account_id: String(account), reference_id: randomUUID(), passcode: passcodeBody(m, code) });
    const answers: ApiResponse[] = [];
    for (let i = 0; i < 5; i++) answers.push(await tryCode('00000000'));
    const correctAfter = await tryCode(m.passcode);
    const lockedOk = answers.every((r) => r.status === 403) && /locked/.test(answers[4]!.body.detail) && correctAfter.status === 403 && /locked/.test(correctAfter.body.detail);
    summary.add('passcode brute force, sequential', '5 wrong passcodes, then the right one', lockedOk, lockedOk ? '' : `${answers.map((r) => r.status).join(',')} then ${correctAfter.status} ${correctAfter.text.slice(0, 100)}`);
    assert.ok(lockedOk, `locked after 5: ${correctAfter.text}`);
  });

  it('locks the payout passcode after 5 wrong tries, all sent at once', async () => {
    const m = await merchant('59267148');
    const account = await paymentAccount(m, { number: msisdn('000'), operation: 'PAYOUT' });
    const session = await payoutSession(m, account, 1);
    const GUESSES = 40;
    const wrong = Array.from({ length: GUESSES }, (_, i) => String(10_000_000 + i));
    const answers: ApiResponse[] = [];
    await pool(wrong, GUESSES, async (code) => {
      answers.push(await m.api.post('/v1/executions/payout', { session_id: String(session), payout_account_id: String(account), reference_id: randomUUID(), passcode: passcodeBody(m, code) }));
    });
    // A guess was checked when the answer says the passcode was wrong (not "locked … try again after").
    const checked = answers.filter((r) => /^Invalid payout passcode/.test(r.body?.detail ?? '')).length;
    const correct = await m.api.post('/v1/executions/payout', { session_id: String(session), payout_account_id: String(account), reference_id: randomUUID(), passcode: passcodeBody(m) });
    const held = checked <= 5 && correct.status === 403;
    summary.add(
      'passcode brute force, concurrent',
      `${GUESSES} wrong passcodes at once, then the right one`,
      held,
      `${checked} guesses were checked against the passcode (at most 5 may be); the right one then answered ${correct.status}`,
    );
    assert.ok(checked <= 5, `at most 5 guesses checked before the lock, ${checked} were`);
    assert.equal(correct.status, 403, 'locked afterwards');
  });

  it('keeps secrets out of responses and logs', async () => {
    // Let the worker deliver webhooks and finish what it is doing, then read everything.
    await new Promise((r) => setTimeout(r, 1_500));
    const documented = (path: string) =>
      /\/v1\/jwt\/client\/obtain\/token|POST \/v1\/webhooks\/endpoints$|\/v1\/realtime-keys\/collection/.test(path);
    const inResponses: string[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      const hit = seen.find((r) => !documented(r.path) && r.text.includes(value));
      if (hit) inResponses.push(`${name} in ${hit.path}`);
    }
    const logText = server.logs.join('\n');
    const inLogs = Object.entries(secrets).filter(([, v]) => logText.includes(v)).map(([k]) => k);
    summary.add(
      'secrets absent from responses',
      `${Object.keys(secrets).length} secrets looked for in ${seen.length} responses (not the token, webhook-create and realtime-key answers that must show them)`,
      inResponses.length === 0,
      inResponses.slice(0, 3).join('; '),
    );
    summary.add('secrets absent from logs', `the same secrets in ${server.logs.length} log lines at LOG_LEVEL=trace`, inLogs.length === 0, inLogs.join(', '));
    assert.deepEqual(inResponses, []);
    assert.deepEqual(inLogs, []);
    assert.ok(server.logs.length > 100, 'the log was captured');
  });
});
