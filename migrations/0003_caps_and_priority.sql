ALTER TABLE "messages" ADD COLUMN "category" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "messages_customer_active_idx" ON "messages" USING btree ("customer_id","due_at") WHERE "messages"."status" in ('scheduled', 'queued', 'sending');--> statement-breakpoint
CREATE INDEX "messages_uncertain_idx" ON "messages" USING btree ("updated_at") WHERE "messages"."status" = 'uncertain';