CREATE INDEX "customers_external_id_prefix_idx" ON "customers" USING btree ("external_id" collate "C");--> statement-breakpoint
CREATE INDEX "customers_email_prefix_idx" ON "customers" USING btree ((lower("email") collate "C"));--> statement-breakpoint
CREATE INDEX "enrollments_campaign_entered_idx" ON "enrollments" USING btree ("campaign_id","entered_at");