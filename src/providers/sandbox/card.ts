/**
 * The Stripe-like card sandbox. A card collection answers like a PaymentIntent that needs the
 * browser: PROCESSING with `requires_action` and a `client_secret`; confirming it with a test card
 * (see the README's test-card table) decides the outcome, with a 3DS challenge where the card asks for one.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Database } from '../../store/db.js';
import { sandboxCarrierTxns } from '../../store/schema.js';
import type { CarrierConnector, CarrierOperation, CarrierRequest, CarrierResult } from '../types.js';

type TxnRow = typeof sandboxCarrierTxns.$inferSelect;

export const CARD_REFUND_AFTER_MS = 5_000;

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

  view(row: TxnRow): CarrierResult {
    const now = this.clock.now().getTime();
    const final = row.final_status !== 'NONE' && row.final_at !== null && new Date(row.final_at).getTime() <= now;
    if (final && row.final_status === 'COMPLETED') return { state: 'completed', provider_transaction_id: row.provider_transaction_id, message: 'succeeded' };
    if (final) return { state: 'failed', provider_transaction_id: row.provider_transaction_id, failure_code: row.failure_code ?? 'card_declined', message: row.failure_code ?? 'card_declined' };
    if (row.client_secret) {
      return { state: 'requires_action', provider_transaction_id: row.provider_transaction_id, client_secret: row.client_secret, message: 'requires_action: confirm the card payment with client_secret' };
    }
    return { state: 'accepted', provider_transaction_id: row.provider_transaction_id, message: 'processing' };
  }
}
