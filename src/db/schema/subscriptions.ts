import { sql } from "drizzle-orm";
import { bigint, boolean, char, index, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { customers } from "./customers.js";

export const subscriptionStatus = pgEnum("subscription_status", [
  "trialing",
  "active",
  "past_due",
  "unpaid",
  "incomplete",
  "paused",
  "canceled",
]);
export type SubscriptionStatus = (typeof subscriptionStatus.enumValues)[number];

/**
 * What a customer pays for. `externalId` is the billing system's id (Stripe `sub_...`) or, for
 * applications that track a single subscription, `default`. MRR is normalised to a month, in the
 * currency's minor units (cents), so that churn arithmetic never touches floating point.
 */
export const subscriptions = pgTable(
  "subscriptions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    customerId: bigint("customer_id", { mode: "number" })
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    status: subscriptionStatus("status").notNull(),
    plan: text("plan"),
    mrrMinor: bigint("mrr_minor", { mode: "number" }).notNull().default(0),
    currency: char("currency", { length: 3 }).notNull().default("USD"),
    startedAt: timestamp("started_at", { withTimezone: true }),
    trialEndsAt: timestamp("trial_ends_at", { withTimezone: true }),
    currentPeriodEnd: timestamp("current_period_end", { withTimezone: true }),
    cancelAtPeriodEnd: boolean("cancel_at_period_end").notNull().default(false),
    pausedAt: timestamp("paused_at", { withTimezone: true }),
    resumedAt: timestamp("resumed_at", { withTimezone: true }),
    canceledAt: timestamp("canceled_at", { withTimezone: true }),
    /** The source's own timestamp of this state, so that an older update never overwrites a newer one. */
    sourceUpdatedAt: timestamp("source_updated_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("subscriptions_customer_external_key").on(t.customerId, t.externalId),
    // Most rows end up canceled; triggers look at the live ones.
    index("subscriptions_live_idx")
      .on(t.customerId)
      .where(sql`${t.status} in ('trialing', 'active', 'past_due', 'unpaid', 'paused')`),
    // The tenure trigger looks up subscriptions that started in a window.
    index("subscriptions_started_at_idx").on(t.startedAt),
    index("subscriptions_paused_idx").on(t.pausedAt).where(sql`${t.status} = 'paused'`),
  ],
);
export type Subscription = typeof subscriptions.$inferSelect;
