-- (a) one single-row insert per transaction (autocommit): the floor of a durable write.
\set m random(1, :merchants)
insert into bench_single (merchant_id, reference_id, amount_minor, created_at) values (:m, gen_random_uuid()::text, 2500, now());
