CREATE TYPE "public"."cancel_apply_status" AS ENUM('none', 'pending', 'applied', 'failed', 'support');--> statement-breakpoint
CREATE TYPE "public"."cancel_session_status" AS ENUM('started', 'reason_given', 'accepted', 'cancelled', 'kept', 'abandoned');--> statement-breakpoint
CREATE TABLE "cancel_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" bigint NOT NULL,
	"flow_version" text NOT NULL,
	"locale" text NOT NULL,
	"return_url" text NOT NULL,
	"status" "cancel_session_status" DEFAULT 'started' NOT NULL,
	"reason" text,
	"comment" text,
	"holdout" boolean,
	"offer" jsonb,
	"subscription_external_id" text,
	"plan" text,
	"mrr_minor" bigint DEFAULT 0 NOT NULL,
	"currency" char(3) DEFAULT 'USD' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"reason_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"decision" jsonb,
	"apply_status" "cancel_apply_status" DEFAULT 'none' NOT NULL,
	"apply_via" text,
	"apply_attempts" integer DEFAULT 0 NOT NULL,
	"apply_next_at" timestamp with time zone,
	"apply_error" text,
	"applied_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "cancel_sessions" ADD CONSTRAINT "cancel_sessions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cancel_sessions_customer_idx" ON "cancel_sessions" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "cancel_sessions_created_idx" ON "cancel_sessions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "cancel_sessions_open_idx" ON "cancel_sessions" USING btree ("expires_at") WHERE "cancel_sessions"."status" in ('started', 'reason_given');--> statement-breakpoint
CREATE INDEX "cancel_sessions_apply_idx" ON "cancel_sessions" USING btree ("apply_next_at") WHERE "cancel_sessions"."apply_status" in ('pending', 'failed');