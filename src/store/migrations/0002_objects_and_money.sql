CREATE TABLE "counterparties" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "counterparties_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"merchant_id" bigint NOT NULL,
	"party_id" bigint,
	"relationship_type" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "document_counters" (
	"merchant_id" bigint NOT NULL,
	"source_type" text NOT NULL,
	"year" integer NOT NULL,
	"last_value" integer NOT NULL,
	CONSTRAINT "document_counters_merchant_id_source_type_year_pk" PRIMARY KEY("merchant_id","source_type","year")
);
--> statement-breakpoint
CREATE TABLE "execution_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "execution_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"execution_id" bigint NOT NULL,
	"merchant_id" bigint NOT NULL,
	"status" text NOT NULL,
	"message" text,
	"detail" jsonb,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "executions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "executions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"merchant_id" bigint NOT NULL,
	"operation_type" text NOT NULL,
	"reference_id" text NOT NULL,
	"request_hash" text NOT NULL,
	"session_id" bigint,
	"status" text NOT NULL,
	"source_type" text,
	"source_id" bigint,
	"payment_account_id" bigint,
	"wallet_id" bigint,
	"to_counterparty_id" bigint,
	"original_execution_id" bigint,
	"provider" text,
	"method" text,
	"payer_amount_minor" bigint NOT NULL,
	"payer_currency" char(3) NOT NULL,
	"payee_amount_minor" bigint NOT NULL,
	"payee_currency" char(3) NOT NULL,
	"platform_fee_minor" bigint DEFAULT 0 NOT NULL,
	"platform_currency" char(3) NOT NULL,
	"gateway_fee_minor" bigint DEFAULT 0 NOT NULL,
	"gateway_currency" char(3),
	"fx_fee_minor" bigint DEFAULT 0 NOT NULL,
	"fx_rate" numeric(24, 10),
	"fx_currency_from" char(3),
	"fx_currency_to" char(3),
	"refunded_minor" bigint DEFAULT 0 NOT NULL,
	"provider_transaction_id" text,
	"gateway_message" text,
	"wallet_message" text,
	"client_secret" text,
	"requires_action" boolean DEFAULT false NOT NULL,
	"carrier_status" text,
	"next_check_at" timestamp with time zone,
	"check_attempts" integer DEFAULT 0 NOT NULL,
	"initiated_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "executions_status_check" CHECK ("executions"."status" in ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED')),
	CONSTRAINT "executions_operation_check" CHECK ("executions"."operation_type" in ('COLLECTION', 'PAYOUT', 'TRANSFER', 'REFUND')),
	CONSTRAINT "executions_amounts_check" CHECK ("executions"."payer_amount_minor" > 0 and "executions"."payee_amount_minor" >= 0 and "executions"."refunded_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "fee_tier_rates" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fee_tier_rates_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tier_id" bigint NOT NULL,
	"operation_type" text NOT NULL,
	"payment_method" text,
	"percentage" numeric(9, 4) NOT NULL,
	"fx_percentage" numeric(9, 4) NOT NULL,
	"fixed_fee_minor" bigint DEFAULT 0 NOT NULL,
	"fixed_fee_currency" char(3),
	"effective_from" timestamp with time zone NOT NULL,
	"effective_to" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "fee_tier_rates_percentage_check" CHECK ("fee_tier_rates"."percentage" >= 0 and "fee_tier_rates"."percentage" < 100 and "fee_tier_rates"."fx_percentage" >= 0 and "fee_tier_rates"."fx_percentage" < 100)
);
--> statement-breakpoint
CREATE TABLE "fee_tiers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fee_tiers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fx_rates" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fx_rates_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"base_currency" char(3) NOT NULL,
	"quote_currency" char(3) NOT NULL,
	"rate" numeric(24, 10) NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"created_by" text DEFAULT 'seed' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "fx_rates_positive_check" CHECK ("fx_rates"."rate" > 0)
);
--> statement-breakpoint
CREATE TABLE "gateway_fees" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "gateway_fees_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"provider_id" bigint NOT NULL,
	"operation_type" text NOT NULL,
	"payment_method" text NOT NULL,
	"percentage" numeric(9, 4) NOT NULL,
	"fixed_fee_minor" bigint DEFAULT 0 NOT NULL,
	"fixed_fee_currency" char(3),
	"effective_from" timestamp with time zone NOT NULL,
	"effective_to" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "gateway_fees_percentage_check" CHECK ("gateway_fees"."percentage" >= 0 and "gateway_fees"."percentage" < 100)
);
--> statement-breakpoint
CREATE TABLE "merchant_fee_tiers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "merchant_fee_tiers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"owner_type" text NOT NULL,
	"owner_id" bigint NOT NULL,
	"tier_id" bigint NOT NULL,
	"assigned_at" timestamp with time zone NOT NULL,
	"assigned_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "parties" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "parties_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"merchant_id" bigint NOT NULL,
	"fullname" text NOT NULL,
	"phone" text NOT NULL,
	"email" text,
	"country_code" char(2),
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_accounts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_accounts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"merchant_id" bigint NOT NULL,
	"party_id" bigint NOT NULL,
	"operation_type" text NOT NULL,
	"account_name" text NOT NULL,
	"provider" text NOT NULL,
	"method" text NOT NULL,
	"country_code" char(2),
	"account_number" text,
	"is_active" boolean DEFAULT true NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_sources" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payment_sources_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"merchant_id" bigint NOT NULL,
	"source_type" text NOT NULL,
	"number" text NOT NULL,
	"counterparty_id" bigint,
	"currency" char(3) NOT NULL,
	"total_amount_minor" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"fee_bearer" text NOT NULL,
	"due_date" timestamp with time zone,
	"as_payment_link" boolean DEFAULT false NOT NULL,
	"reference_id" text,
	"published_at" timestamp with time zone,
	"paid_at" timestamp with time zone,
	"canceled_at" timestamp with time zone,
	"paid_execution_id" bigint,
	"hosted_token" text,
	"checkout_mode" text,
	"success_url" text,
	"cancel_url" text,
	"checkout_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payment_sources_type_check" CHECK ("payment_sources"."source_type" in ('INVOICE', 'ORDER')),
	CONSTRAINT "payment_sources_status_check" CHECK ("payment_sources"."status" in ('IDLE', 'ACTIVE', 'PROCESSING', 'PAID', 'CANCELED')),
	CONSTRAINT "payment_sources_fee_bearer_check" CHECK ("payment_sources"."fee_bearer" in ('PAYER', 'PAYEE')),
	CONSTRAINT "payment_sources_total_check" CHECK ("payment_sources"."total_amount_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "providers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "providers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"code" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sessions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"merchant_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"source_type" text,
	"source_id" bigint,
	"payment_account_id" bigint,
	"wallet_id" bigint,
	"payout_account_id" bigint,
	"to_counterparty_id" bigint,
	"original_execution_id" bigint,
	"amount_minor" bigint,
	"currency" char(3),
	"reason" text,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"execution_id" bigint,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sessions_kind_check" CHECK ("sessions"."kind" in ('CHECKOUT', 'PAYOUT', 'TRANSFER', 'REFUND')),
	CONSTRAINT "sessions_status_check" CHECK ("sessions"."status" in ('ACTIVE', 'USED', 'EXPIRED'))
);
--> statement-breakpoint
CREATE TABLE "source_items" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "source_items_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"merchant_id" bigint NOT NULL,
	"source_id" bigint NOT NULL,
	"name" text NOT NULL,
	"currency" char(3) NOT NULL,
	"qty" integer NOT NULL,
	"unit_amount_minor" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "source_items_qty_check" CHECK ("source_items"."qty" >= 1),
	CONSTRAINT "source_items_amount_check" CHECK ("source_items"."unit_amount_minor" > 0)
);
--> statement-breakpoint
ALTER TABLE "counterparties" ADD CONSTRAINT "counterparties_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "counterparties" ADD CONSTRAINT "counterparties_party_id_parties_id_fk" FOREIGN KEY ("party_id") REFERENCES "public"."parties"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_counters" ADD CONSTRAINT "document_counters_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "execution_events" ADD CONSTRAINT "execution_events_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "executions" ADD CONSTRAINT "executions_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "executions" ADD CONSTRAINT "executions_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_tier_rates" ADD CONSTRAINT "fee_tier_rates_tier_id_fee_tiers_id_fk" FOREIGN KEY ("tier_id") REFERENCES "public"."fee_tiers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gateway_fees" ADD CONSTRAINT "gateway_fees_provider_id_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merchant_fee_tiers" ADD CONSTRAINT "merchant_fee_tiers_tier_id_fee_tiers_id_fk" FOREIGN KEY ("tier_id") REFERENCES "public"."fee_tiers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "parties" ADD CONSTRAINT "parties_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_accounts" ADD CONSTRAINT "payment_accounts_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_accounts" ADD CONSTRAINT "payment_accounts_party_id_parties_id_fk" FOREIGN KEY ("party_id") REFERENCES "public"."parties"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_sources" ADD CONSTRAINT "payment_sources_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_sources" ADD CONSTRAINT "payment_sources_counterparty_id_counterparties_id_fk" FOREIGN KEY ("counterparty_id") REFERENCES "public"."counterparties"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_items" ADD CONSTRAINT "source_items_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_items" ADD CONSTRAINT "source_items_source_id_payment_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."payment_sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "counterparties_merchant_idx" ON "counterparties" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "counterparties_party_idx" ON "counterparties" USING btree ("party_id");--> statement-breakpoint
CREATE INDEX "execution_events_execution_idx" ON "execution_events" USING btree ("execution_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "executions_reference_key" ON "executions" USING btree ("merchant_id","operation_type","reference_id");--> statement-breakpoint
CREATE INDEX "executions_merchant_idx" ON "executions" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "executions_open_idx" ON "executions" USING btree ("next_check_at") WHERE "executions"."status" in ('PENDING', 'PROCESSING');--> statement-breakpoint
CREATE INDEX "executions_original_idx" ON "executions" USING btree ("original_execution_id");--> statement-breakpoint
CREATE INDEX "fee_tier_rates_lookup_idx" ON "fee_tier_rates" USING btree ("tier_id","operation_type","effective_from");--> statement-breakpoint
CREATE UNIQUE INDEX "fee_tiers_name_key" ON "fee_tiers" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "fee_tiers_one_default_key" ON "fee_tiers" USING btree ("is_default") WHERE "fee_tiers"."is_default";--> statement-breakpoint
CREATE INDEX "fx_rates_pair_idx" ON "fx_rates" USING btree ("base_currency","quote_currency","effective_from");--> statement-breakpoint
CREATE INDEX "gateway_fees_lookup_idx" ON "gateway_fees" USING btree ("payment_method","operation_type","effective_from");--> statement-breakpoint
CREATE UNIQUE INDEX "merchant_fee_tiers_owner_key" ON "merchant_fee_tiers" USING btree ("owner_type","owner_id");--> statement-breakpoint
CREATE INDEX "parties_merchant_idx" ON "parties" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "parties_merchant_phone_idx" ON "parties" USING btree ("merchant_id","phone");--> statement-breakpoint
CREATE INDEX "payment_accounts_merchant_idx" ON "payment_accounts" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_accounts_reuse_key" ON "payment_accounts" USING btree ("merchant_id","party_id","method","account_number","operation_type") WHERE "payment_accounts"."account_number" is not null and "payment_accounts"."method" <> 'CREDIT_CARD';--> statement-breakpoint
CREATE UNIQUE INDEX "payment_sources_number_key" ON "payment_sources" USING btree ("merchant_id","source_type","number");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_sources_hosted_token_key" ON "payment_sources" USING btree ("hosted_token");--> statement-breakpoint
CREATE INDEX "payment_sources_merchant_idx" ON "payment_sources" USING btree ("merchant_id","source_type","id");--> statement-breakpoint
CREATE UNIQUE INDEX "providers_code_key" ON "providers" USING btree ("code");--> statement-breakpoint
CREATE INDEX "sessions_merchant_idx" ON "sessions" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "sessions_expiry_idx" ON "sessions" USING btree ("expires_at") WHERE "sessions"."status" = 'ACTIVE';--> statement-breakpoint
CREATE INDEX "source_items_source_idx" ON "source_items" USING btree ("source_id","id");--> statement-breakpoint
ALTER TABLE "merchants" DROP COLUMN "fee_tier_id";