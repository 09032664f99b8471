-- Executions watched in real time: a realtime key was issued for them and has not expired. Only
-- their status changes are announced with pg_notify. A transaction that notifies takes one
-- database-wide lock at commit and holds it across its WAL flush, so announcing every change made
-- the commits of all group-commit stages wait for each other (and woke every instance's listener)
-- for streams that almost never exist. UNLOGGED: no WAL; after a crash the watches are gone and an
-- open stream falls back to its periodic re-read.
CREATE UNLOGGED TABLE "status_watches" (
	"merchant_id" bigint NOT NULL,
	"operation_type" text NOT NULL,
	"reference_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	PRIMARY KEY ("merchant_id", "operation_type", "reference_id")
);
