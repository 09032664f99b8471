/**
 * The database schema: the single source for typed queries and for the SQL migrations
 * (`npm run db:generate` writes them into src/store/migrations with drizzle-kit).
 *
 * Conventions: ids are bigint identities rendered as JSON integers; amounts are bigint minor
 * units (`*_minor`) beside a char(3) currency; every business row carries `merchant_id`, and every
 * query filters by it so one merchant never sees another's rows.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => ts('created_at').notNull();
const updatedAt = () => ts('updated_at').notNull();
const ref = (name: string) => bigint(name, { mode: 'number' });
const minor = (name: string) => bigint(name, { mode: 'bigint' });

// ---------------------------------------------------------------------------------------------
// Merchants and credentials
// ---------------------------------------------------------------------------------------------

export const merchants = pgTable(
  'merchants',
  {
    id: id(),
    name: text('name').notNull(),
    type: text('type').notNull(), // MICRO_ORGANIZATION | ORGANIZATION
    email: text('email').notNull(),
    phone: text('phone').notNull(),
    verification_status: text('verification_status').notNull(), // PENDING | VERIFIED | REJECTED
    is_sandbox: boolean('is_sandbox').notNull().default(false),
    // Payout passcode: a slow hash bound to a phone, with a bounded number of wrong attempts.
    passcode_hash: text('passcode_hash'),
    passcode_phone: text('passcode_phone'),
    passcode_failed_attempts: integer('passcode_failed_attempts').notNull().default(0),
    passcode_locked_until: ts('passcode_locked_until'),
    // Has at least one live webhook endpoint: read with the execution, so a merchant without
    // webhooks pays nothing for them on the money path.
    webhooks_enabled: boolean('webhooks_enabled').notNull().default(false),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    check('merchants_type_check', sql`${t.type} in ('MICRO_ORGANIZATION', 'ORGANIZATION')`),
    check('merchants_verification_check', sql`${t.verification_status} in ('PENDING', 'VERIFIED', 'REJECTED')`),
    check('merchants_passcode_attempts_check', sql`${t.passcode_failed_attempts} >= 0`),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    client_id: text('client_id').notNull(),
    secret_hash: text('secret_hash').notNull(), // scrypt$N$r$p$salt$hash — the secret itself is never stored
    label: text('label').notNull().default(''),
    created_at: createdAt(),
    revoked_at: ts('revoked_at'),
    last_used_at: ts('last_used_at'),
  },
  (t) => [uniqueIndex('api_keys_client_id_key').on(t.client_id), index('api_keys_merchant_idx').on(t.merchant_id)],
);

/** Server-wide secrets generated on first start (the JWT signing key) so every instance shares them. */
export const serverSecrets = pgTable('server_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  created_at: createdAt(),
});

// ---------------------------------------------------------------------------------------------
// Ledger: double-entry. Balances are cached on the account row (O(1) reads) and updated in the
// same transaction as the postings that change them.
// ---------------------------------------------------------------------------------------------

export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: id(),
    merchant_id: ref('merchant_id').references(() => merchants.id), // null for platform accounts
    code: text('code').notNull(), // wallet_available, wallet_pending, carrier_clearing:PAWAPAY, platform_fee_revenue, …
    currency: char('currency', { length: 3 }).notNull(),
    normal_side: text('normal_side').notNull(), // debit | credit
    allow_negative: boolean('allow_negative').notNull().default(false),
    // cached: balance_minor is kept in the same transaction as the postings (and guarded against
    // going negative) — merchant wallets. derived: no cached balance; its balance is the sum of its
    // postings — platform accounts every movement touches, which would otherwise be one hot row.
    balance_mode: text('balance_mode').notNull().default('cached'),
    // Balance in the account's normal direction: sum(debits − credits), negated for credit-normal accounts.
    balance_minor: minor('balance_minor').notNull().default(sql`0`),
    created_at: createdAt(),
  },
  (t) => [
    unique('ledger_accounts_owner_code_currency_key').on(t.merchant_id, t.code, t.currency).nullsNotDistinct(),
    check('ledger_accounts_normal_side_check', sql`${t.normal_side} in ('debit', 'credit')`),
    // The last line of defence against overdrafts: the service checks first, the database refuses anyway.
    check('ledger_accounts_non_negative_check', sql`${t.allow_negative} or ${t.balance_minor} >= 0`),
    check('ledger_accounts_balance_mode_check', sql`${t.balance_mode} in ('cached', 'derived') and (${t.balance_mode} = 'cached' or ${t.balance_minor} = 0)`),
  ],
);

