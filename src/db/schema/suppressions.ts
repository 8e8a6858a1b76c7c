import { sql } from "drizzle-orm";
import { bigint, index, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const suppressionReason = pgEnum("suppression_reason", ["unsubscribe", "bounce", "complaint", "manual"]);
export type SuppressionReason = (typeof suppressionReason.enumValues)[number];

/**
 * An address that must not be mailed: everything (`category` null) or one category
 * (`winback`, `onboarding`...). Checked at send time. Lifting one is explicit and audited.
 */
export const suppressions = pgTable(
  "suppressions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** Lower-cased address. */
    email: text("email").notNull(),
    category: text("category"),
    reason: suppressionReason("reason").notNull(),
    detail: text("detail"),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    liftedAt: timestamp("lifted_at", { withTimezone: true }),
    liftedBy: text("lifted_by"),
  },
  (t) => [
    uniqueIndex("suppressions_active_key")
      .on(t.email, sql`coalesce(${t.category}, '*')`)
      .where(sql`${t.liftedAt} is null`),
    index("suppressions_email_idx").on(t.email),
  ],
);
export type Suppression = typeof suppressions.$inferSelect;
