CREATE TABLE "unmatched_events" (
	"first_event_id" bigint PRIMARY KEY NOT NULL,
	"event_ids" bigint[] NOT NULL,
	"occurred_from" timestamp with time zone NOT NULL,
	"occurred_to" timestamp with time zone NOT NULL,
	"stored_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "customer_activity" ADD COLUMN "first_seen_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "unmatched_events_stored_at_idx" ON "unmatched_events" USING btree ("stored_at");--> statement-breakpoint
-- Each customer's earliest activity still stored: what returned_after_pause read from every month of events until now.
INSERT INTO "customer_activity" ("customer_id", "last_seen_at", "first_seen_at")
SELECT "customer_id", max("occurred_at"), min("occurred_at") FROM "events"
WHERE "customer_id" IS NOT NULL AND "type" IN ('track', 'page', 'screen') AND "source" = 'segment'
GROUP BY "customer_id"
ON CONFLICT ("customer_id") DO UPDATE SET "first_seen_at" = excluded."first_seen_at";--> statement-breakpoint
-- Until now the sweep re-read the last 15 minutes of events: those are matched once more after the
-- upgrade (matching again changes nothing), so an event stored and not matched just before it is not lost.
-- In groups of at most 1,000 ids, as ingestion writes them, so that the sweep takes them a pass at a time.
INSERT INTO "unmatched_events" ("first_event_id", "event_ids", "occurred_from", "occurred_to", "stored_at")
SELECT min("id"), array_agg("id" ORDER BY "id"), min("occurred_at"), max("occurred_at"), max("received_at") FROM "events"
WHERE "received_at" > now() - interval '15 minutes'
GROUP BY "id" / 1000;
