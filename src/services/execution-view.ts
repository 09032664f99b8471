/** The JSON an execution shows the world: the documented 12-field ExecutionResponse. */
import { minorToJsonNumber } from '../domain/money.js';
import type { ExecutionStatusRow } from '../store/executions.js';

/** The documented 12-field ExecutionResponse. */
export interface ExecutionResponse {
  reference_id: string;
  status: string;
  payer_amount: number;
  payer_currency: string;
  payee_amount: number;
  payee_currency: string;
  operation_type: string;
  provider_transaction_id: string | null;
  gateway_message: string | null;
  wallet_message: string | null;
  client_secret: string | null;
  requires_action: boolean;
}

export function toExecutionResponse(row: Omit<ExecutionStatusRow, 'id' | 'merchant_id' | 'next_check_at'>): ExecutionResponse {
  return {
    reference_id: row.reference_id,
    status: row.status,
    payer_amount: minorToJsonNumber(row.payer_amount_minor, row.payer_currency),
    payer_currency: row.payer_currency,
    payee_amount: minorToJsonNumber(row.payee_amount_minor, row.payee_currency),
    payee_currency: row.payee_currency,
    operation_type: row.operation_type,
    provider_transaction_id: row.provider_transaction_id,
    gateway_message: row.gateway_message,
    wallet_message: row.wallet_message,
    client_secret: row.client_secret,
    requires_action: row.requires_action,
  };
}