export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: id(),
    merchant_id: ref('merchant_id').references(() => merchants.id),
    execution_id: ref('execution_id'),
    kind: text('kind').notNull(), // sandbox_funding, collection, payout_reserve, payout_settle, payout_release, transfer, refund, …
    description: text('description').notNull().default(''),
    created_at: createdAt(),
  },
  (t) => [
    // One posting set per (execution, kind): a retried settlement cannot post twice. It also
    // serves every lookup by execution (an equality on execution_id implies "is not null").
    uniqueIndex('ledger_transactions_execution_kind_key')
      .on(t.execution_id, t.kind)
      .where(sql`${t.execution_id} is not null`),
  ],
);

export const ledgerPostings = pgTable(
  'ledger_postings',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    transaction_id: ref('transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    account_id: ref('account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    currency: char('currency', { length: 3 }).notNull(),
    amount_minor: minor('amount_minor').notNull(), // signed: debit > 0, credit < 0
    balance_after_minor: minor('balance_after_minor'), // the cached account's balance right after this posting (null: derived account)
    created_at: createdAt(),
  },
  (t) => [
    index('ledger_postings_account_id_idx').on(t.account_id, t.id),
    index('ledger_postings_transaction_idx').on(t.transaction_id),
    check('ledger_postings_nonzero_check', sql`${t.amount_minor} <> 0`),
  ],
);

export const wallets = pgTable(
  'wallets',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status').notNull().default('ACTIVE'), // ACTIVE | RESTRICTED | FROZEN | CLOSED
    available_account_id: ref('available_account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    pending_account_id: ref('pending_account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex('wallets_merchant_currency_key').on(t.merchant_id, t.currency),
    check('wallets_status_check', sql`${t.status} in ('ACTIVE', 'RESTRICTED', 'FROZEN', 'CLOSED')`),
  ],
);

// ---------------------------------------------------------------------------------------------
// The merchant's objects: parties, counterparties, payment sources (invoices and orders), items,
// payment accounts.
// ---------------------------------------------------------------------------------------------

export const parties = pgTable(
  'parties',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    fullname: text('fullname').notNull(),
    phone: text('phone').notNull(),
    email: text('email'),
    country_code: char('country_code', { length: 2 }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index('parties_merchant_idx').on(t.merchant_id, t.id), index('parties_merchant_phone_idx').on(t.merchant_id, t.phone)],
);

export const counterparties = pgTable(
  'counterparties',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    party_id: ref('party_id').references(() => parties.id),
    relationship_type: text('relationship_type').notNull(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index('counterparties_merchant_idx').on(t.merchant_id, t.id), index('counterparties_party_idx').on(t.party_id)],
);

