/**
 * Request and response types, all derived from the generated src/openapi.ts — nothing here is
 * written by hand but the names, so a schema change on the server shows up as a type change here.
 */
import type { paths } from './openapi.js';

export type { components, operations, paths } from './openapi.js';

type Method = 'get' | 'post' | 'put' | 'delete';
export type Path = keyof paths;
export type Op<P extends Path, M extends Method> = NonNullable<paths[P][M]>;

type Json<C> = C extends { content: { 'application/json': infer T } } ? T : never;

/** The JSON body of a request (never when the operation takes none). */
export type Body<P extends Path, M extends Method> = Op<P, M> extends { requestBody: infer R }
  ? Json<R>
  : Op<P, M> extends { requestBody?: infer R }
    ? Json<NonNullable<R>>
    : never;
/** The 200 body. */
export type Ok<P extends Path, M extends Method> = Op<P, M> extends { responses: { 200: infer R } } ? Json<R> : never;
/** Query parameters (an object; empty when there are none). */
export type Query<P extends Path, M extends Method> = Op<P, M> extends { parameters: { query?: infer Q } }
  ? [NonNullable<Q>] extends [never]
    ? Record<string, never>
    : NonNullable<Q>
  : Record<string, never>;
/** Path parameters. */
export type PathParams<P extends Path, M extends Method> = Op<P, M> extends { parameters: { path: infer Pp } } ? Pp : never;

// ---- names for the types callers use most ----

export type ObtainTokenBody = Body<'/v1/jwt/client/obtain/token', 'post'>;
export type ObtainTokenResponse = Ok<'/v1/jwt/client/obtain/token', 'post'>;
export type MerchantInfo = Ok<'/v1/merchants/merchant-info', 'get'>;

export type Party = Ok<'/v1/parties/retrieve/{id}', 'get'>;
export type CreatePartyBody = Body<'/v1/parties/create', 'post'>;
export type Counterparty = Ok<'/v1/counterparties/retrieve/{id}', 'get'>;
export type CreateCounterpartyBody = Body<'/v1/counterparties/create', 'post'>;
export type UpdateCounterpartyBody = Body<'/v1/counterparties/update/{id}', 'put'>;

export type Invoice = Ok<'/v1/invoices/retrieve/{id}', 'get'>;
export type CreateInvoiceBody = Body<'/v1/invoices/create', 'post'>;
export type UpdateInvoiceBody = Body<'/v1/invoices/update/{id}', 'put'>;
export type InvoiceItemBody = Body<'/v1/invoices/{invoice_id}/items/add', 'post'>;
export type InvoiceReceipt = Ok<'/v1/invoices/receipt/{id}', 'get'>;
export type Order = Ok<'/v1/orders/retrieve/{id}', 'get'>;
export type CreateOrderBody = Body<'/v1/orders/create', 'post'>;
export type UpdateOrderBody = Body<'/v1/orders/update/{id}', 'put'>;
export type OrderItemBody = Body<'/v1/orders/{order_id}/items/add', 'post'>;
export type OrderReceipt = Ok<'/v1/orders/receipt/{id}', 'get'>;

export type PaymentAccount = Ok<'/v1/payment-accounts/create', 'post'>;
export type CreatePaymentAccountBody = Body<'/v1/payment-accounts/create', 'post'>;
export type OperationType = NonNullable<Query<'/v1/payment-accounts/create', 'post'>['operation_type']>;
export type Link = Ok<'/v1/links/pay', 'get'>;
export type CreateCheckoutBody = Body<'/v1/checkouts/create', 'post'>;
export type Checkout = Ok<'/v1/checkouts/create', 'post'>;

export type CheckoutSession = Ok<'/v1/sessions/checkout', 'post'>;
export type CheckoutSessionBody = Body<'/v1/sessions/checkout', 'post'>;
export type PayoutSession = Ok<'/v1/sessions/payout', 'post'>;
export type PayoutSessionBody = Body<'/v1/sessions/payout', 'post'>;
export type TransferSession = Ok<'/v1/sessions/transfer', 'post'>;
export type TransferSessionBody = Body<'/v1/sessions/transfer', 'post'>;
export type RefundSession = Ok<'/v1/sessions/refund', 'post'>;
export type RefundSessionBody = Body<'/v1/sessions/refund', 'post'>;

/** The 12-field answer of every execution and status call. Amounts are JSON numbers, passed through. */
export type ExecutionResponse = Ok<'/v1/executions/collection', 'post'>;
export type CollectionBody = Body<'/v1/executions/collection', 'post'>;
export type PayoutBody = Body<'/v1/executions/payout', 'post'>;
export type TransferBody = Body<'/v1/executions/transfer', 'post'>;
export type RefundBody = Body<'/v1/executions/refund', 'post'>;
export type PayoutPasscode = PayoutBody['passcode'];
export type SourceStatus = Ok<'/v1/status/source', 'get'>;

export type Wallet = Ok<'/v1/wallets/{wallet_id}', 'get'>;
export type WalletEntry = Ok<'/v1/wallets/{wallet_id}/entries', 'get'>[number];

/** Prediction amounts are decimal strings; passed through as the server sends them. */
export type AmountAndFeePrediction = Ok<'/v1/predictions/amount-and-fees', 'get'>;
export type MmoProviderInfo = Ok<'/v1/predictions/mmo-provider-info', 'get'>;
export type CardProviderInfo = Ok<'/v1/predictions/card-provider-info', 'get'>;

/** The four operations that have executions, status and (collection) realtime streams. */
export type Operation = 'collection' | 'payout' | 'transfer' | 'refund';
export const OPERATIONS: readonly Operation[] = ['collection', 'payout', 'transfer', 'refund'];
export type ExecutionStatus = 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
export const FINAL_STATUSES: readonly string[] = ['COMPLETED', 'FAILED'];

export type WebhookEndpoint = Ok<'/v1/webhooks/endpoints', 'get'>[number];
export type WebhookEndpointCreated = Ok<'/v1/webhooks/endpoints', 'post'>;
export type CreateWebhookEndpointBody = Body<'/v1/webhooks/endpoints', 'post'>;
export type WebhookDelivery = Ok<'/v1/webhooks/endpoints/{endpoint_id}/deliveries', 'get'>[number];
export type WebhookDeliveryAttempt = Ok<'/v1/webhooks/deliveries/{delivery_id}/attempts', 'get'>[number];
