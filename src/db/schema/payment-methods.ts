import { sql } from "drizzle-orm";
import { bigint, boolean, date, index, pgTable, smallint, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { customers } from "./customers.js";

/**
 * A card on file. `expiresOn` is derived by Postgres from the expiry month and year (the last day
 * of that month), so the `card_expiring` scan is a range query on one indexed column.
 */
export const paymentMethods = pgTable(
  "payment_methods",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    customerId: bigint("customer_id", { mode: "number" })
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    brand: text("brand"),
    last4: text("last4"),
    expMonth: smallint("exp_month").notNull(),
    expYear: smallint("exp_year").notNull(),
    expiresOn: date("expires_on", { mode: "string" }).generatedAlwaysAs(
      sql`(make_date(exp_year::int, exp_month::int, 1) + interval '1 month' - interval '1 day')::date`,
    ),
    isDefault: boolean("is_default").notNull().default(true),
    detachedAt: timestamp("detached_at", { withTimezone: true }),
    sourceUpdatedAt: timestamp("source_updated_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("payment_methods_customer_external_key").on(t.customerId, t.externalId),
    // Only the card that will be charged matters for expiry campaigns. With the columns the
    // card_expiring scan reads after the expiry, so that scan (every minute, over every card
    // expiring within its window) reads the index alone instead of a heap page per card.
    index("payment_methods_default_expiry_idx")
      .on(t.expiresOn, t.customerId, t.externalId, t.brand, t.last4)
      .where(sql`${t.isDefault} and ${t.detachedAt} is null`),
  ],
);
export type PaymentMethod = typeof paymentMethods.$inferSelect;
