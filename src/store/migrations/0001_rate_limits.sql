-- Rate-limit counters shared by every instance. UNLOGGED: no WAL, emptied after a crash, which
-- for fixed-window counters only means a window starts over.
CREATE UNLOGGED TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"count" integer NOT NULL,
	"reset_at" timestamp with time zone NOT NULL
);
