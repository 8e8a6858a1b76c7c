import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgEnum, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { customers } from "./customers.js";

export const eventType = pgEnum("event_type", ["identify", "track", "page", "screen", "group", "alias"]);
export type EventType = (typeof eventType.enumValues)[number];

/**
 * Something a customer did or that happened to them. `occurredAt` is the client's time,
 * corrected for clock skew; `receivedAt` is ours.
 *
 * In PostgreSQL the table is partitioned by range of `occurred_at`, one partition a month
 * (`events_2026_11` holds November 2026, UTC), so that retention drops whole months instead of
 * deleting rows. drizzle cannot say so: `PARTITION BY RANGE`, the partitions and the function that
 * creates them (`events_ensure_partition`) are written by hand in migrations/0015_events_partitioned.sql;
 * what is declared here (columns, indexes, the key) is what drizzle-kit compares against.
 * A unique key must hold the partition key, hence the primary key (id, occurred_at) — and why
 * the one-event-per-messageId guarantee lives in `event_message_ids` instead of a unique index.
 */
export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
    messageId: text("message_id").notNull(),
    type: eventType("type").notNull(),
    /** Track: the event name; page/screen: the page name; identify: `identify`. */
    name: text("name").notNull(),
    customerId: bigint("customer_id", { mode: "number" }).references(() => customers.id, { onDelete: "cascade" }),
    anonymousId: text("anonymous_id"),
    properties: jsonb("properties").$type<Record<string, unknown>>().notNull().default({}),
    context: jsonb("context").$type<Record<string, unknown>>().notNull().default({}),
    /** Where it came from: `segment`, `api`, `stripe`, `rekindle`. */
    source: text("source").notNull().default("segment"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "events_pkey", columns: [t.id, t.occurredAt] }),
    // Triggers and audiences ask "did customer X do Y in window W": one index range per question.
    index("events_customer_name_time_idx").on(t.customerId, t.name, t.occurredAt),
    index("events_name_time_idx").on(t.name, t.occurredAt),
    index("events_occurred_at_idx").on(t.occurredAt),
    // Dry runs and explanations read the events received in a recent window.
    index("events_received_at_idx").on(t.receivedAt),
    // cancel_page_visited scans page views by time, whatever the page's name.
    index("events_page_time_idx").on(t.occurredAt).where(sql`${t.type} = 'page'`),
    // Anonymous events wait to be linked when an identify names their anonymousId.
    index("events_unlinked_anonymous_idx").on(t.anonymousId).where(sql`${t.customerId} is null`),
  ],
);
export type Event = typeof events.$inferSelect;
export type NewEvent = typeof events.$inferInsert;

/**
 * The messageIds stored recently, one row each: ingestion is idempotent per messageId (a client
 * that retries a batch stores each event once) for as long as the row stays, EVENT_DEDUPE_WINDOW
 * after `storedAt`. A unique index on `events.message_id` alone cannot exist on the partitioned
 * table, and (message_id, occurred_at) would not do: a retried Segment message may carry a
 * slightly different `occurredAt` (the skew correction follows its `sentAt`).
 */
export const eventMessageIds = pgTable(
  "event_message_ids",
  {
    messageId: text("message_id").primaryKey(),
    storedAt: timestamp("stored_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The maintenance task forgets the oldest first, in bounded batches.
    index("event_message_ids_stored_at_idx").on(t.storedAt),
  ],
);

/**
 * Events stored but not yet matched to campaigns, one row per insert statement: written by the
 * statement that stores the events (so it commits, or not, with them), deleted once their matching
 * has finished. A process that dies between the commit and the match leaves its row behind, and the
 * sweep matches those events then; events matched right away are not read a second time.
 */
export const unmatchedEvents = pgTable(
  "unmatched_events",
  {
    /** The smallest id of the group: what the matcher, holding the ids, deletes by. */
    firstEventId: bigint("first_event_id", { mode: "number" }).primaryKey(),
    eventIds: bigint("event_ids", { mode: "number" }).array().notNull(),
    /** The group's earliest and latest `occurred_at`: the months of `events` to read them from. */
    occurredFrom: timestamp("occurred_from", { withTimezone: true }).notNull(),
    occurredTo: timestamp("occurred_to", { withTimezone: true }).notNull(),
    /** The latest `received_at` of the group: the sweep leaves younger groups to the match running for them. */
    storedAt: timestamp("stored_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("unmatched_events_stored_at_idx").on(t.storedAt)],
);
