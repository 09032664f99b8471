/**
 * The Dollr enums, as the OpenAPI-aligned docs give them (api-notes §2 "Enums").
 * One list each; schemas, services and the SDK read them from here.
 */
export const PAYMENT_METHODS = ['MTN_MOMO_LBR', 'ORANGE_MONEY_LBR', 'AIRTEL_RWA', 'MTN_MOMO_RWA', 'ORANGE_MONEY_RWA', 'CREDIT_CARD', 'WALLET'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const MOMO_METHODS = ['MTN_MOMO_LBR', 'ORANGE_MONEY_LBR', 'AIRTEL_RWA', 'MTN_MOMO_RWA', 'ORANGE_MONEY_RWA'] as const;
export type MomoMethod = (typeof MOMO_METHODS)[number];

/** The spec's provider enum also lists two MoMo method names (doc examples send provider: "MTN_MOMO_LBR"). */
export const PROVIDERS = ['PAWAPAY', 'STRIPE', 'PLATFORM', 'MTN_MOMO_LBR', 'ORANGE_MONEY_LBR'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** The routing network that actually carries a method. */
export const GATEWAY_OF_METHOD: Readonly<Record<PaymentMethod, 'PAWAPAY' | 'STRIPE' | 'PLATFORM'>> = {
  MTN_MOMO_LBR: 'PAWAPAY',
  ORANGE_MONEY_LBR: 'PAWAPAY',
  AIRTEL_RWA: 'PAWAPAY',
  MTN_MOMO_RWA: 'PAWAPAY',
  ORANGE_MONEY_RWA: 'PAWAPAY',
  CREDIT_CARD: 'STRIPE',
  WALLET: 'PLATFORM',
};

/** Country (ISO-3166 alpha-2) of each mobile-money method. */
export const COUNTRY_OF_METHOD: Readonly<Partial<Record<PaymentMethod, string>>> = {
  MTN_MOMO_LBR: 'LR',
  ORANGE_MONEY_LBR: 'LR',
  AIRTEL_RWA: 'RW',
  MTN_MOMO_RWA: 'RW',
  ORANGE_MONEY_RWA: 'RW',
};

/** Currencies each market's mobile money settles in. */
export const CURRENCIES_OF_COUNTRY: Readonly<Record<string, readonly string[]>> = {
  LR: ['USD', 'LRD'],
  RW: ['RWF'],
};

/** A method/provider pair is valid when the provider is the method's gateway, or (spec quirk) the method itself. */
export function isValidMethodProvider(method: PaymentMethod, provider: Provider): boolean {
  return GATEWAY_OF_METHOD[method] === provider || (method as string) === (provider as string);
}

export const OPERATION_TYPES = ['COLLECTION', 'PAYOUT', 'TRANSFER', 'REFUND'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

export const FEE_BEARERS = ['PAYER', 'PAYEE'] as const;
export type FeeBearer = (typeof FEE_BEARERS)[number];

export const OWNER_TYPES = ['USER', 'MICRO_ORGANIZATION', 'ORGANIZATION'] as const;
export type OwnerType = (typeof OWNER_TYPES)[number];

/** SUBSCRIPTION is in the spec's enum but not publicly supported: accepted by the schema, refused with a clear 422. */
export const SOURCE_TYPES = ['INVOICE', 'ORDER'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];
export const SOURCE_TYPES_IN_SPEC = ['INVOICE', 'ORDER', 'SUBSCRIPTION'] as const;

export const SOURCE_STATUSES = ['IDLE', 'ACTIVE', 'PROCESSING', 'PAID', 'CANCELED'] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];

export const RELATIONSHIP_TYPES = [
  'CUSTOMER',
  'SUPPLIER',
  'EMPLOYEE',
  'BENEFICIARY',
  'FRIEND',
  'FAMILY',
  'DONOR',
  'DONEE',
  'CONTACT',
  'SERVICE_PROVIDER',
  'PARTNER',
  'SELF',
] as const;
export type RelationshipType = (typeof RELATIONSHIP_TYPES)[number];

export const EXECUTION_STATUSES = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const SESSION_KINDS = ['CHECKOUT', 'PAYOUT', 'TRANSFER', 'REFUND'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

export const WALLET_STATUSES = ['ACTIVE', 'RESTRICTED', 'FROZEN', 'CLOSED'] as const;
export type WalletStatus = (typeof WALLET_STATUSES)[number];