/** Invoices and orders share one table (and one id sequence); `source_type` tells them apart. */
export const paymentSources = pgTable(
  'payment_sources',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    source_type: text('source_type').notNull(), // INVOICE | ORDER
    number: text('number').notNull(), // INV-YYYY-NNNNN | ORD-YYYY-NNNNN, unique per merchant
    counterparty_id: ref('counterparty_id').references(() => counterparties.id),
    currency: char('currency', { length: 3 }).notNull(),
    total_amount_minor: minor('total_amount_minor').notNull().default(sql`0`),
    status: text('status').notNull(), // IDLE | ACTIVE | PROCESSING | PAID | CANCELED
    note: text('note').notNull().default(''),
    fee_bearer: text('fee_bearer').notNull(), // PAYER | PAYEE
    due_date: ts('due_date'),
    as_payment_link: boolean('as_payment_link').notNull().default(false),
    reference_id: text('reference_id'), // the merchant's own reference, not an idempotency key
    published_at: ts('published_at'),
    paid_at: ts('paid_at'),
    canceled_at: ts('canceled_at'),
    paid_execution_id: ref('paid_execution_id'), // the collection that paid it (receipts)
    // Hosted checkout (POST /v1/checkouts/create and pay links)
    hosted_token: text('hosted_token'),
    checkout_mode: text('checkout_mode'),
    success_url: text('success_url'),
    cancel_url: text('cancel_url'),
    checkout_expires_at: ts('checkout_expires_at'),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex('payment_sources_number_key').on(t.merchant_id, t.source_type, t.number),
    uniqueIndex('payment_sources_hosted_token_key').on(t.hosted_token),
    index('payment_sources_merchant_idx').on(t.merchant_id, t.source_type, t.id),
    check('payment_sources_type_check', sql`${t.source_type} in ('INVOICE', 'ORDER')`),
    check('payment_sources_status_check', sql`${t.status} in ('IDLE', 'ACTIVE', 'PROCESSING', 'PAID', 'CANCELED')`),
    check('payment_sources_fee_bearer_check', sql`${t.fee_bearer} in ('PAYER', 'PAYEE')`),
    check('payment_sources_total_check', sql`${t.total_amount_minor} >= 0`),
  ],
);

export const sourceItems = pgTable(
  'source_items',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    source_id: ref('source_id')
      .notNull()
      .references(() => paymentSources.id),
    name: text('name').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    qty: integer('qty').notNull(),
    unit_amount_minor: minor('unit_amount_minor').notNull(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index('source_items_source_idx').on(t.source_id, t.id),
    check('source_items_qty_check', sql`${t.qty} >= 1`),
    check('source_items_amount_check', sql`${t.unit_amount_minor} > 0`),
  ],
);

