import { bigint, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { customers } from "./customers.js";

/** Which Rekindle customer a Stripe customer is, and how recent the profile data we took from Stripe is. */
export const stripeCustomers = pgTable(
  "stripe_customers",
  {
    stripeId: text("stripe_id").primaryKey(),
    customerId: bigint("customer_id", { mode: "number" })
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    /** `created` of the newest customer.* event applied: an older one never overwrites the profile. */
    sourceUpdatedAt: timestamp("source_updated_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A card-update link finds the customer's Stripe customer by our id: 60 ms a click at a million
    // linked customers without it, 0.5 ms with it.
    index("stripe_customers_customer_idx").on(t.customerId),
  ],
);

/** Stripe events already processed, by id: Stripe delivers at least once and retries. */
export const stripeEvents = pgTable("stripe_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  created: timestamp("created", { withTimezone: true }).notNull(),
  outcome: text("outcome").notNull(),
  /** Why an `ignored` event was not applied (a type Rekindle does not map, or data it cannot store). */
  reason: text("reason"),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});
