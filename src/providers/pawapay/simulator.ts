/**
 * A pawaPay Merchant API v2 simulator: the carrier's side of the wire, on loopback, with the same
 * magic-number table as the in-process sandbox (MOMO_SCENARIOS: the MSISDN's last three digits
 * choose the outcome; a refund follows its deposit's number). Point the server at it with
 * PAWAPAY_BASE_URL and the real PawapayConnector runs end to end without pawaPay.
 *
 *   npm run pawapay:sim -- --port 9010 --callback-url http://127.0.0.1:8000/callbacks/pawapay [--token T] [--time-scale 0.1] [--sign-callbacks]
 *
 * Endpoints: POST /v2/deposits|payouts|refunds, GET /v2/deposits|payouts|refunds/{id},
 * GET /v2/public-key/http. Every call needs `Authorization: Bearer <token>` (401/403 otherwise).
 * Answers follow the v2 docs: initiate → ACCEPTED | REJECTED (+failureReason) | DUPLICATE_IGNORED;
 * status → FOUND {data} | NOT_FOUND; callbacks carry the payment in its final state.
 *
 * How the table's initiate behaviours look on this wire:
 * - complete_now (000): ACCEPTED, and the status is COMPLETED at once (pawaPay never completes
 *   inside the initiate call, so the first status read — not the initiate answer — finds it done).
 * - reject (012): REJECTED with PAYER_NOT_FOUND (RECIPIENT_NOT_FOUND for payouts); the record reads FAILED.
 * - unavailable (051): 503 and nothing recorded (status: NOT_FOUND); unavailable_once (050): the first call.
 * - slow_accept (040): recorded, but the answer is held for `slow_response_ms` (past the client's timeout).
 * Callbacks go to `callback_url` when the scenario's time has come, as many as the table says
 * (0: lost, 2: duplicated — sent concurrently). Time is the injected clock: tests advance it and
 * call deliverDue(); by hand a timer delivers with real time.
 *
 * State lives in memory (it is the carrier's side), bounded to TXNS_MAX payments.
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Clock, systemClock } from '../../clock.js';
import { COUNTRY_OF_METHOD, CURRENCIES_OF_COUNTRY, MOMO_METHODS, type PaymentMethod } from '../../domain/enums.js';
import { exponentOf } from '../../domain/money.js';
import { FAILURE_MESSAGES, type MomoScenario, momoScenario } from '../sandbox/scenarios.js';
import type { CarrierOperation } from '../types.js';
import { fromPawapayAmount, OPERATIONS, type Payment, paymentBody, UUID_RE } from './protocol.js';
import { contentDigest, signRequest } from './signatures.js';

const BODY_BYTES_MAX = 64 * 1024;
const TXNS_MAX = 100_000;
const REQUEST_LOG_MAX = 1_000;
const CALLBACK_TIMEOUT_MS = 5_000;
const CALLBACK_ATTEMPTS_MAX = 5;
const DELIVERY_BATCH_MAX = 16;
export const SIM_KEY_ID = 'pawapay-simulator-key';

const ISO3: Record<string, string> = { LR: 'LBR', RW: 'RWA' };
const CALLING_CODE: Record<string, string> = { LR: '231', RW: '250' };

export interface SimulatorOptions {
  api_token: string;
  /** Where callbacks go (settable later: tests learn the server's port after starting it). */
  callback_url?: string;
  clock?: Clock;
  /** Multiplies every scenario delay (0.01: a 15 s approval takes 150 ms). */
  time_scale?: number;
  /** How long a slow_accept (040) initiate holds its answer. */
  slow_response_ms?: number;
  /** Sign callbacks (RFC 9421, ecdsa-p256-sha256) and publish the key at /v2/public-key/http. */
  sign_callbacks?: boolean;
  /** Deliver due callbacks on a timer every this many ms (running by hand); tests call deliverDue(). */
  auto_deliver_ms?: number;
}

interface SimTxn {
  readonly operation: CarrierOperation;
  readonly id: string;
  readonly scenario: MomoScenario;
  readonly method: string;
  readonly msisdn: string;
  readonly amount: string;
  readonly currency: string;
  readonly deposit_id?: string;
  readonly created_at: Date;
  readonly final_status: 'COMPLETED' | 'FAILED' | 'NONE';
  readonly final_at: Date | null;
  readonly failure_code?: string;
  readonly provider_transaction_id: string;
  readonly callbacks_due: number;
  callbacks_sent: number;
  callback_attempts: number;
  delivering: boolean;
}

