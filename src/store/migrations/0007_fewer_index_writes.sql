-- Index entries the money path wrote on every execution and nothing reads (lookups by execution use the unique (execution_id, kind) index).
DROP INDEX "ledger_transactions_execution_idx";--> statement-breakpoint
DROP INDEX "sandbox_carrier_txns_due_idx";--> statement-breakpoint
DROP INDEX "executions_original_idx";--> statement-breakpoint
CREATE INDEX "executions_original_idx" ON "executions" USING btree ("original_execution_id") WHERE "executions"."original_execution_id" is not null;