CREATE TABLE "customer_activity" (
	"customer_id" bigint PRIMARY KEY NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "customer_activity" ADD CONSTRAINT "customer_activity_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Carry over what customers already had, then build the index once over it.
INSERT INTO "customer_activity" ("customer_id", "last_seen_at") SELECT "id", "last_seen_at" FROM "customers" WHERE "last_seen_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "customer_activity_last_seen_at_idx" ON "customer_activity" USING btree ("last_seen_at","customer_id");--> statement-breakpoint
DROP INDEX "customers_last_seen_at_idx";--> statement-breakpoint
ALTER TABLE "customers" DROP COLUMN "last_seen_at";