/** Per-merchant, per-type, per-year document number allocation (one upsert per new document). */
export const documentCounters = pgTable(
  'document_counters',
  {
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    source_type: text('source_type').notNull(),
    year: integer('year').notNull(),
    last_value: integer('last_value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.merchant_id, t.source_type, t.year] })],
);

export const paymentAccounts = pgTable(
  'payment_accounts',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    party_id: ref('party_id')
      .notNull()
      .references(() => parties.id),
    operation_type: text('operation_type').notNull(), // COLLECTION | PAYOUT | TRANSFER | REFUND
    account_name: text('account_name').notNull(),
    provider: text('provider').notNull(),
    method: text('method').notNull(),
    country_code: char('country_code', { length: 2 }),
    account_number: text('account_number'), // stored, never echoed, never logged
    is_active: boolean('is_active').notNull().default(true),
    used_at: ts('used_at'), // card accounts serve one attempt
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index('payment_accounts_merchant_idx').on(t.merchant_id, t.id),
    // Mobile-money and payout accounts are reused per party + number + method (+ operation).
    uniqueIndex('payment_accounts_reuse_key')
      .on(t.merchant_id, t.party_id, t.method, t.account_number, t.operation_type)
      .where(sql`${t.account_number} is not null and ${t.method} <> 'CREDIT_CARD'`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Fees and FX. Percentages are numeric percent values (2.5 = 2.5 %), read back as exact strings.
// ---------------------------------------------------------------------------------------------

export const providers = pgTable(
  'providers',
  {
    id: id(),
    code: text('code').notNull(), // PAWAPAY | STRIPE | PLATFORM
    name: text('name').notNull(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex('providers_code_key').on(t.code)],
);

export const gatewayFees = pgTable(
  'gateway_fees',
  {
    id: id(),
    provider_id: ref('provider_id')
      .notNull()
      .references(() => providers.id),
    operation_type: text('operation_type').notNull(),
    payment_method: text('payment_method').notNull(),
    percentage: numeric('percentage', { precision: 9, scale: 4 }).notNull(),
    fixed_fee_minor: minor('fixed_fee_minor').notNull().default(sql`0`),
    fixed_fee_currency: char('fixed_fee_currency', { length: 3 }),
    effective_from: ts('effective_from').notNull(),
    effective_to: ts('effective_to'),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index('gateway_fees_lookup_idx').on(t.payment_method, t.operation_type, t.effective_from),
    check('gateway_fees_percentage_check', sql`${t.percentage} >= 0 and ${t.percentage} < 100`),
  ],
);

export const feeTiers = pgTable(
  'fee_tiers',
  {
    id: id(),
    name: text('name').notNull(),
    is_default: boolean('is_default').notNull().default(false),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex('fee_tiers_name_key').on(t.name), uniqueIndex('fee_tiers_one_default_key').on(t.is_default).where(sql`${t.is_default}`)],
);

export const feeTierRates = pgTable(
  'fee_tier_rates',
  {
    id: id(),
    tier_id: ref('tier_id')
      .notNull()
      .references(() => feeTiers.id),
    operation_type: text('operation_type').notNull(),
    payment_method: text('payment_method'), // null: any method
    percentage: numeric('percentage', { precision: 9, scale: 4 }).notNull(),
    fx_percentage: numeric('fx_percentage', { precision: 9, scale: 4 }).notNull(),
    fixed_fee_minor: minor('fixed_fee_minor').notNull().default(sql`0`),
    fixed_fee_currency: char('fixed_fee_currency', { length: 3 }),
    effective_from: ts('effective_from').notNull(),
    effective_to: ts('effective_to'),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index('fee_tier_rates_lookup_idx').on(t.tier_id, t.operation_type, t.effective_from),
    check('fee_tier_rates_percentage_check', sql`${t.percentage} >= 0 and ${t.percentage} < 100 and ${t.fx_percentage} >= 0 and ${t.fx_percentage} < 100`),
  ],
);

export const merchantFeeTiers = pgTable(
  'merchant_fee_tiers',
  {
    id: id(),
    owner_type: text('owner_type').notNull(), // USER | MICRO_ORGANIZATION | ORGANIZATION
    owner_id: ref('owner_id').notNull(),
    tier_id: ref('tier_id')
      .notNull()
      .references(() => feeTiers.id),
    assigned_at: ts('assigned_at').notNull(),
    assigned_by: text('assigned_by').notNull(),
  },
  (t) => [uniqueIndex('merchant_fee_tiers_owner_key').on(t.owner_type, t.owner_id)],
);

/** One rate: 1 unit of base = `rate` units of quote, from `effective_from` until superseded. */
export const fxRates = pgTable(
  'fx_rates',
  {
    id: id(),
    base_currency: char('base_currency', { length: 3 }).notNull(),
    quote_currency: char('quote_currency', { length: 3 }).notNull(),
    rate: numeric('rate', { precision: 24, scale: 10 }).notNull(),
    effective_from: ts('effective_from').notNull(),
    created_by: text('created_by').notNull().default('seed'),
    created_at: createdAt(),
  },
  (t) => [index('fx_rates_pair_idx').on(t.base_currency, t.quote_currency, t.effective_from), check('fx_rates_positive_check', sql`${t.rate} > 0`)],
);

// ---------------------------------------------------------------------------------------------
// The money core: sessions (intent) and executions (movement), keyed by the client's reference_id.
// ---------------------------------------------------------------------------------------------

export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    kind: text('kind').notNull(), // CHECKOUT | PAYOUT | TRANSFER | REFUND
    status: text('status').notNull(), // ACTIVE | USED | EXPIRED
    source_type: text('source_type'),
    source_id: ref('source_id'),
    payment_account_id: ref('payment_account_id'),
    wallet_id: ref('wallet_id'),
    payout_account_id: ref('payout_account_id'),
    to_counterparty_id: ref('to_counterparty_id'),
    original_execution_id: ref('original_execution_id'),
    amount_minor: minor('amount_minor'),
    currency: char('currency', { length: 3 }),
    reason: text('reason'),
    expires_at: ts('expires_at').notNull(),
    used_at: ts('used_at'),
    execution_id: ref('execution_id'),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index('sessions_merchant_idx').on(t.merchant_id, t.id),
    index('sessions_expiry_idx').on(t.expires_at).where(sql`${t.status} = 'ACTIVE'`),
    check('sessions_kind_check', sql`${t.kind} in ('CHECKOUT', 'PAYOUT', 'TRANSFER', 'REFUND')`),
    check('sessions_status_check', sql`${t.status} in ('ACTIVE', 'USED', 'EXPIRED')`),
  ],
);

export const executions = pgTable(
  'executions',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    operation_type: text('operation_type').notNull(), // COLLECTION | PAYOUT | TRANSFER | REFUND
    reference_id: text('reference_id').notNull(), // the client's UUIDv4 idempotency key
    request_hash: text('request_hash').notNull(), // same key + different payload → 422
    session_id: ref('session_id').references(() => sessions.id),
    status: text('status').notNull(), // PENDING | PROCESSING | COMPLETED | FAILED
    source_type: text('source_type'),
    source_id: ref('source_id'),
    payment_account_id: ref('payment_account_id'),
    wallet_id: ref('wallet_id'),
    to_counterparty_id: ref('to_counterparty_id'),
    original_execution_id: ref('original_execution_id'),
    provider: text('provider'),
    method: text('method'),
    fee_bearer: text('fee_bearer').notNull().default('PAYER'),
    // The amount the movement is denominated in (source total, payout/transfer/refund amount), base currency = payee_currency
    // for collections, payer_currency otherwise.
    base_amount_minor: minor('base_amount_minor').notNull(),
    payer_amount_minor: minor('payer_amount_minor').notNull(),
    payer_currency: char('payer_currency', { length: 3 }).notNull(),
    payee_amount_minor: minor('payee_amount_minor').notNull(),
    payee_currency: char('payee_currency', { length: 3 }).notNull(),
    platform_fee_minor: minor('platform_fee_minor').notNull().default(sql`0`),
    platform_currency: char('platform_currency', { length: 3 }).notNull(),
    gateway_fee_minor: minor('gateway_fee_minor').notNull().default(sql`0`),
    gateway_currency: char('gateway_currency', { length: 3 }),
    fx_fee_minor: minor('fx_fee_minor').notNull().default(sql`0`),
    fx_rate: numeric('fx_rate', { precision: 24, scale: 10 }),
    fx_currency_from: char('fx_currency_from', { length: 3 }),
    fx_currency_to: char('fx_currency_to', { length: 3 }),
    refunded_minor: minor('refunded_minor').notNull().default(sql`0`), // collections: refunds reserved or done
    provider_transaction_id: text('provider_transaction_id'),
    gateway_message: text('gateway_message'),
    wallet_message: text('wallet_message'),
    client_secret: text('client_secret'),
    requires_action: boolean('requires_action').notNull().default(false),
    carrier_key: text('carrier_key'), // the idempotency key the carrier knows it by (callbacks name it)
    carrier_status: text('carrier_status'),
    next_check_at: ts('next_check_at'),
    check_attempts: integer('check_attempts').notNull().default(0),
    initiated_at: ts('initiated_at'),
    completed_at: ts('completed_at'),
    failed_at: ts('failed_at'),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    // The idempotency key: one execution per merchant, operation and reference_id — enforced here.
    uniqueIndex('executions_reference_key').on(t.merchant_id, t.operation_type, t.reference_id),
    index('executions_merchant_idx').on(t.merchant_id, t.id),
    index('executions_open_idx').on(t.next_check_at).where(sql`${t.status} in ('PENDING', 'PROCESSING')`),
    // Refunds by the collection they return money from; only refunds have one (no entry for the rest).
    index('executions_original_idx').on(t.original_execution_id).where(sql`${t.original_execution_id} is not null`),
    uniqueIndex('executions_carrier_key').on(t.carrier_key),
    check('executions_status_check', sql`${t.status} in ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED')`),
    check('executions_operation_check', sql`${t.operation_type} in ('COLLECTION', 'PAYOUT', 'TRANSFER', 'REFUND')`),
    check('executions_amounts_check', sql`${t.payer_amount_minor} > 0 and ${t.payee_amount_minor} >= 0 and ${t.refunded_minor} >= 0`),
  ],
);

/** Every status change of an execution, in order (portal timeline, realtime stream, webhooks). */
export const executionEvents = pgTable(
  'execution_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    execution_id: ref('execution_id')
      .notNull()
      .references(() => executions.id),
    merchant_id: ref('merchant_id').notNull(),
    status: text('status').notNull(),
    message: text('message'),
    detail: jsonb('detail'),
    created_at: createdAt(),
  },
  (t) => [index('execution_events_execution_idx').on(t.execution_id, t.id)],
);

// ---------------------------------------------------------------------------------------------
// The sandbox carriers' own records. A real carrier keeps its state on its side of the wire; the
// in-process sandbox keeps it here so it survives our restarts the same way.
// ---------------------------------------------------------------------------------------------

export const sandboxCarrierTxns = pgTable(
  'sandbox_carrier_txns',
  {
    key: text('key').primaryKey(), // the idempotency key we sent (depositId / payoutId / refundId)
    gateway: text('gateway').notNull(),
    operation: text('operation').notNull(), // collection | payout | refund
    scenario: text('scenario').notNull(),
    msisdn: text('msisdn'),
    method: text('method').notNull(),
    amount_minor: minor('amount_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    original_key: text('original_key'),
    provider_transaction_id: text('provider_transaction_id').notNull(),
    final_status: text('final_status').notNull(), // COMPLETED | FAILED | NONE (never finalises)
    failure_code: text('failure_code'),
    final_at: ts('final_at'), // when the carrier reaches its final status
    callbacks_sent: integer('callbacks_sent').notNull().default(0),
    client_secret: text('client_secret'),
    detail: jsonb('detail'),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
);

// ---------------------------------------------------------------------------------------------
// Background work: a small durable queue of our own (FOR UPDATE SKIP LOCKED). Why not pg-boss:
// its schedules use the database's now(), so the injected clock could not drive them, and on the
// embedded database its polling competes with the API for the single connection.
// ---------------------------------------------------------------------------------------------

export const jobs = pgTable(
  'jobs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    queue: text('queue').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status').notNull(), // queued | running | done | dead
    run_at: ts('run_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    max_attempts: integer('max_attempts').notNull(),
    locked_until: ts('locked_until'),
    locked_by: text('locked_by'),
    dedupe_key: text('dedupe_key'),
    last_error: text('last_error'),
    created_at: createdAt(),
    updated_at: updatedAt(),
    finished_at: ts('finished_at'),
  },
  (t) => [
    index('jobs_due_idx').on(t.queue, t.run_at).where(sql`${t.status} = 'queued'`),
    index('jobs_running_idx').on(t.locked_until).where(sql`${t.status} = 'running'`),
    // At most one live job per (queue, dedupe key): a recurring sweep is scheduled once however many instances run.
    uniqueIndex('jobs_dedupe_key').on(t.queue, t.dedupe_key).where(sql`${t.dedupe_key} is not null and ${t.status} in ('queued', 'running')`),
    check('jobs_status_check', sql`${t.status} in ('queued', 'running', 'done', 'dead')`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Signed webhooks (beyond Dollr): endpoints, events (an outbox written in the same transaction as
// the status change), deliveries and their attempts.
// ---------------------------------------------------------------------------------------------

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    secret: text('secret').notNull(), // HMAC key; shown once at creation, never returned again
    enabled_events: jsonb('enabled_events').notNull(), // ["*"] or a list of event types
    status: text('status').notNull().default('enabled'), // enabled | disabled
    created_at: createdAt(),
    updated_at: updatedAt(),
    deleted_at: ts('deleted_at'),
  },
  (t) => [index('webhook_endpoints_merchant_idx').on(t.merchant_id, t.id)],
);

export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: id(),
    merchant_id: ref('merchant_id')
      .notNull()
      .references(() => merchants.id),
    type: text('type').notNull(), // execution.processing | execution.completed | execution.failed | source.paid
    dedupe_key: text('dedupe_key').notNull(), // one event per fact (e.g. execution id + status)
    payload: jsonb('payload').notNull(),
    created_at: createdAt(),
  },
  (t) => [uniqueIndex('webhook_events_dedupe_key').on(t.merchant_id, t.dedupe_key), index('webhook_events_merchant_idx').on(t.merchant_id, t.id)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    merchant_id: ref('merchant_id').notNull(),
    event_id: ref('event_id')
      .notNull()
      .references(() => webhookEvents.id),
    endpoint_id: ref('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    status: text('status').notNull(), // pending | succeeded | failed
    attempts: integer('attempts').notNull().default(0),
    next_attempt_at: ts('next_attempt_at'),
    last_attempt_at: ts('last_attempt_at'),
    last_status_code: integer('last_status_code'),
    last_error: text('last_error'),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index('webhook_deliveries_endpoint_idx').on(t.endpoint_id, t.id),
    uniqueIndex('webhook_deliveries_event_endpoint_key').on(t.event_id, t.endpoint_id),
    check('webhook_deliveries_status_check', sql`${t.status} in ('pending', 'succeeded', 'failed')`),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    delivery_id: ref('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id),
    attempted_at: ts('attempted_at').notNull(),
    status_code: integer('status_code'),
    duration_ms: integer('duration_ms').notNull(),
    error: text('error'),
    response_excerpt: text('response_excerpt'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.delivery_id, t.id)],
);

// ---------------------------------------------------------------------------------------------
// The merchant portal and the operator area: users with hashed passwords, cookie sessions.
// ---------------------------------------------------------------------------------------------

export const portalUsers = pgTable(
  'portal_users',
  {
    id: id(),
    merchant_id: ref('merchant_id').references(() => merchants.id), // null for operators
    email: text('email').notNull(),
    password_hash: text('password_hash').notNull(),
    role: text('role').notNull(), // owner | operator
    failed_logins: integer('failed_logins').notNull().default(0),
    locked_until: ts('locked_until'),
    last_login_at: ts('last_login_at'),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex('portal_users_email_key').on(sql`lower(${t.email})`),
    check('portal_users_role_check', sql`${t.role} in ('owner', 'operator')`),
    check('portal_users_owner_has_merchant', sql`(${t.role} = 'operator') = (${t.merchant_id} is null)`),
  ],
);

export const portalSessions = pgTable(
  'portal_sessions',
  {
    token_hash: text('token_hash').primaryKey(), // sha256 of the cookie value; the cookie itself is never stored
    user_id: ref('user_id')
      .notNull()
      .references(() => portalUsers.id),
    csrf_token: text('csrf_token').notNull(),
    created_at: createdAt(),
    expires_at: ts('expires_at').notNull(),
    last_seen_at: ts('last_seen_at').notNull(),
  },
  (t) => [index('portal_sessions_user_idx').on(t.user_id), index('portal_sessions_expiry_idx').on(t.expires_at)],
);
