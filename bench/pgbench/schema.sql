-- Tables for the pgbench baselines: the columns and indexes an execution touches on its hot path
-- (src/store/schema.ts: executions, ledger_postings, ledger_accounts), without the rest of the app.
drop table if exists bench_single, bench_postings, bench_executions, bench_accounts, bench_carrier_txns;

create table bench_single (
  id bigint generated always as identity primary key,
  merchant_id bigint not null,
  reference_id text not null,
  amount_minor bigint not null,
  created_at timestamptz not null
);

create table bench_accounts (
  id bigint primary key,
  merchant_id bigint,
  currency char(3) not null,
  allow_negative boolean not null default false,
  balance_minor bigint not null default 0,
  check (allow_negative or balance_minor >= 0)
);

create table bench_executions (
  id bigint generated always as identity primary key,
  merchant_id bigint not null,
  operation_type text not null,
  reference_id text not null,
  request_hash text not null,
  status text not null,
  base_amount_minor bigint not null,
  payer_amount_minor bigint not null,
  payer_currency char(3) not null,
  payee_amount_minor bigint not null,
  payee_currency char(3) not null,
  platform_fee_minor bigint not null default 0,
  gateway_fee_minor bigint not null default 0,
  carrier_key text,
  next_check_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create unique index bench_executions_reference_key on bench_executions (merchant_id, operation_type, reference_id);
create index bench_executions_merchant_idx on bench_executions (merchant_id, id);
create index bench_executions_open_idx on bench_executions (next_check_at) where status in ('PENDING', 'PROCESSING');
create unique index bench_executions_carrier_key on bench_executions (carrier_key);

create table bench_postings (
  id bigint generated always as identity primary key,
  execution_id bigint not null,
  account_id bigint not null,
  currency char(3) not null,
  amount_minor bigint not null,
  balance_after_minor bigint not null,
  created_at timestamptz not null
);
create index bench_postings_account_idx on bench_postings (account_id, id);
create index bench_postings_execution_idx on bench_postings (execution_id);

-- what the sandbox carrier records of each payment (src/store/schema.ts: sandbox_carrier_txns)
create table bench_carrier_txns (
  key text primary key,
  amount_minor bigint not null,
  currency char(3) not null,
  status text not null,
  created_at timestamptz not null
);

-- account 0: the carrier clearing account (may go negative); 1..:merchants: one wallet per merchant
insert into bench_accounts (id, merchant_id, currency, allow_negative, balance_minor) values (0, null, 'USD', true, 0);
insert into bench_accounts (id, merchant_id, currency) select m, m, 'USD' from generate_series(1, :merchants) m;
