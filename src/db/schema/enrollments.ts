import { sql } from "drizzle-orm";
import { bigint, boolean, index, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { campaignVersions } from "./campaigns.js";
import { customers } from "./customers.js";

export const enrollmentStatus = pgEnum("enrollment_status", ["active", "completed", "exited", "stopped"]);
export type EnrollmentStatus = (typeof enrollmentStatus.enumValues)[number];

/**
 * A customer walking one campaign's steps. At most one active enrollment per campaign and
 * customer: the partial unique index is what makes concurrent matches enroll once.
 */
export const enrollments = pgTable(
  "enrollments",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    campaignId: text("campaign_id").notNull(),
    campaignVersionId: bigint("campaign_version_id", { mode: "number" })
      .notNull()
      .references(() => campaignVersions.id),
    customerId: bigint("customer_id", { mode: "number" })
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    status: enrollmentStatus("status").notNull().default("active"),
    /** The step the customer is at (a stable step `id` from the campaign file). */
    currentStepId: text("current_step_id"),
    /** The facts that made the customer qualify, for "why did they get this?". */
    matchedFacts: jsonb("matched_facts").$type<Record<string, unknown>>().notNull().default({}),
    /**
     * The moment that started it (`event:<id>`, `card:<id>:<expiry>`, `inactive:<last activity>`...).
     * Unique per campaign and customer: the same moment found twice — a duplicate event, two
     * overlapping scans, an event and a scan — enrolls once.
     */
    triggerKey: text("trigger_key").notNull(),
    /** The event that started it, for event-driven triggers. */
    triggerEventId: bigint("trigger_event_id", { mode: "number" }),
    /** Held out for measurement: enrolled, tracked, never emailed. */
    holdout: boolean("holdout").notNull().default(false),
    enteredAt: timestamp("entered_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** Why it ended: `completed`, `goal:<name>`, `stopped by <who>`... */
    endReason: text("end_reason"),
    goalReachedAt: timestamp("goal_reached_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("enrollments_one_active_key")
      .on(t.campaignId, t.customerId)
      .where(sql`${t.status} = 'active'`),
    uniqueIndex("enrollments_moment_key").on(t.campaignId, t.customerId, t.triggerKey),
    index("enrollments_customer_idx").on(t.customerId, t.enteredAt),
    // Re-entry checks look up the most recent enrollment of a customer in a campaign.
    index("enrollments_campaign_customer_entered_idx").on(t.campaignId, t.customerId, t.enteredAt),
    // Campaign figures count a period's entrants: one index range per campaign.
    index("enrollments_campaign_entered_idx").on(t.campaignId, t.enteredAt),
  ],
);
export type Enrollment = typeof enrollments.$inferSelect;
