/**
 * Executions: submit a session and move money, keyed by the client's UUIDv4 reference_id.
 *
 * The idempotency contract (README "Idempotency"), enforced by the database:
 *  - one execution per (merchant, operation, reference_id): a unique index, not process memory;
 *  - the same reference_id with the same payload answers the same execution's current state and
 *    moves nothing again; with a different payload it answers 422 on ["body","reference_id"];
 *  - concurrent requests with one reference_id serialize on the session row: exactly one inserts,
 *    the others answer its current state (200, status PENDING/PROCESSING while it is in flight);
 *  - a crash between "received" and "answered" leaves the stored state as the truth: a retry (or
 *    the reconciler) resumes the carrier call with the same carrier key or reports the outcome.
 */
import { CURRENCIES_OF_COUNTRY, GATEWAY_OF_METHOD, COUNTRY_OF_METHOD, type FeeBearer, type OperationType, type OwnerType, type PaymentMethod } from '../domain/enums.js';
import { DomainError, forbidden, invalid } from '../domain/errors.js';
import { requestFingerprint, reservePostings, transferPostings } from '../domain/executions.js';
import type { SessionKind, SourceType } from '../domain/enums.js';
import { formatMinor, parseDecimal } from '../domain/money.js';
import { convertMinor, type Price } from '../domain/pricing.js';
import { InsufficientFunds, MerchantAccount, PlatformAccount, postTransaction } from '../ledger/ledger.js';
import { indexPlans, type Tx } from '../store/db.js';
import { afterMove, type ExecutionRow, type ExecutionStatusRow, findExecution, findExecutionByReference, findExecutionsByReference, type Move, moveExecutions, type ReferenceKey, type NewExecution, type NewStart, releaseRefundable, reserveRefundable, type SourceClaim, startExecutions, undoClaims } from '../store/executions.js';
import { type Outcome, rounds } from '../store/group-commit.js';
import { findMerchant, reservePasscodeAttempt, updateMerchant } from '../store/merchants.js';
import { findCounterparty } from '../store/counterparties.js';
import { findSource, type SourceRow } from '../store/sources.js';
import { type LockedAccount, type LockedSource, lockSessionsForExecution, type SessionRow } from '../store/sessions.js';
import { findWallet, findWalletForCurrency } from '../store/wallets.js';
import type { AuthContext } from './auth.js';
import { verifySecret } from './crypto.js';
import { passcodeRemembered, rememberPasscode } from './passcode-memo.js';
import type { Services } from './index.js';
import { carrierKey } from '../providers/types.js';
import { STATUS_CHANNEL } from './events.js';
import { emitExecutionEvents } from './webhooks.js';
import { toExecutionResponse } from './execution-view.js';

export { type ExecutionResponse, toExecutionResponse } from './execution-view.js';
import { initiate, INITIATE_LEASE_MS, reconcile } from './settlement.js';
import { refundableMinor } from './sessions.js';

export const PASSCODE_ATTEMPTS_MAX = 5;
export const PASSCODE_LOCK_MS = 15 * 60_000;
/** Card collections settle in USD (the Stripe account's currency). */
export const CARD_CURRENCIES: readonly string[] = ['USD'];

const SESSION_KIND: Record<OperationType, SessionKind> = { COLLECTION: 'CHECKOUT', PAYOUT: 'PAYOUT', TRANSFER: 'TRANSFER', REFUND: 'REFUND' };
const EXECUTE_PATH: Record<SessionKind, string> = {
  CHECKOUT: 'POST /v1/executions/collection',
  PAYOUT: 'POST /v1/executions/payout',
  TRANSFER: 'POST /v1/executions/transfer',
  REFUND: 'POST /v1/executions/refund',
};
const STATUS_PATH: Record<OperationType, string> = { COLLECTION: 'collection', PAYOUT: 'payout', TRANSFER: 'transfer', REFUND: 'refund' };

function duplicate(op: OperationType, reference_id: string): DomainError {
  return invalid(
    ['body', 'reference_id'],
    `reference_id ${reference_id} already exists for a different ${op.toLowerCase()}; query GET /v1/status/${STATUS_PATH[op]}/${reference_id}, and use a new UUID only for a new payment`,
    'value_error.duplicate',
  );
}

export interface PlanContext {
  session: SessionRow;
  /** The payment account the request names, read with the session lock (null: none of this merchant's). */
  account: LockedAccount | null;
  /** The session's source as read with the lock (not locked; a collection claims it when it starts). */
  source: LockedSource | null;
  merchant_type: OwnerType;
  now: Date;
}

