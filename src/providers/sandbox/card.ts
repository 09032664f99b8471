/**
 * The Stripe-like card sandbox. A card collection answers like a PaymentIntent that needs the
 * browser: PROCESSING with `requires_action` and a `client_secret`; confirming it with a test card
 * (see the README's test-card table) decides the outcome, with a 3DS challenge where the card asks for one.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import { formatMinor } from '../../domain/money.js';
import type { Database } from '../../store/db.js';
import { sandboxCarrierTxns } from '../../store/schema.js';
import { type SandboxCard as TestCard, SANDBOX_CARDS } from '../../domain/cards.js';
import type { CarrierConnector, CarrierOperation, CarrierRequest, CarrierResult } from '../types.js';

type TxnRow = typeof sandboxCarrierTxns.$inferSelect;

export const CARD_REFUND_AFTER_MS = 5_000;
/** A card payment nobody confirms is canceled after this long (the checkout session's lifetime). */
export const CARD_CONFIRM_WINDOW_MS = 30 * 60_000;

/** The PaymentIntent-shaped answer of the sandbox's confirm and 3DS calls. */
export interface IntentView {
  id: string;
  status: 'requires_payment_method' | 'requires_action' | 'processing' | 'succeeded' | 'canceled';
  amount: string;
  currency: string;
  next_action: { type: 'redirect_to_url'; redirect_to_url: { url: string } } | null;
  last_payment_error: { code: string; message: string } | null;
}

export class CardSandboxError extends Error {
  constructor(
    readonly code: 'not_found' | 'unknown_card' | 'not_awaiting_authentication',
    message: string,
  ) {
    super(message);
  }
}

const DECLINE_MESSAGES: Record<string, string> = {
  card_declined: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  authentication_failed: 'The card holder failed 3D Secure authentication.',
  expired: 'The payment was not confirmed in time and was canceled.',
};

export function findTestCard(payment_method: string): TestCard | undefined {
  const digits = payment_method.replace(/[\s-]/g, '');
  return SANDBOX_CARDS.find((c) => c.id === payment_method || c.number === digits);
}

export class SandboxCard implements CarrierConnector {
  readonly gateway = 'STRIPE' as const;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  async initiate(req: CarrierRequest): Promise<CarrierResult> {
    const existing = await this.find(req.idempotency_key);
    if (existing) return this.view(existing);
    const now = this.clock.now();
    const pi = `pi_${randomBytes(12).toString('hex')}`;
    const isRefund = req.operation === 'refund';
    await this.database.db
      .insert(sandboxCarrierTxns)
      .values({
        key: req.idempotency_key,
        gateway: this.gateway,
        operation: req.operation,
        scenario: isRefund ? 'refund' : 'awaiting_confirmation',
        msisdn: null,
        method: req.method,
        amount_minor: req.amount_minor,
        currency: req.currency,
        original_key: req.original_key ?? null,
        provider_transaction_id: isRefund ? `re_${randomBytes(12).toString('hex')}` : pi,
        final_status: isRefund ? 'COMPLETED' : 'NONE',
        final_at: isRefund ? new Date(now.getTime() + CARD_REFUND_AFTER_MS) : null,
        client_secret: isRefund ? null : `${pi}_secret_${randomBytes(12).toString('hex')}`,
        created_at: now,
        updated_at: now,
      })
      .onConflictDoNothing();
    return this.view((await this.find(req.idempotency_key))!);
  }

  async query(_operation: CarrierOperation, idempotency_key: string): Promise<CarrierResult> {
    const row = await this.find(idempotency_key);
    return row ? this.view(row) : { state: 'not_found', message: 'No such payment intent' };
  }

  private async find(key: string): Promise<TxnRow | undefined> {
    const [row] = await this.database.db.select().from(sandboxCarrierTxns).where(eq(sandboxCarrierTxns.key, key));
    return row;
  }

  private async findBySecret(client_secret: string): Promise<TxnRow | undefined> {
    const [row] = await this.database.db.select().from(sandboxCarrierTxns).where(eq(sandboxCarrierTxns.client_secret, client_secret));
    return row;
  }

  private async findByIntent(intent_id: string): Promise<TxnRow | undefined> {
    const [row] = await this.database.db.select().from(sandboxCarrierTxns).where(eq(sandboxCarrierTxns.provider_transaction_id, intent_id));
    return row;
  }

  private async finish(row: TxnRow, status: 'COMPLETED' | 'FAILED', failure_code: string | null, detail: Record<string, unknown>): Promise<TxnRow> {
    const now = this.clock.now();
    await this.database.db
      .update(sandboxCarrierTxns)
      .set({ final_status: status, failure_code, final_at: now, scenario: 'confirmed', detail, updated_at: now })
      .where(eq(sandboxCarrierTxns.key, row.key));
    return (await this.find(row.key))!;
  }

