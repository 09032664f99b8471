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
  pgTable,
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
    fee_tier_id: ref('fee_tier_id'),
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
    // Balance in the account's normal direction: sum(debits − credits), negated for credit-normal accounts.
    balance_minor: minor('balance_minor').notNull().default(sql`0`),
    created_at: createdAt(),
  },
  (t) => [
    unique('ledger_accounts_owner_code_currency_key').on(t.merchant_id, t.code, t.currency).nullsNotDistinct(),
    check('ledger_accounts_normal_side_check', sql`${t.normal_side} in ('debit', 'credit')`),
    // The last line of defence against overdrafts: the service checks first, the database refuses anyway.
    check('ledger_accounts_non_negative_check', sql`${t.allow_negative} or ${t.balance_minor} >= 0`),
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
    index('ledger_transactions_execution_idx').on(t.execution_id),
    // One posting set per (execution, kind): a retried settlement cannot post twice.
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
    balance_after_minor: minor('balance_after_minor').notNull(), // account balance right after this posting
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
