import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { customers } from "./customers.js";

export const eventType = pgEnum("event_type", ["identify", "track", "page", "screen", "group", "alias"]);
export type EventType = (typeof eventType.enumValues)[number];

/**
 * Something a customer did or that happened to them. `messageId` makes ingestion idempotent:
 * a client that retries a batch stores each event once. `occurredAt` is the client's time,
 * corrected for clock skew; `receivedAt` is ours.
 */
export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
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
    uniqueIndex("events_message_id_key").on(t.messageId),
    // Triggers and audiences ask "did customer X do Y in window W": one index range per question.
    index("events_customer_name_time_idx").on(t.customerId, t.name, t.occurredAt),
    index("events_name_time_idx").on(t.name, t.occurredAt),
    index("events_occurred_at_idx").on(t.occurredAt),
    // The matcher's safety sweep re-reads what arrived in the last minutes.
    index("events_received_at_idx").on(t.receivedAt),
    // cancel_page_visited scans page views by time, whatever the page's name.
    index("events_page_time_idx").on(t.occurredAt).where(sql`${t.type} = 'page'`),
    // Anonymous events wait to be linked when an identify names their anonymousId.
    index("events_unlinked_anonymous_idx").on(t.anonymousId).where(sql`${t.customerId} is null`),
  ],
);
export type Event = typeof events.$inferSelect;
export type NewEvent = typeof events.$inferInsert;
