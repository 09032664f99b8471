-- (b) execution-shaped: insert an execution, its two postings and one balance update, in one
-- transaction, on wallets spread over :merchants merchants. One statement per round trip, as a
-- server would send them.
-- (c) the same with -D merchants=1: every transaction on ONE wallet row (a hot merchant); the row
-- lock serializes them, so this is the ceiling for a single busy wallet.
\set m random(1, :merchants)
begin;
insert into bench_executions (merchant_id, operation_type, reference_id, request_hash, status, base_amount_minor,
                              payer_amount_minor, payer_currency, payee_amount_minor, payee_currency, platform_fee_minor,
                              gateway_fee_minor, carrier_key, created_at, updated_at)
  values (:m, 'COLLECTION', gen_random_uuid()::text, 'h', 'COMPLETED', 2500, 2613, 'USD', 2500, 'USD', 38, 75,
          gen_random_uuid()::text, now(), now())
  returning id as exec_id \gset
update bench_accounts set balance_minor = balance_minor + 2500
  where id = :m and (allow_negative or balance_minor + 2500 >= 0) returning balance_minor as bal \gset
insert into bench_postings (execution_id, account_id, currency, amount_minor, balance_after_minor, created_at)
  values (:exec_id, 0, 'USD', 2500, 0, now()), (:exec_id, :m, 'USD', -2500, :bal, now());
end;