interface Plan {
  values: Omit<NewExecution, 'merchant_id' | 'operation_type' | 'reference_id' | 'request_hash' | 'session_id' | 'carrier_key' | 'created_at' | 'updated_at'>;
  /** Effects that need the execution id (holds, postings); may return the outcome to record. */
  after?: (tx: Tx, row: ExecutionRow) => Promise<Partial<NewExecution> | void>;
  /** What the carrier call needs that the plan already read (saves reading it again). */
  msisdn?: string | undefined;
  /**
   * A collection's claims, taken in the statement that starts the execution (both or none with
   * the insert): its source ACTIVE → PROCESSING as read, a card account's single attempt; and the
   * refusal to answer when the source no longer can be claimed.
   */
  claim?: { source: SourceClaim; card_account_id?: number | undefined; refused: (tx: Tx) => Promise<DomainError> };
}

/** One request's execution, waiting to start in a batch (services/index.ts `starts`). */
export interface StartUnit {
  auth: AuthContext;
  op: OperationType;
  /** Lower-cased. */
  reference_id: string;
  session_id: number;
  account_id: number | null;
  fingerprint: string;
  now: Date;
  plan: (tx: Tx, c: PlanContext) => Promise<Plan>;
}

/** How a unit's start ended, once its batch committed. */
export type Started =
  /** This request created it; `msisdn` for its first carrier call. */
  | { kind: 'created'; row: ExecutionRow; msisdn?: string | undefined }
  /** The session was already consumed by this key: a retry, or a racing twin that committed first. */
  | { kind: 'existing'; row: ExecutionRow }
  /** Another request holds the key (another session): its execution is read after the commit. */
  | { kind: 'key_taken' };

const CARD_USED = () => invalid(['body', 'payment_account_id'], 'a card payment account serves one attempt; create a new one for this payment', 'value_error.state');

/**
 * The one path every execution takes: its request submits a unit, and the units that arrive
 * together start in one transaction (store/group-commit.ts) that locks their sessions, plans each
 * (validating against stored state and pricing), inserts the executions while consuming the
 * sessions in one statement, and applies their immediate effects; then — outside any
 * transaction — each request makes its carrier call. A retry of a committed execution finds its
 * session USED by the same key and answers its current state.
 */
async function execute(
  s: Services,
  auth: AuthContext,
  op: OperationType,
  reference_id_raw: string,
  session_id: number,
  account_id: number | null,
  fingerprint: string,
  plan: (tx: Tx, c: PlanContext) => Promise<Plan>,
): Promise<ExecutionRow> {
  const reference_id = reference_id_raw.toLowerCase();
  const row = await startAndInitiate(s, auth, op, reference_id, session_id, account_id, fingerprint, plan);
  s.finals.note(row); // a final answer never changes: the client's polls need no round trip (final-executions.ts)
  return row;
}

async function startAndInitiate(
  s: Services,
  auth: AuthContext,
  op: OperationType,
  reference_id: string,
  session_id: number,
  account_id: number | null,
  fingerprint: string,
  plan: (tx: Tx, c: PlanContext) => Promise<Plan>,
): Promise<ExecutionRow> {
  const started = await s.starts.submit({ auth, op, reference_id, session_id, account_id, fingerprint, now: s.ctx.clock.now(), plan });
  switch (started.kind) {
    case 'key_taken': {
      const owner = await findExecutionByReference(s.ctx.database.db, auth.merchant_id, op, reference_id);
      if (!owner) throw new Error('assertion: idempotency key taken but no execution found');
      return answerExisting(s, owner, fingerprint);
    }
    case 'existing':
      return answerExisting(s, started.row, fingerprint);
    case 'created':
      if (started.row.status !== 'PENDING' || !needsCarrier(op)) return started.row;
      return initiate(s.settlement, started.row, { msisdn: started.msisdn });
  }
}

/** The start batch's function: rounds of units that share no session, key, source or card account, each round one transaction. */
export async function startBatch(s: Services, units: readonly StartUnit[]): Promise<Outcome<Started>[]> {
  const outcomes: Outcome<Started>[] = new Array(units.length);
  let pending = units.map((unit, index) => ({ unit, index }));
  while (pending.length > 0) {
    const split = rounds(pending, ({ unit }) => [`s:${unit.session_id}`, `k:${unit.auth.merchant_id}:${unit.op}:${unit.reference_id}`]);
    const round = split[0]!.map((r) => r.item);
    const later = split.slice(1).flatMap((r) => r.map((x) => x.item));
    let results: (Outcome<Started> | 'deferred')[];
    try {
      results = await s.ctx.database.transaction((tx) => startRound(s, tx, round.map((r) => r.unit)));
    } catch (err) {
      if (round.length === 1) {
        outcomes[round[0]!.index] = { ok: false, error: err };
        pending = later;
        continue;
      }
      // Nothing of this round committed: each of its units alone, so the failure stays with its cause.
      for (const r of round) {
        try {
          const [one] = await s.ctx.database.transaction((tx) => startRound(s, tx, [r.unit]));
          outcomes[r.index] = one === 'deferred' || one === undefined ? { ok: false, error: new Error('assertion: a lone start was deferred') } : one;
        } catch (e) {
          outcomes[r.index] = { ok: false, error: e };
        }
      }
      pending = later;
      continue;
    }
    const deferred: typeof pending = [];
    results.forEach((res, i) => (res === 'deferred' ? deferred.push(round[i]!) : (outcomes[round[i]!.index] = res)));
    if (deferred.length === round.length) throw new Error('assertion: a start round made no progress');
    pending = [...deferred, ...later];
  }
  return outcomes;
}

