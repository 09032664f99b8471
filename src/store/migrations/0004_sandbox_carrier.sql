CREATE TABLE "sandbox_carrier_txns" (
	"key" text PRIMARY KEY NOT NULL,
	"gateway" text NOT NULL,
	"operation" text NOT NULL,
	"scenario" text NOT NULL,
	"msisdn" text,
	"method" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"original_key" text,
	"provider_transaction_id" text NOT NULL,
	"final_status" text NOT NULL,
	"failure_code" text,
	"final_at" timestamp with time zone,
	"callbacks_sent" integer DEFAULT 0 NOT NULL,
	"client_secret" text,
	"detail" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sandbox_carrier_txns_due_idx" ON "sandbox_carrier_txns" USING btree ("final_at");