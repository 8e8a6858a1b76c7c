ALTER TYPE "public"."message_status" ADD VALUE 'done';--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "kind" text DEFAULT 'email' NOT NULL;