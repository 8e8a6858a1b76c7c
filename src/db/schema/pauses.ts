import { sql } from "drizzle-orm";
import { bigint, index, pgEnum, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { customers } from "./customers.js";

export const pauseScope = pgEnum("pause_scope", ["customer", "campaign", "global"]);
export type PauseScope = (typeof pauseScope.enumValues)[number];

/**
 * A hold on sending, set by a person: for one customer, one campaign, or everything. A pause
 * is active while `liftedAt` is null and `until` (if any) is in the future.
 */
export const pauses = pgTable(
  "pauses",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    scope: pauseScope("scope").notNull(),
    customerId: bigint("customer_id", { mode: "number" }).references(() => customers.id, { onDelete: "cascade" }),
    campaignId: text("campaign_id"),
    until: timestamp("until", { withTimezone: true }),
    reason: text("reason"),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    liftedAt: timestamp("lifted_at", { withTimezone: true }),
    liftedBy: text("lifted_by"),
  },
  (t) => [
    index("pauses_active_customer_idx").on(t.customerId).where(sql`${t.liftedAt} is null`),
    index("pauses_active_campaign_idx").on(t.campaignId).where(sql`${t.liftedAt} is null`),
  ],
);
export type Pause = typeof pauses.$inferSelect;
