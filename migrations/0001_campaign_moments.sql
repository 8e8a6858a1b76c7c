ALTER TABLE "enrollments" ADD COLUMN "trigger_key" text NOT NULL;--> statement-breakpoint
CREATE INDEX "customers_created_at_idx" ON "customers" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "subscriptions_started_at_idx" ON "subscriptions" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "events_received_at_idx" ON "events" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "events_page_time_idx" ON "events" USING btree ("occurred_at") WHERE "events"."type" = 'page';--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_moment_key" ON "enrollments" USING btree ("campaign_id","customer_id","trigger_key");