export interface SimRequestLog {
  readonly method: string;
  readonly path: string;
  readonly id?: string;
  readonly status: number;
}

type Answer = { status: number; body: unknown; hold_ms?: number };

export class PawapaySimulator {
  callback_url: string | undefined;
  url = '';
  /** The last REQUEST_LOG_MAX calls, oldest first (tests check what the client sent). */
  readonly requests: SimRequestLog[] = [];
  callbacks_delivered = 0;
  private readonly clock: Clock;
  private readonly time_scale: number;
  private readonly txns = new Map<string, SimTxn>();
  private readonly failed_once = new Set<string>();
  private readonly held = new Set<NodeJS.Timeout>();
  private readonly signing?: { key: KeyObject; public_pem: string };
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: SimulatorOptions) {
    if (!o.api_token) throw new Error('assertion: the simulator needs a token to check');
    this.callback_url = o.callback_url;
    this.clock = o.clock ?? systemClock;
    this.time_scale = o.time_scale ?? 1;
    if (!(this.time_scale > 0)) throw new Error('assertion: time_scale must be positive');
    if (o.sign_callbacks) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      this.signing = { key: privateKey, public_pem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
    }
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) this.send(res, 500, { errorMessage: 'simulator error' });
      });
    });
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    this.url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    if (this.o.auto_deliver_ms) this.timer = setInterval(() => void this.deliverDue().catch(() => {}), this.o.auto_deliver_ms);
    return this.url;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const t of this.held) clearTimeout(t);
    this.held.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A payment as the simulator holds it (tests). */
  payment(operation: CarrierOperation, id: string): Payment | undefined {
    const t = this.txns.get(`${operation}:${id.toLowerCase()}`);
    return t && this.view(t);
  }

  /** How many callbacks for a payment were delivered (answered 2xx) so far (tests). */
  callbacksDelivered(operation: CarrierOperation, id: string): number {
    return this.txns.get(`${operation}:${id.toLowerCase()}`)?.callbacks_sent ?? 0;
  }

  /** Send every callback whose time has come; resolves with how many were delivered (2xx). */
  async deliverDue(): Promise<number> {
    const url = this.callback_url;
    if (!url) return 0;
    const now = this.clock.now().getTime();
    const due = [...this.txns.values()].filter(
      (t) => !t.delivering && t.final_at !== null && t.final_at.getTime() <= now && t.callbacks_sent < t.callbacks_due && t.callback_attempts < CALLBACK_ATTEMPTS_MAX,
    );
    let delivered = 0;
    for (let i = 0; i < due.length; i += DELIVERY_BATCH_MAX) {
      const batch = due.slice(i, i + DELIVERY_BATCH_MAX);
      const counts = await Promise.all(batch.map((t) => this.deliver(url, t)));
      delivered += counts.reduce((a, b) => a + b, 0);
    }
    return delivered;
  }

  // -------------------------------------------------------------------------------------------

  private async deliver(url: string, t: SimTxn): Promise<number> {
    t.delivering = true;
    try {
      const body = JSON.stringify(this.view(t));
      const copies = t.callbacks_due - t.callbacks_sent;
      // A duplicated callback (031) arrives twice at once: the receiver must apply it once.
      const oks = await Promise.all(Array.from({ length: copies }, () => this.post(url, body)));
      const sent = oks.filter(Boolean).length;
      t.callbacks_sent += sent;
      if (sent < copies) t.callback_attempts++;
      this.callbacks_delivered += sent;
      return sent;
    } finally {
      t.delivering = false;
    }
  }

  private async post(url: string, body: string): Promise<boolean> {
    try {
      const res = await fetch(url, { method: 'POST', headers: this.callbackHeaders(url, body), body, redirect: 'error', signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS) });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok;
    } catch {
      return false;
    }
  }

  /** The headers a callback to `url` carries (signed when signing is on); public so tests can replay or tamper. */
  callbackHeaders(url: string, body: string): Record<string, string> {
    const target = new URL(url);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.signing) {
      headers['content-digest'] = contentDigest(body, 'sha-512');
      headers['signature-date'] = this.clock.now().toISOString();
      const signed = signRequest(
        { method: 'POST', authority: target.host, path: target.pathname, headers },
        {
          label: 'sig-pp',
          components: ['@method', '@authority', '@path', 'signature-date', 'content-digest', 'content-type'],
          alg: 'ecdsa-p256-sha256',
          keyid: SIM_KEY_ID,
          key: this.signing.key,
          created_s: Math.floor(this.clock.now().getTime() / 1000),
        },
      );
      Object.assign(headers, signed);
    }
    return headers;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const log = (status: number, id?: string) => {
      this.requests.push({ method, path, status, ...(id ? { id } : {}) });
      if (this.requests.length > REQUEST_LOG_MAX) this.requests.splice(0, this.requests.length - REQUEST_LOG_MAX);
    };
    const auth = req.headers.authorization;
    if (!auth) {
      log(401);
      return this.send(res, 401, { failureReason: { failureCode: 'NO_AUTHENTICATION', failureMessage: 'No API token in the Authorization header' } });
    }
    if (auth !== `Bearer ${this.o.api_token}`) {
      log(403);
      return this.send(res, 403, { failureReason: { failureCode: 'AUTHENTICATION_ERROR', failureMessage: 'The API token is not valid' } });
    }
    if (method === 'GET' && path === '/v2/public-key/http') {
      log(200);
      return this.send(res, 200, this.signing ? [{ id: SIM_KEY_ID, key: this.signing.public_pem }] : []);
    }
    const op = (Object.keys(OPERATIONS) as CarrierOperation[]).find((o) => path === OPERATIONS[o].path || path.startsWith(`${OPERATIONS[o].path}/`));
    if (!op) {
      log(404);
      return this.send(res, 404, { errorMessage: 'Not found' });
    }
    if (method === 'GET' && path !== OPERATIONS[op].path) {
      const id = decodeURIComponent(path.slice(OPERATIONS[op].path.length + 1)).toLowerCase();
      const t = this.txns.get(`${op}:${id}`);
      log(200, id);
      return this.send(res, 200, t ? { status: 'FOUND', data: this.view(t) } : { status: 'NOT_FOUND' });
    }
    if (method !== 'POST' || path !== OPERATIONS[op].path) {
      log(405);
      return this.send(res, 405, { errorMessage: 'Method not allowed' });
    }
    const raw = await readBody(req);
    let json: unknown;
    try {
      json = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const answer = this.initiate(op, json);
    const id = (json as Record<string, unknown> | undefined)?.[OPERATIONS[op].id_field];
    log(answer.status, typeof id === 'string' ? id.toLowerCase() : undefined);
    if (answer.hold_ms) return this.hold(res, answer);
    return this.send(res, answer.status, answer.body);
  }

  /** Decide the answer to an initiate call, recording the payment when pawaPay would have. */
  private initiate(op: CarrierOperation, json: unknown): Answer {
    const id_field = OPERATIONS[op].id_field;
    if (typeof json !== 'object' || json === null) return rejected(400, id_field, undefined, 'INVALID_INPUT', 'The body is not a JSON object');
    const b = json as Record<string, unknown>;
    const rawId = b[id_field];
    if (typeof rawId !== 'string' || !UUID_RE.test(rawId)) return rejected(400, id_field, undefined, 'INVALID_PARAMETER', `${id_field} must be a UUIDv4`);
    const id = rawId.toLowerCase();
    if (this.txns.has(`${op}:${id}`)) return { status: 200, body: { [id_field]: rawId, status: 'DUPLICATE_IGNORED', created: this.now() } };
    if (typeof b.amount !== 'string' || typeof b.currency !== 'string') return rejected(400, id_field, rawId, 'MISSING_PARAMETER', 'amount and currency are required');

    let method: string;
    let msisdn: string;
    let deposit: SimTxn | undefined;
    if (op === 'refund') {
      deposit = typeof b.depositId === 'string' ? this.txns.get(`collection:${b.depositId.toLowerCase()}`) : undefined;
      if (!deposit) return rejected(200, id_field, rawId, 'INVALID_PARAMETER', `Deposit ${String(b.depositId)} not found`);
      if (this.view(deposit).status !== 'COMPLETED') return rejected(200, id_field, rawId, 'INVALID_PARAMETER', 'Only a COMPLETED deposit can be refunded');
      if (b.currency !== deposit.currency) return rejected(200, id_field, rawId, 'INVALID_CURRENCY', `The deposit was in ${deposit.currency}`);
      method = deposit.method;
      msisdn = deposit.msisdn;
    } else {
      const party = b[OPERATIONS[op].party_field!] as { type?: unknown; accountDetails?: { phoneNumber?: unknown; provider?: unknown } } | undefined;
      const details = party?.accountDetails;
      if (party?.type !== 'MMO' || typeof details?.phoneNumber !== 'string' || typeof details.provider !== 'string') {
        return rejected(400, id_field, rawId, 'MISSING_PARAMETER', `${OPERATIONS[op].party_field}.accountDetails is required`);
      }
      method = details.provider;
      msisdn = details.phoneNumber;
      if (!(MOMO_METHODS as readonly string[]).includes(method)) return rejected(200, id_field, rawId, 'INVALID_PROVIDER', `Unknown provider ${method}`);
      const country = COUNTRY_OF_METHOD[method as PaymentMethod]!;
      if (!/^\d{8,15}$/.test(msisdn) || !msisdn.startsWith(CALLING_CODE[country]!)) return rejected(200, id_field, rawId, 'INVALID_PHONE_NUMBER', `${msisdn} is not a ${country} MSISDN`);
      if (!CURRENCIES_OF_COUNTRY[country]!.includes(b.currency)) return rejected(200, id_field, rawId, 'INVALID_CURRENCY', `${method} does not pay in ${b.currency}`);
    }
    if (!/^(0|[1-9]\d{0,14})(\.\d{1,2})?$/.test(b.amount) || (exponentOf(b.currency) === 0 && b.amount.includes('.'))) {
      return rejected(200, id_field, rawId, 'INVALID_AMOUNT', `${b.amount} is not a valid ${b.currency} amount`);
    }
    const amount_minor = fromPawapayAmount(b.amount, b.currency);
    if (amount_minor === undefined) return rejected(200, id_field, rawId, 'AMOUNT_OUT_OF_BOUNDS', 'The amount must be positive');
    if (deposit) {
      const left = fromPawapayAmount(deposit.amount, deposit.currency)! - this.refunded(deposit.id);
      if (left <= 0n) return rejected(200, id_field, rawId, 'DEPOSIT_ALREADY_REFUNDED', 'The deposit has been refunded in full');
      if (amount_minor > left) return rejected(200, id_field, rawId, 'AMOUNT_TOO_LARGE', 'The amount is more than is left to refund');
    }

    const scenario = momoScenario(msisdn);
    if (scenario.initiate === 'unavailable') return { status: 503, body: { errorMessage: 'Service Unavailable' } };
    if (scenario.initiate === 'unavailable_once' && !this.failed_once.has(id)) {
      this.failed_once.add(id);
      return { status: 503, body: { errorMessage: 'Service Unavailable (transient)' } };
    }
    if (this.txns.size >= TXNS_MAX) return { status: 503, body: { errorMessage: 'Simulator is full' } };
    const now = this.clock.now();
    const rejectedNow = scenario.initiate === 'reject';
    const failure_code = rejectedNow && op !== 'collection' ? 'RECIPIENT_NOT_FOUND' : scenario.failure_code;
    const final_status = rejectedNow ? 'FAILED' : scenario.final;
    const t: SimTxn = {
      operation: op,
      id,
      scenario,
      method,
      msisdn,
      amount: b.amount,
      currency: b.currency,
      ...(deposit ? { deposit_id: deposit.id } : {}),
      created_at: now,
      final_status,
      final_at: final_status === 'NONE' ? null : new Date(now.getTime() + Math.round(scenario.after_ms * this.time_scale)),
      ...(failure_code ? { failure_code } : {}),
      provider_transaction_id: `MP${randomBytes(6).toString('hex').toUpperCase()}`,
      callbacks_due: rejectedNow ? 0 : scenario.callbacks,
      callbacks_sent: 0,
      callback_attempts: 0,
      delivering: false,
    };
    this.txns.set(`${op}:${id}`, t);
    if (rejectedNow) return rejected(200, id_field, rawId, failure_code!, FAILURE_MESSAGES[failure_code!] ?? 'Rejected');
    const body = { [id_field]: rawId, status: 'ACCEPTED', created: now.toISOString() };
    if (scenario.initiate === 'slow_accept') return { status: 200, body, hold_ms: this.o.slow_response_ms ?? 15_000 };
    return { status: 200, body };
  }

  /** What has been refunded of a deposit, or is being refunded (anything not FAILED). */
  private refunded(deposit_id: string): bigint {
    let sum = 0n;
    for (const t of this.txns.values()) {
      if (t.operation === 'refund' && t.deposit_id === deposit_id && this.view(t).status !== 'FAILED') sum += fromPawapayAmount(t.amount, t.currency) ?? 0n;
    }
    return sum;
  }

  /** The payment as pawaPay reports it at the clock's now. */
  private view(t: SimTxn): Payment {
    const final = t.final_status !== 'NONE' && t.final_at !== null && t.final_at.getTime() <= this.clock.now().getTime();
    const status = final ? t.final_status : t.created_at.getTime() === this.clock.now().getTime() ? 'ACCEPTED' : 'PROCESSING';
    const country = COUNTRY_OF_METHOD[t.method as PaymentMethod];
    const party = { type: 'MMO' as const, accountDetails: { phoneNumber: t.msisdn, provider: t.method } };
    return paymentBody(t.operation, t.id, {
      status: status as Payment['status'],
      amount: t.amount,
      currency: t.currency,
      ...(country ? { country: ISO3[country] } : {}),
      ...(t.operation === 'collection' ? { payer: party } : { recipient: party }),
      ...(t.deposit_id ? { depositId: t.deposit_id } : {}),
      created: t.created_at.toISOString(),
      ...(status === 'COMPLETED' ? { providerTransactionId: t.provider_transaction_id } : {}),
      ...(status === 'FAILED' ? { failureReason: { failureCode: t.failure_code ?? 'UNKNOWN_ERROR', failureMessage: FAILURE_MESSAGES[t.failure_code ?? ''] ?? 'The operator failed the payment' } } : {}),
    });
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  /** Answer late (040): the client has given up by then; if it hung up, nothing is written. */
  private hold(res: ServerResponse, a: Answer): void {
    const timer = setTimeout(() => {
      this.held.delete(timer);
      if (!res.destroyed) this.send(res, a.status, a.body);
    }, a.hold_ms);
    this.held.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      this.held.delete(timer);
    });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

