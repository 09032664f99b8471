ALTER TABLE "executions" ADD COLUMN "fee_bearer" text DEFAULT 'PAYER' NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "base_amount_minor" bigint NOT NULL;