/**
 * One round: lock the sessions, plan each unit, start the planned ones in one statement, then
 * their immediate effects. A unit whose source or card account an earlier unit of the round
 * claims is deferred to the next round (it must see that claim committed).
 */
async function startRound(s: Services, tx: Tx, units: readonly StartUnit[]): Promise<(Outcome<Started> | 'deferred')[]> {
  await indexPlans(s.ctx.database, tx);
  const locked = await lockSessionsForExecution(
    tx,
    units.map((u) => ({ merchant_id: u.auth.merchant_id, session_id: u.session_id, account_id: u.account_id })),
  );
  const results: (Outcome<Started> | 'deferred')[] = new Array(units.length);
  const planned: { i: number; unit: StartUnit; p: Plan; start: NewStart; webhooks_enabled: boolean }[] = [];
  const claimed = new Set<string>();
  for (const [i, unit] of units.entries()) {
    const { auth, op, reference_id, session_id } = unit;
    try {
      const l = locked.get(session_id);
      if (!l) throw invalid(['body', 'session_id'], `session ${session_id} not found`, 'value_error.not_found');
      const { session } = l;
      const kind = SESSION_KIND[op];
      if (session.kind !== kind) {
        throw invalid(['body', 'session_id'], `session ${session_id} is a ${session.kind} session; use it with ${EXECUTE_PATH[session.kind as SessionKind]}`, 'value_error.session_type');
      }
      if (session.status === 'USED') {
        const prior = session.execution_id ? await findExecution(tx, session.execution_id) : undefined;
        if (prior && prior.reference_id === reference_id && prior.operation_type === op) {
          results[i] = { ok: true, value: { kind: 'existing', row: prior } };
          continue;
        }
        throw invalid(['body', 'session_id'], `session ${session_id} was already executed; create a new session for a new payment`, 'value_error.session_used');
      }
      if (session.status !== 'ACTIVE' || session.expires_at.getTime() <= unit.now.getTime()) {
        throw invalid(['body', 'session_id'], `session ${session_id} expired at ${session.expires_at.toISOString()}; create a new session`, 'value_error.session_expired');
      }
      const claimKeys = l.source ? [`src:${l.source.id}`, ...(l.account?.method === 'CREDIT_CARD' ? [`card:${l.account.id}`] : [])] : [];
      if (claimKeys.some((k) => claimed.has(k))) {
        results[i] = 'deferred';
        continue;
      }
      const p = await unit.plan(tx, { session, account: l.account, source: l.source, merchant_type: l.merchant_type as OwnerType, now: unit.now });
      for (const k of claimKeys) claimed.add(k);
      const values: NewExecution = {
        ...p.values,
        merchant_id: auth.merchant_id,
        operation_type: op,
        reference_id,
        request_hash: unit.fingerprint,
        carrier_key: needsCarrier(op) ? carrierKey(auth.merchant_id, op, reference_id) : null,
        session_id: session.id,
        created_at: unit.now,
        updated_at: unit.now,
      };
      const start: NewStart = {
        values,
        session_id: session.id,
        event: { message: 'received', detail: toExecutionResponse(pendingView(values)), at: unit.now },
        source: p.claim?.source,
        card_account_id: p.claim?.card_account_id,
      };
      planned.push({ i, unit, p, start, webhooks_enabled: l.webhooks_enabled });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      results[i] = { ok: false, error: err };
    }
  }

  const started = await startExecutions(tx, planned.map((x) => x.start), STATUS_CHANNEL);
  const effects: { x: (typeof planned)[number]; row: ExecutionRow }[] = [];
  for (const [k, res] of started.entries()) {
    const x = planned[k]!;
    if (res.row) {
      effects.push({ x, row: res.row });
      continue;
    }
    await undoClaims(tx, x.start, res);
    const claims_held = (!x.start.source || res.source_claimed) && (x.start.card_account_id === undefined || res.card_claimed);
    if (claims_held) results[x.i] = { ok: true, value: { kind: 'key_taken' } };
    else if (x.start.source && !res.source_claimed) results[x.i] = { ok: false, error: await x.p.claim!.refused(tx) };
    else results[x.i] = { ok: false, error: CARD_USED() };
  }

  // Immediate effects (holds, a transfer's postings) in merchant order: wallets are locked in one order by every batch.
  effects.sort((a, b) => a.row.merchant_id - b.row.merchant_id || a.x.i - b.x.i);
  const moves: Move[] = [];
  const moving = new Map<number, (typeof effects)[number]>();
  for (const e of effects) {
    const outcome = e.x.p.after ? await e.x.p.after(tx, e.row) : undefined;
    if (!outcome) {
      results[e.x.i] = { ok: true, value: { kind: 'created', row: e.row, msisdn: e.x.p.msisdn } };
      continue;
    }
    const now = e.x.unit.now;
    const changed = afterMove(e.row, { ...outcome, updated_at: now });
    moves.push({ id: e.row.id, from: ['PENDING'], after: changed, event: { message: changed.wallet_message ?? changed.gateway_message, detail: toExecutionResponse(changed) }, source: null });
    moving.set(e.row.id, e);
  }
  for (const moved of await moveExecutions(tx, moves, STATUS_CHANNEL)) {
    const e = moving.get(moved.id)!;
    moving.delete(moved.id);
    if (moved.status !== 'PENDING') await emitExecutionEvents(tx, moved, e.x.unit.now, e.x.webhooks_enabled);
    results[e.x.i] = { ok: true, value: { kind: 'created', row: moved, msisdn: e.x.p.msisdn } };
  }
  if (moving.size > 0) throw new Error('assertion: a fresh execution did not move');
  for (let i = 0; i < units.length; i++) if (results[i] === undefined) throw new Error('assertion: a start unit without an outcome');
  return results;
}

