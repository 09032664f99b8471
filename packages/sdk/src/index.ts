/**
 * @dollr/sdk — a TypeScript client for the Dollr v1 Open API (and servers that implement it).
 *
 *   const dollr = new DollrClient({ baseUrl, clientId, clientSecret });
 *   const exec = await dollr.executions.collection({ session_id, payment_account_id, currency }, { onReferenceId: save });
 *   const final = await dollr.waitForFinal('collection', exec.reference_id);
 */
export { DollrClient, SDK_VERSION } from './client.js';
export type { DollrClientOptions } from './client.js';
export {
  DollrAuthError,
  DollrError,
  DollrForbiddenError,
  DollrNetworkError,
  DollrNotFoundError,
  DollrRateLimitError,
  DollrServerError,
  DollrSignatureVerificationError,
  DollrTimeoutError,
  DollrValidationError,
  formatValidationDetail,
} from './errors.js';
export type { ValidationDetailItem } from './errors.js';
export { newReferenceId } from './executions.js';
export type { ExecuteOptions, ExecutionInput, NewAttemptInfo } from './executions.js';
export { backoffDelay, DEFAULT_RETRY } from './retry.js';
export type { RetryPolicy } from './retry.js';
export { REFRESH_MARGIN_MS, TokenManager } from './token.js';
export type { RequestOptions, ResponseMeta } from './transport.js';
export { FINAL_STATUSES, OPERATIONS } from './types.js';
export type * from './types.js';
export { isFinal, statusEvents, WAIT_DEFAULTS } from './wait.js';
export type { RealtimeKey, RealtimeKeyBody, WaitOptions } from './wait.js';
export { DEFAULT_TOLERANCE_S, SIGNATURE_HEADER, signWebhookPayload, verifyWebhook } from './webhooks.js';
export type { DollrEvent, ExecutionEvent, SourcePaidEvent, VerifyWebhookOptions, WebhookEvent, WebhookEventType } from './webhooks.js';
