import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { campaignVersions } from "./campaigns.js";
import { customers } from "./customers.js";
import { enrollments } from "./enrollments.js";
import type { MessageOutcome } from "./message-outcome.js";

export const messageStatus = pgEnum("message_status", [
  "scheduled",
  "queued",
  "sending",
  "sent",
  "failed",
  "skipped",
  "uncertain",
  /** A step that sends nothing (a branch) has been carried out. */
  "done",
]);
export type MessageStatus = (typeof messageStatus.enumValues)[number];

/**
 * The outbox: one row per (enrollment, step), unique, so a step can never be sent twice (campaign
 * steps form no loops). Waits are not rows: they are folded into the `due_at` of the step after
 * them. A dispatcher hands rows that fall due to the queue; the row, not Redis, is the truth.
 */
export const messages = pgTable(
  "messages",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    enrollmentId: bigint("enrollment_id", { mode: "number" })
      .notNull()
      .references(() => enrollments.id, { onDelete: "cascade" }),
    stepId: text("step_id").notNull(),
    /** What the step does: `email`, `webhook` or `branch` (waits are folded into `due_at`). */
    kind: text("kind").notNull().default("email"),
    /** The campaign's category and priority when scheduled: frequency caps count by category, priority orders who goes first. */
    category: text("category"),
    priority: integer("priority").notNull().default(0),
    campaignVersionId: bigint("campaign_version_id", { mode: "number" })
      .notNull()
      .references(() => campaignVersions.id),
    customerId: bigint("customer_id", { mode: "number" })
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    status: messageStatus("status").notNull().default("scheduled"),
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** A queued or sending row whose lease ran out goes back to the outbox (or to `uncertain`). */
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    /** Set by the claim that moved the row to `sending`: only that claim may record its result, and a retried claim recognises its own. */
    claimToken: uuid("claim_token"),
    toAddress: text("to_address"),
    subject: text("subject"),
    smtpMessageId: text("smtp_message_id"),
    smtpResponse: text("smtp_response"),
    /** The language the email was written in (its variant's locale, or DEFAULT_LOCALE): its unsubscribe page speaks it. */
    locale: text("locale"),
    /** Why it was skipped or failed, as a tagged value (`{ type: "paused", ... }`). */
    outcome: jsonb("outcome").$type<MessageOutcome>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("messages_enrollment_step_key").on(t.enrollmentId, t.stepId),
    // The dispatcher's hot set: only scheduled rows, ordered by when they fall due.
    index("messages_scheduled_due_idx").on(t.dueAt).where(sql`${t.status} = 'scheduled'`),
    // Lease expiry: rows handed to the queue or to SMTP that may need to be reclaimed.
    index("messages_in_flight_lease_idx").on(t.leaseUntil).where(sql`${t.status} in ('queued', 'sending')`),
    index("messages_customer_idx").on(t.customerId, t.createdAt),
    // Frequency caps count a customer's recent sends (and those in the SMTP call).
    index("messages_customer_sent_idx").on(t.customerId, t.sentAt).where(sql`${t.status} = 'sent'`),
    index("messages_customer_active_idx").on(t.customerId, t.dueAt).where(sql`${t.status} in ('scheduled', 'queued', 'sending')`),
    index("messages_uncertain_idx").on(t.updatedAt).where(sql`${t.status} = 'uncertain'`),
    // Ops figures: recent sends (latency, throughput) and recent failures.
    index("messages_sent_at_idx").on(t.sentAt).where(sql`${t.status} = 'sent'`),
    index("messages_failed_idx").on(t.updatedAt).where(sql`${t.status} = 'failed'`),
  ],
);
export type Message = typeof messages.$inferSelect;
