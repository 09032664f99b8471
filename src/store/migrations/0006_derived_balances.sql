ALTER TABLE "ledger_postings" ALTER COLUMN "balance_after_minor" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD COLUMN "balance_mode" text DEFAULT 'cached' NOT NULL;--> statement-breakpoint
ALTER TABLE "merchants" ADD COLUMN "webhooks_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Platform accounts keep no cached balance from now on: their balance is the sum of their postings.
UPDATE "ledger_accounts" SET "balance_mode" = 'derived', "balance_minor" = 0 WHERE "merchant_id" IS NULL;--> statement-breakpoint
UPDATE "ledger_postings" SET "balance_after_minor" = NULL WHERE "account_id" IN (SELECT "id" FROM "ledger_accounts" WHERE "balance_mode" = 'derived');--> statement-breakpoint
UPDATE "merchants" m SET "webhooks_enabled" = EXISTS (SELECT 1 FROM "webhook_endpoints" e WHERE e."merchant_id" = m."id" AND e."deleted_at" IS NULL);--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_balance_mode_check" CHECK ("ledger_accounts"."balance_mode" in ('cached', 'derived') and ("ledger_accounts"."balance_mode" = 'cached' or "ledger_accounts"."balance_minor" = 0));