  /**
   * The browser confirms a card payment with its client_secret and a test card (a `pm_card_*` id
   * or the test number): it succeeds or is declined at once, or asks for a 3DS challenge.
   */
  async confirm(client_secret: string, payment_method: string, challenge_url: (intent_id: string) => string): Promise<{ view: IntentView; key: string; changed: boolean }> {
    const row = await this.findBySecret(client_secret);
    if (!row) throw new CardSandboxError('not_found', 'No such payment intent: the client_secret is unknown');
    const card = findTestCard(payment_method);
    if (!card) throw new CardSandboxError('unknown_card', 'Unknown test card: use a pm_card_* id or a test number from the README');
    const current = this.view(row);
    if (current.state !== 'requires_action') return { view: this.intentView(row, challenge_url), key: row.key, changed: false };
    let updated: TxnRow;
    switch (card.behaviour) {
      case 'succeeds':
        updated = await this.finish(row, 'COMPLETED', null, { card: card.id, brand: card.brand });
        break;
      case 'declined':
      case 'insufficient_funds':
        updated = await this.finish(row, 'FAILED', card.behaviour === 'declined' ? 'card_declined' : 'insufficient_funds', { card: card.id });
        break;
      default: {
        const now = this.clock.now();
        await this.database.db
          .update(sandboxCarrierTxns)
          .set({ scenario: '3ds_challenge', detail: { card: card.id, behaviour: card.behaviour }, updated_at: now })
          .where(eq(sandboxCarrierTxns.key, row.key));
        updated = (await this.find(row.key))!;
      }
    }
    return { view: this.intentView(updated, challenge_url), key: row.key, changed: updated.final_status !== 'NONE' };
  }

  /** The outcome of the 3DS challenge page: the card holder completes or fails authentication. */
  async authenticate(intent_id: string, result: 'complete' | 'fail', challenge_url: (intent_id: string) => string): Promise<{ view: IntentView; key: string }> {
    const row = await this.findByIntent(intent_id);
    if (!row || row.operation !== 'collection') throw new CardSandboxError('not_found', 'No such payment intent');
    if (row.scenario !== '3ds_challenge' || this.view(row).state !== 'requires_action') {
      throw new CardSandboxError('not_awaiting_authentication', 'This payment is not waiting for 3D Secure authentication');
    }
    const behaviour = (row.detail as { behaviour?: string } | null)?.behaviour;
    const updated =
      result === 'fail'
        ? await this.finish(row, 'FAILED', 'authentication_failed', { ...(row.detail as object), authenticated: false })
        : behaviour === 'requires_3ds_then_fails'
          ? await this.finish(row, 'FAILED', 'card_declined', { ...(row.detail as object), authenticated: true })
          : await this.finish(row, 'COMPLETED', null, { ...(row.detail as object), authenticated: true });
    return { view: this.intentView(updated, challenge_url), key: row.key };
  }

  /** What the 3DS page shows about an intent (amount, currency) — nothing sensitive. */
  async intent(intent_id: string): Promise<{ amount: string; currency: string; awaiting: boolean } | undefined> {
    const row = await this.findByIntent(intent_id);
    if (!row) return undefined;
    const v = this.intentView(row, () => '');
    return { amount: v.amount, currency: v.currency, awaiting: row.scenario === '3ds_challenge' && v.status === 'requires_action' };
  }

  intentView(row: TxnRow, challenge_url: (intent_id: string) => string): IntentView {
    const r = this.view(row);
    const status: IntentView['status'] =
      r.state === 'completed' ? 'succeeded' : r.state === 'failed' ? (r.failure_code === 'expired' ? 'canceled' : 'requires_payment_method') : r.state === 'requires_action' ? 'requires_action' : 'processing';
    return {
      id: row.provider_transaction_id,
      status,
      amount: formatMinor(row.amount_minor, row.currency),
      currency: row.currency.toLowerCase(),
      next_action: status === 'requires_action' && row.scenario === '3ds_challenge' ? { type: 'redirect_to_url', redirect_to_url: { url: challenge_url(row.provider_transaction_id) } } : null,
      last_payment_error: r.state === 'failed' ? { code: r.failure_code ?? 'card_declined', message: DECLINE_MESSAGES[r.failure_code ?? ''] ?? 'The payment failed.' } : null,
    };
  }

  view(row: TxnRow): CarrierResult {
    const now = this.clock.now().getTime();
    if (row.final_status === 'NONE' && row.operation === 'collection' && new Date(row.created_at).getTime() + CARD_CONFIRM_WINDOW_MS <= now) {
      return { state: 'failed', provider_transaction_id: row.provider_transaction_id, failure_code: 'expired', message: `expired: ${DECLINE_MESSAGES.expired}` };
    }
    const final = row.final_status !== 'NONE' && row.final_at !== null && new Date(row.final_at).getTime() <= now;
    if (final && row.final_status === 'COMPLETED') return { state: 'completed', provider_transaction_id: row.provider_transaction_id, message: 'succeeded' };
    if (final) {
      const code = row.failure_code ?? 'card_declined';
      return { state: 'failed', provider_transaction_id: row.provider_transaction_id, failure_code: code, message: `${code}: ${DECLINE_MESSAGES[code] ?? 'The payment failed.'}` };
    }
    if (row.client_secret) {
      return { state: 'requires_action', provider_transaction_id: row.provider_transaction_id, client_secret: row.client_secret, message: 'requires_action: confirm the card payment with client_secret' };
    }
    return { state: 'accepted', provider_transaction_id: row.provider_transaction_id, message: 'processing' };
  }
}
