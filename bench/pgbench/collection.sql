-- (4)'s baseline, paced at the same rate: the durable work of one instant collection as the server
-- commits it, without the application — three commits in a row: the execution recorded before the
-- carrier is asked, the carrier's own record of the payment, then the settlement (status, two
-- postings, the balance). One statement per round trip, as a server would send them.
\set m random(1, :merchants)
begin;
insert into bench_executions (merchant_id, operation_type, reference_id, request_hash, status, base_amount_minor,
                              payer_amount_minor, payer_currency, payee_amount_minor, payee_currency, platform_fee_minor,
                              gateway_fee_minor, carrier_key, next_check_at, created_at, updated_at)
  values (:m, 'COLLECTION', gen_random_uuid()::text, 'h', 'PROCESSING', 2500, 2613, 'USD', 2500, 'USD', 38, 75,
          gen_random_uuid()::text, now(), now(), now())
  returning id as exec_id \gset
end;
insert into bench_carrier_txns (key, amount_minor, currency, status, created_at) values ('sandbox-' || :exec_id, 2613, 'USD', 'SUCCESSFUL', now());
begin;
update bench_executions set status = 'COMPLETED', next_check_at = null, updated_at = now() where id = :exec_id;
update bench_accounts set balance_minor = balance_minor + 2500
  where id = :m and (allow_negative or balance_minor + 2500 >= 0) returning balance_minor as bal \gset
insert into bench_postings (execution_id, account_id, currency, amount_minor, balance_after_minor, created_at)
  values (:exec_id, 0, 'USD', 2500, 0, now()), (:exec_id, :m, 'USD', -2500, :bal, now());
end;
