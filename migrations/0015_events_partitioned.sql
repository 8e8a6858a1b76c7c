-- Written by hand: drizzle cannot express partitioning (see src/db/schema/events.ts). The snapshot
-- beside it describes the result as drizzle sees it (the columns, the key (id, occurred_at), the
-- indexes, event_message_ids), so `npm run db:generate` finds nothing to do afterwards.
--
-- `events` becomes a table partitioned by range of occurred_at, one partition a month (UTC). The
-- existing rows are copied into it under this migration's transaction: the table is locked for the
-- copy (about a minute per ten million rows). For a very large table, the README describes the online way
-- (attach the old table as one partition holding everything before the cut-over), done by hand
-- before upgrading; this migration then finds `events` partitioned and leaves it as it is.
--
-- There is no DEFAULT partition, on purpose: a row outside every month would sit there forever
-- (retention drops months), and creating the month it belongs to later would have to scan the
-- default partition under lock and fail once it held a row of that month. A month missing is
-- created instead, ahead by the maintenance task and on demand by the insert.

-- The partition for the month holding `month` (UTC), created if missing; true when this call created
-- it. Safe to run from several sessions at once: the loser of a race finds the winner's partition
-- attached and returns false. CREATE + ATTACH rather than CREATE ... PARTITION OF: ATTACH takes SHARE
-- UPDATE EXCLUSIVE on `events`, which reads and inserts do not wait for, where PARTITION OF takes
-- ACCESS EXCLUSIVE and would queue every reader behind the longest running scan.
CREATE OR REPLACE FUNCTION events_ensure_partition(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  first_day date := date_trunc('month', month)::date;
  partition_name text := 'events_' || to_char(first_day, 'YYYY_MM');
BEGIN
  IF EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'events'::regclass AND inhrelid = to_regclass(partition_name)) THEN
    RETURN false;
  END IF;
  BEGIN
    -- The partition's foreign key locks customers: take that lock first, as every other statement
    -- touching both tables does (TRUNCATE customers, events; ingestion; a customer's deletion),
    -- rather than while holding the new partition, which deadlocks against them.
    LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I (LIKE events INCLUDING DEFAULTS)', partition_name);
    EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', partition_name,
      (first_day::timestamp AT TIME ZONE 'UTC'), ((first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
  EXCEPTION WHEN OTHERS THEN
    -- Created at the same moment by another session (duplicate_table, or unique_violation on
    -- pg_type when both got as far as the catalog insert, or "already a partition").
    IF EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'events'::regclass AND inhrelid = to_regclass(partition_name)) THEN
      RETURN false;
    END IF;
    -- The month is already covered by a wider partition (the pre-partitioning table attached whole,
    -- see the README): rows of that month go there. (invalid_object_definition is what ATTACH
    -- says of an overlap; the message itself depends on lc_messages.)
    IF SQLSTATE = '42P17' THEN
      RETURN false;
    END IF;
    RAISE;
  END;
  RETURN true;
END
$$;
--> statement-breakpoint
-- The conversion, unless `events` is partitioned already (done by hand the online way, see the
-- README): then only what follows it is left to do.
DO $$
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'events'::regclass) = 'p' THEN
    RETURN;
  END IF;
  ALTER TABLE "events" RENAME TO "events_unpartitioned";
  ALTER SEQUENCE "events_id_seq" RENAME TO "events_unpartitioned_id_seq";
  ALTER TABLE "events_unpartitioned" RENAME CONSTRAINT "events_pkey" TO "events_unpartitioned_pkey";
  DROP INDEX "events_message_id_key";
  DROP INDEX "events_customer_name_time_idx";
  DROP INDEX "events_name_time_idx";
  DROP INDEX "events_occurred_at_idx";
  DROP INDEX "events_received_at_idx";
  DROP INDEX "events_page_time_idx";
  DROP INDEX "events_unlinked_anonymous_idx";
  CREATE TABLE "events" (
    "id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
    "message_id" text NOT NULL,
    "type" "event_type" NOT NULL,
    "name" text NOT NULL,
    "customer_id" bigint,
    "anonymous_id" text,
    "properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
    "context" jsonb DEFAULT '{}'::jsonb NOT NULL,
    "source" text DEFAULT 'segment' NOT NULL,
    "occurred_at" timestamp with time zone NOT NULL,
    "received_at" timestamp with time zone DEFAULT now() NOT NULL
  ) PARTITION BY RANGE ("occurred_at");

  -- Every month from the oldest event to two months ahead (min and max come from the index).
  PERFORM events_ensure_partition(m::date)
  FROM generate_series(
    date_trunc('month', least((SELECT min(occurred_at) FROM events_unpartitioned), now()) AT TIME ZONE 'UTC'),
    date_trunc('month', greatest((SELECT max(occurred_at) FROM events_unpartitioned), now() + interval '2 months') AT TIME ZONE 'UTC'),
    interval '1 month') AS m;

  INSERT INTO "events" ("id", "message_id", "type", "name", "customer_id", "anonymous_id", "properties", "context", "source", "occurred_at", "received_at")
  OVERRIDING SYSTEM VALUE
  SELECT "id", "message_id", "type", "name", "customer_id", "anonymous_id", "properties", "context", "source", "occurred_at", "received_at"
  FROM "events_unpartitioned";

  -- New ids continue after the old ones (after any the old sequence handed out to a rolled-back insert too).
  PERFORM setval('events_id_seq',
    greatest(
      coalesce((SELECT max(id) FROM events_unpartitioned), 0),
      (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM events_unpartitioned_id_seq)) + 1,
    false);

  -- Indexes after the copy: one build per partition instead of an insert into each index per row.
  ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY("id","occurred_at");
  ALTER TABLE "events" ADD CONSTRAINT "events_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;
  CREATE INDEX "events_customer_name_time_idx" ON "events" USING btree ("customer_id","name","occurred_at");
  CREATE INDEX "events_name_time_idx" ON "events" USING btree ("name","occurred_at");
  CREATE INDEX "events_occurred_at_idx" ON "events" USING btree ("occurred_at");
  CREATE INDEX "events_received_at_idx" ON "events" USING btree ("received_at");
  CREATE INDEX "events_page_time_idx" ON "events" USING btree ("occurred_at") WHERE "events"."type" = 'page';
  CREATE INDEX "events_unlinked_anonymous_idx" ON "events" USING btree ("anonymous_id") WHERE "events"."customer_id" is null;

  CREATE TABLE "event_message_ids" (
    "message_id" text PRIMARY KEY NOT NULL,
    "stored_at" timestamp with time zone DEFAULT now() NOT NULL
  );
  -- Every stored messageId, counted from when it was received: the maintenance task then forgets
  -- those older than EVENT_DEDUPE_WINDOW, whatever the window is set to.
  INSERT INTO "event_message_ids" ("message_id", "stored_at")
  SELECT "message_id", "received_at" FROM "events_unpartitioned";

  DROP TABLE "events_unpartitioned";
END
$$;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "event_message_ids" (
	"message_id" text PRIMARY KEY NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "event_message_ids_stored_at_idx" ON "event_message_ids" USING btree ("stored_at");--> statement-breakpoint
-- Emptying `events` (TRUNCATE, to load it again from an export) forgets its messageIds with it:
-- otherwise the reload would be taken for a replay and store nothing.
CREATE OR REPLACE FUNCTION events_truncate_message_ids() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE event_message_ids;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "events_truncate_message_ids" AFTER TRUNCATE ON "events" FOR EACH STATEMENT EXECUTE FUNCTION events_truncate_message_ids();