/** The row a new execution will have, for its first status event (written in the same statement). */
function pendingView(v: NewExecution): ExecutionRow {
  return {
    provider_transaction_id: null,
    gateway_message: null,
    wallet_message: null,
    client_secret: null,
    requires_action: false,
    ...v,
  } as ExecutionRow;
}

function needsCarrier(op: OperationType): boolean {
  return op !== 'TRANSFER';
}

/** Same key: same payload → its current state (resuming a carrier call that a crashed request left behind); other payload → 422. */
async function answerExisting(s: Services, row: ExecutionRow, fingerprint: string): Promise<ExecutionRow> {
  if (row.request_hash !== fingerprint) throw duplicate(row.operation_type as OperationType, row.reference_id);
  const now = s.ctx.clock.now().getTime();
  if (row.status === 'PENDING' && needsCarrier(row.operation_type as OperationType) && row.next_check_at && row.next_check_at.getTime() <= now) {
    return reconcile(s.settlement, row);
  }
  return row;
}

/** An execution's amount columns from its price: fees in the base (payee) currency. */
function priceColumns(p: Price) {
  return {
    payer_amount_minor: p.payer_minor,
    payer_currency: p.payer_currency,
    payee_amount_minor: p.payee_minor,
    payee_currency: p.payee_currency,
    platform_fee_minor: p.platform_fee_minor,
    platform_currency: p.payee_currency,
    gateway_fee_minor: p.gateway_fee_minor,
    gateway_currency: p.payee_currency as string | null,
    fx_fee_minor: p.fx_fee_minor,
    fx_rate: p.fx?.rate ?? null,
    fx_currency_from: p.fx?.from ?? null,
    fx_currency_to: p.fx?.to ?? null,
  };
}

function parseId(text: string, field: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw invalid(['body', field], `${field} must be a positive integer id`, 'type_error.integer');
  return n;
}

// ---------------------------------------------------------------------------------------------
// Collection
// ---------------------------------------------------------------------------------------------