function rejected(status: number, id_field: string, id: string | undefined, failureCode: string, failureMessage: string): Answer {
  return { status, body: { ...(id ? { [id_field]: id } : {}), status: 'REJECTED', failureReason: { failureCode, failureMessage } } };
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_BYTES_MAX) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// By hand: npm run pawapay:sim -- --port 9010 --callback-url http://127.0.0.1:8000/callbacks/pawapay

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '9010' },
      host: { type: 'string', default: '127.0.0.1' },
      'callback-url': { type: 'string' },
      token: { type: 'string' },
      'time-scale': { type: 'string', default: '1' },
      'slow-ms': { type: 'string', default: '15000' },
      'sign-callbacks': { type: 'boolean', default: false },
    },
  });
  const token = values.token ?? process.env.PAWAPAY_API_TOKEN ?? 'pawapay-sim-token';
  const sim = new PawapaySimulator({
    api_token: token,
    ...(values['callback-url'] ? { callback_url: values['callback-url'] } : {}),
    time_scale: Number(values['time-scale']),
    slow_response_ms: Number(values['slow-ms']),
    sign_callbacks: values['sign-callbacks'],
    auto_deliver_ms: 250,
  });
  const url = await sim.start(Number(values.port), values.host);
  console.log(`pawaPay simulator (API v2) on ${url}`);
  console.log(`  token          ${token}`);
  console.log(`  callbacks to   ${sim.callback_url ?? '(none: pass --callback-url)'}${values['sign-callbacks'] ? ' (signed, RFC 9421)' : ''}`);
  console.log(`  server env     PAWAPAY_BASE_URL=${url} PAWAPAY_API_TOKEN=${token}${values['sign-callbacks'] ? ' PAWAPAY_CALLBACK_SIGNATURES=required' : ''}`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