export async function executeCollection(
  s: Services,
  auth: AuthContext,
  body: { session_id: string; payment_account_id: string; currency: string; reference_id: string },
): Promise<ExecutionRow> {
  const session_id = parseId(body.session_id, 'session_id');
  const account_id = parseId(body.payment_account_id, 'payment_account_id');
  const fingerprint = requestFingerprint('COLLECTION', { session_id, payment_account_id: account_id, currency: body.currency });
  return execute(s, auth, 'COLLECTION', body.reference_id, session_id, account_id, fingerprint, async (tx, { session, account, source, merchant_type, now }) => {
    if (!account) throw invalid(['body', 'payment_account_id'], `payment account ${account_id} not found`, 'value_error.not_found');
    if (!account.is_active) throw invalid(['body', 'payment_account_id'], `payment account ${account.id} is inactive`, 'value_error.state');
    if (account.operation_type !== 'COLLECTION') {
      throw invalid(['body', 'payment_account_id'], `payment account ${account.id} was registered for ${account.operation_type}; create one with operation_type=COLLECTION`, 'value_error.state');
    }
    const method = account.method as PaymentMethod;
    if (method === 'WALLET') throw invalid(['body', 'payment_account_id'], 'WALLET accounts cannot collect; use a transfer', 'value_error.state');
    const allowed = method === 'CREDIT_CARD' ? CARD_CURRENCIES : CURRENCIES_OF_COUNTRY[COUNTRY_OF_METHOD[method] ?? ''] ?? [];
    if (!allowed.includes(body.currency)) {
      throw invalid(['body', 'currency'], `${method} pays in ${allowed.join(' or ')}, not ${body.currency}`, 'value_error.currency');
    }
    // The source as read with the session lock; the statement that starts the execution claims it
    // (ACTIVE → PROCESSING, same total), so a payment racing for it is refused there.
    const refused = (current: Pick<SourceRow, 'number' | 'status'> | null | undefined): DomainError => {
      if (!current) return invalid(['body', 'session_id'], `the session's ${session.source_type?.toLowerCase()} no longer exists`, 'value_error.not_found');
      const why: Record<string, string> = { PROCESSING: 'has a payment in progress', PAID: 'is already paid', CANCELED: 'is canceled', IDLE: 'is not published' };
      return invalid(['body', 'session_id'], `${current.number} ${why[current.status] ?? `is ${current.status}`}`, 'value_error.state');
    };
    if (!source || source.status !== 'ACTIVE') throw refused(source);
    // A card account serves one attempt: taken in the start statement (a racing attempt is refused there).
    if (method === 'CREDIT_CARD' && account.used_at !== null) throw CARD_USED();
    const gateway = GATEWAY_OF_METHOD[method];
    const p = await s.pricer(
      tx,
      {
        merchant_id: auth.merchant_id,
        merchant_type,
        base_minor: source.total_amount_minor,
        base_currency: source.currency,
        payer_currency: body.currency,
        method,
        provider: gateway,
        operation_type: 'COLLECTION',
        fee_bearer: source.fee_bearer as FeeBearer,
        at: now,
      },
      { payer_currency: 'currency', method: 'payment_account_id', provider: 'payment_account_id', operation_type: 'payment_account_id', base_minor: 'session_id' },
    );
    return {
      msisdn: account.account_number ?? undefined,
      claim: {
        source: { id: source.id, merchant_id: auth.merchant_id, source_type: source.source_type, total_amount_minor: source.total_amount_minor, updated_at: source.updated_at },
        card_account_id: method === 'CREDIT_CARD' ? account.id : undefined,
        refused: async (t) => refused(await findSource(t, auth.merchant_id, source.source_type as SourceType, source.id)),
      },
      values: {
        status: 'PENDING',
        source_type: source.source_type,
        source_id: source.id,
        payment_account_id: account.id,
        provider: gateway,
        method,
        fee_bearer: source.fee_bearer,
        base_amount_minor: source.total_amount_minor,
        ...priceColumns(p),
        next_check_at: new Date(now.getTime() + INITIATE_LEASE_MS),
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Payout
// ---------------------------------------------------------------------------------------------

export interface PasscodeInput {
  token: { code: string; phone?: string | undefined; user_id?: string | number | undefined };
  device: { name: string; type: string; platform: string; user_agent: string; client_ip: string };
}

/** The passcode names its holder by the phone it is bound to, or by the merchant's id as `user_id`. */
function passcodeIdentityMatches(passcode: PasscodeInput, m: { id: number; passcode_phone: string | null }): boolean {
  return passcode.token.phone !== undefined ? passcode.token.phone === m.passcode_phone : String(passcode.token.user_id ?? '') === String(m.id);
}

/** How long a payout waits for a passcode-check slot held by concurrent checks before answering 403. */
const PASSCODE_SLOT_WAIT_MS = 5_000;

/**
 * The merchant's payout passcode: slow hash, bound to a phone, locked after a bounded number of
 * misses. The bound holds under concurrency: a check first reserves one of the attempts in the
 * database (so 40 guesses at once are at most 5 checks), and a code that already passed is
 * recognised from the memo without a slot, so a merchant's own parallel payouts do not queue.
 */
async function checkPasscode(s: Services, auth: AuthContext, passcode: PasscodeInput): Promise<void> {
  const { ctx } = s;
  const db = ctx.database.db;
  const wait_until_ms = Date.now() + PASSCODE_SLOT_WAIT_MS;
  const code = passcode.token.code;
  for (let round = 0; ; round++) {
    const now = ctx.clock.now();
    const current = await findMerchant(db, auth.merchant_id);
    if (!current?.passcode_hash) throw forbidden('No payout passcode is set for this merchant; set one in the portal (Settings → Security)');
    const lockedUntil = current.passcode_locked_until && current.passcode_locked_until.getTime() > now.getTime() ? current.passcode_locked_until : undefined;
    if (lockedUntil) throw forbidden(`Payout passcode locked after ${PASSCODE_ATTEMPTS_MAX} wrong attempts; try again after ${lockedUntil.toISOString()}`);
    const identity = passcode.token.phone !== undefined ? `phone:${passcode.token.phone}` : `user:${passcode.token.user_id ?? ''}`;
    if (passcodeIdentityMatches(passcode, current) && passcodeRemembered(current.id, current.passcode_hash, identity, code)) return;

    const m = await reservePasscodeAttempt(db, auth.merchant_id, now, PASSCODE_ATTEMPTS_MAX);
    if (!m) {
      // Every attempt is held by checks in flight (or the lock is being set): wait for a slot.
      if (Date.now() >= wait_until_ms) throw forbidden(`Payout passcode busy: ${PASSCODE_ATTEMPTS_MAX} checks are in flight; try again shortly`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, 20 * (round + 1)) + Math.random() * 20));
      continue;
    }
    const codeOk = await verifySecret(code, m.passcode_hash!);
    if (passcodeIdentityMatches(passcode, m) && codeOk) {
      await updateMerchant(db, m.id, { passcode_failed_attempts: 0, passcode_locked_until: null });
      rememberPasscode(m.id, m.passcode_hash!, identity, code);
      return;
    }
    // The attempt was counted when it was reserved; the one that reaches the bound sets the lock.
    const attempts = m.passcode_failed_attempts;
    const locked = attempts >= PASSCODE_ATTEMPTS_MAX;
    if (locked) await updateMerchant(db, m.id, { passcode_failed_attempts: 0, passcode_locked_until: new Date(now.getTime() + PASSCODE_LOCK_MS) });
    ctx.log.warn({ merchant_id: m.id, attempts, locked }, 'wrong payout passcode');
    throw forbidden(
      locked
        ? `Invalid payout passcode; locked for ${PASSCODE_LOCK_MS / 60_000} minutes after ${PASSCODE_ATTEMPTS_MAX} wrong attempts`
        : `Invalid payout passcode or phone; ${PASSCODE_ATTEMPTS_MAX - attempts} attempt(s) left before a ${PASSCODE_LOCK_MS / 60_000}-minute lock`,
    );
  }
}

function insufficientMessage(available_minor: bigint, needed_minor: bigint, currency: string, what: string): string {
  return `Insufficient wallet balance: ${formatMinor(needed_minor, currency)} ${currency} needed (${what}), ${formatMinor(available_minor, currency)} ${currency} available`;
}

/** Hold `amount` on the wallet (available → pending) inside a savepoint; false when the balance is short. */
async function hold(s: Services, tx: Tx, row: ExecutionRow, kind: string, wallet: { available_account_id: number; pending_account_id: number }, currency: string, amount: bigint): Promise<boolean> {
  try {
    await tx.transaction(async (sp) => {
      await postTransaction(sp as unknown as Tx, {
        merchant_id: row.merchant_id,
        execution_id: row.id,
        kind,
        description: `${row.operation_type.toLowerCase()} ${row.reference_id}: hold`,
        postings: reservePostings(wallet.available_account_id, wallet.pending_account_id, currency, amount),
        at: s.ctx.clock.now(),
      });
    });
    return true;
  } catch (err) {
    if (err instanceof InsufficientFunds) return false;
    throw err;
  }
}

export async function executePayout(
  s: Services,
  auth: AuthContext,
  body: { session_id: string; payout_account_id: string; reference_id: string; passcode: PasscodeInput },
): Promise<ExecutionRow> {
  const session_id = parseId(body.session_id, 'session_id');
  const account_id = parseId(body.payout_account_id, 'payout_account_id');
  const fingerprint = requestFingerprint('PAYOUT', { session_id, payout_account_id: account_id });
  // An idempotent retry answers without asking for the passcode again (no money moves on it).
  const existing = await findExecutionByReference(s.ctx.database.db, auth.merchant_id, 'PAYOUT', body.reference_id.toLowerCase());
  if (!existing) await checkPasscode(s, auth, body.passcode);
  return execute(s, auth, 'PAYOUT', body.reference_id, session_id, account_id, fingerprint, async (tx, { session, account, merchant_type, now }) => {
    if (session.payout_account_id !== account_id) {
      throw invalid(['body', 'payout_account_id'], `payout_account_id must match the session's (${session.payout_account_id})`, 'value_error.mismatch');
    }
    if (!account || !account.is_active) throw invalid(['body', 'payout_account_id'], `payment account ${account_id} is not available`, 'value_error.state');
    const wallet = await findWallet(tx, auth.merchant_id, session.wallet_id!);
    if (!wallet || wallet.status !== 'ACTIVE') throw invalid(['body', 'session_id'], `the session's wallet is not ACTIVE`, 'value_error.state');
    const method = account.method as PaymentMethod;
    const gateway = GATEWAY_OF_METHOD[method];
    const currency = session.currency!;
    const p = await s.pricer(tx, {
      merchant_id: auth.merchant_id,
      merchant_type,
      base_minor: session.amount_minor!,
      base_currency: currency,
      payer_currency: currency,
      method,
      provider: gateway,
      operation_type: 'PAYOUT',
      fee_bearer: 'PAYER',
      at: now,
    }, { payer_currency: 'session_id', base_currency: 'session_id', base_minor: 'session_id', method: 'payout_account_id', provider: 'payout_account_id', operation_type: 'payout_account_id' });
    return {
      msisdn: account.account_number ?? undefined,
      values: {
        status: 'PENDING',
        payment_account_id: account.id,
        wallet_id: wallet.id,
        provider: gateway,
        method,
        fee_bearer: 'PAYER',
        base_amount_minor: session.amount_minor!,
        ...priceColumns(p),
        next_check_at: new Date(now.getTime() + INITIATE_LEASE_MS),
      },
      after: async (t, row) => {
        if (await hold(s, t, row, 'payout_reserve', wallet, currency, p.payer_minor)) return { wallet_message: `Reserved ${formatMinor(p.payer_minor, currency)} ${currency}` };
        const fresh = (await findWallet(t, auth.merchant_id, wallet.id))!;
        return { status: 'FAILED', failed_at: now, next_check_at: null, wallet_message: insufficientMessage(fresh.available_minor, p.payer_minor, currency, 'amount + fees') };
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Transfer (inside the platform: settles in the execution's own transaction)
// ---------------------------------------------------------------------------------------------

export async function executeTransfer(s: Services, auth: AuthContext, body: { session_id: string; reference_id: string }): Promise<ExecutionRow> {
  const session_id = parseId(body.session_id, 'session_id');
  const fingerprint = requestFingerprint('TRANSFER', { session_id });
  return execute(s, auth, 'TRANSFER', body.reference_id, session_id, null, fingerprint, async (tx, { session, merchant_type, now }) => {
    const wallet = await findWallet(tx, auth.merchant_id, session.wallet_id!);
    if (!wallet || wallet.status !== 'ACTIVE') throw invalid(['body', 'session_id'], `the session's wallet is not ACTIVE`, 'value_error.state');
    const cp = await findCounterparty(tx, auth.merchant_id, session.to_counterparty_id!);
    if (!cp) throw invalid(['body', 'session_id'], `the session's counterparty no longer exists`, 'value_error.not_found');
    const currency = session.currency!;
    const p = await s.pricer(tx, {
      merchant_id: auth.merchant_id,
      merchant_type,
      base_minor: session.amount_minor!,
      base_currency: currency,
      payer_currency: currency,
      method: 'WALLET',
      provider: 'PLATFORM',
      operation_type: 'TRANSFER',
      fee_bearer: 'PAYER',
      at: now,
    }, { payer_currency: 'session_id', base_currency: 'session_id', base_minor: 'session_id', method: 'session_id', provider: 'session_id', operation_type: 'session_id' });
    const counterparty_account = await s.book.id(tx, auth.merchant_id, MerchantAccount.counterpartyBalance(cp.id), currency, now);
    const revenue = await s.book.platform(tx, PlatformAccount.platformFeeRevenue, currency, now);
    return {
      values: {
        status: 'PENDING',
        wallet_id: wallet.id,
        to_counterparty_id: cp.id,
        provider: 'PLATFORM',
        method: 'WALLET',
        fee_bearer: 'PAYER',
        base_amount_minor: session.amount_minor!,
        ...priceColumns(p),
        gateway_currency: null, // settled inside the platform: no gateway
      },
      after: async (t, row) => {
        try {
          await t.transaction(async (sp) => {
            await postTransaction(sp as unknown as Tx, {
              merchant_id: auth.merchant_id,
              execution_id: row.id,
              kind: 'transfer',
              description: `transfer ${row.reference_id} to counterparty ${cp.id}`,
              postings: transferPostings(
                { wallet_available: wallet.available_account_id, counterparty_balance: counterparty_account, platform_fee_revenue: revenue },
                currency,
                { gross_minor: p.payer_minor, payee_minor: p.payee_minor, platform_fee_minor: p.platform_fee_minor },
              ),
              at: now,
            });
          });
          return { status: 'COMPLETED', completed_at: now, provider_transaction_id: `trf_${row.id}`, gateway_message: 'Settled on the platform', wallet_message: `Debited ${formatMinor(p.payer_minor, currency)} ${currency}` };
        } catch (err) {
          if (!(err instanceof InsufficientFunds)) throw err;
          const fresh = (await findWallet(t, auth.merchant_id, wallet.id))!;
          return { status: 'FAILED', failed_at: now, wallet_message: insufficientMessage(fresh.available_minor, p.payer_minor, currency, 'amount + fees') };
        }
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Refund (returns money for a completed collection through its carrier)
// ---------------------------------------------------------------------------------------------

export async function executeRefund(s: Services, auth: AuthContext, body: { session_id: string; reference_id: string }): Promise<ExecutionRow> {
  const session_id = parseId(body.session_id, 'session_id');
  const fingerprint = requestFingerprint('REFUND', { session_id });
  return execute(s, auth, 'REFUND', body.reference_id, session_id, null, fingerprint, async (tx, { session, now }) => {
    const original = await findExecution(tx, session.original_execution_id!);
    if (!original || original.status !== 'COMPLETED') throw invalid(['body', 'session_id'], 'the original payment is not refundable', 'value_error.state');
    const base_currency = original.payee_currency;
    const payer_currency = original.payer_currency;
    const amount = session.amount_minor!;
    const payee_minor = original.fx_rate && payer_currency !== base_currency ? convertMinor(amount, base_currency, payer_currency, parseDecimal(original.fx_rate)!) : amount;
    if (payee_minor <= 0n) throw invalid(['body', 'session_id'], 'the refund is too small to convert into the payer currency', 'value_error.state');
    const wallet = await findWalletForCurrency(tx, auth.merchant_id, base_currency);
    if (!wallet) throw new Error(`assertion: merchant ${auth.merchant_id} has no ${base_currency} wallet`);
    return {
      values: {
        status: 'PENDING',
        original_execution_id: original.id,
        payment_account_id: original.payment_account_id,
        source_type: original.source_type,
        source_id: original.source_id,
        wallet_id: wallet.id,
        provider: original.provider,
        method: original.method,
        fee_bearer: 'PAYER',
        base_amount_minor: amount,
        payer_amount_minor: amount,
        payer_currency: base_currency,
        payee_amount_minor: payee_minor,
        payee_currency: payer_currency,
        platform_fee_minor: 0n,
        platform_currency: base_currency,
        fx_rate: original.fx_rate,
        fx_currency_from: original.fx_rate ? base_currency : null,
        fx_currency_to: original.fx_rate ? payer_currency : null,
        next_check_at: new Date(now.getTime() + INITIATE_LEASE_MS),
      },
      after: async (t, row) => {
        if (!(await reserveRefundable(t, original.id, amount, original.base_amount_minor))) {
          return {
            status: 'FAILED',
            failed_at: now,
            next_check_at: null,
            wallet_message: `Refund exceeds what is left of the original payment (${formatMinor(refundableMinor(original), base_currency)} ${base_currency})`,
          };
        }
        if (await hold(s, t, row, 'refund_reserve', wallet, base_currency, amount)) return { wallet_message: `Reserved ${formatMinor(amount, base_currency)} ${base_currency}` };
        await releaseRefundable(t, original.id, amount);
        return { status: 'FAILED', failed_at: now, next_check_at: null, wallet_message: insufficientMessage(wallet.available_minor, amount, base_currency, 'refund') };
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** GET /v1/status/{op}/{reference_id}: the stored truth (404 when unknown or another merchant's). */
export async function executionStatus(s: Services, auth: AuthContext, op: OperationType, reference_id_raw: string): Promise<ExecutionStatusRow | undefined> {
  const reference_id = reference_id_raw.toLowerCase();
  const final = s.finals.get(auth.merchant_id, op, reference_id);
  if (final) return final; // a final answer never changes (services/final-executions.ts)
  const row = await s.statusReads.submit({ merchant_id: auth.merchant_id, operation_type: op, reference_id });
  if (!row) return undefined;
  s.finals.note(row);
  // A PENDING execution whose first carrier call never happened (its request died) is resumed here
  // too (rare: it needs the whole row, read again by id).
  if (row.status === 'PENDING' && needsCarrier(op) && row.next_check_at && row.next_check_at.getTime() <= s.ctx.clock.now().getTime()) {
    const whole = await findExecution(s.ctx.database.db, row.id);
    return whole ? reconcile(s.settlement, whole) : row;
  }
  return row;
}

/**
 * The status-read batch's function (services/index.ts `statusReads`): the polls of open executions
 * that arrive together read in one statement instead of one round trip each. Each poll's statement
 * starts after the poll arrived, so it sees every change committed before it (an execution a
 * client was just told is COMPLETED is never read back as PROCESSING).
 */
export async function readStatusBatch(s: Services, keys: readonly ReferenceKey[]): Promise<Outcome<ExecutionStatusRow | undefined>[]> {
  const found = await findExecutionsByReference(s.ctx.database.db, keys);
  return found.map((value) => ({ ok: true, value }));
}
