import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** Free-form profile attributes that have no column of their own. */
export type Traits = Record<string, unknown>;

/**
 * A person who can receive email. `externalId` is the application's own user id (Segment's
 * `userId`); the typed columns are the ones triggers and audiences query, the rest lives in `traits`.
 */
export const customers = pgTable(
  "customers",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    externalId: text("external_id").notNull(),
    email: text("email"),
    name: text("name"),
    /** BCP-47 language tag, e.g. `sv-SE`; selects the template locale. */
    locale: text("locale"),
    /** IANA time zone, e.g. `Europe/Stockholm`; quiet hours and local-time waits use it. */
    timezone: text("timezone"),
    /** The plan the application last reported (the subscription row is authoritative when present). */
    plan: text("plan"),
    /** When the person signed up in the application (Segment trait `createdAt`). */
    signedUpAt: timestamp("signed_up_at", { withTimezone: true }),
    traits: jsonb("traits").$type<Traits>().notNull().default({}),
    /** Set by `stop --block`: no campaign enrolls the customer before this time. */
    enrollmentBlockedUntil: timestamp("enrollment_blocked_until", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("customers_external_id_key").on(t.externalId),
    index("customers_email_idx").on(sql`lower(${t.email})`),
    // Support's search by id prefix and email prefix: byte-ordered ("C") so `like 'abc%'` is an
    // index range whatever the database's collation, and results come out in index order.
    index("customers_external_id_prefix_idx").on(sql`${t.externalId} collate "C"`),
    index("customers_email_prefix_idx").on(sql`(lower(${t.email}) collate "C")`),
    index("customers_signed_up_at_idx").on(t.signedUpAt),
    index("customers_created_at_idx").on(t.createdAt),
  ],
);
export type Customer = typeof customers.$inferSelect;
export type NewCustomer = typeof customers.$inferInsert;

/**
 * When each customer was first and last active (`occurred_at` of their track, page and screen events):
 * the `inactive` trigger reads the last by range. A narrow table of its own, because it changes with almost
 * every event: moving it here turns a customer's wide row and its eight indexes into a small upsert.
 */
export const customerActivity = pgTable(
  "customer_activity",
  {
    customerId: bigint("customer_id", { mode: "number" })
      .primaryKey()
      .references(() => customers.id, { onDelete: "cascade" }),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
    /**
     * Earliest activity: `returned_after_pause` asks "was this customer active before the silence?",
     * a question that would otherwise probe every month of `events` for every event matched. Kept
     * past EVENT_RETENTION (a customer active two years ago was active, whatever is still stored).
     */
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }),
  },
  // With the customer id, so a scan of a time window reads the index alone.
  (t) => [index("customer_activity_last_seen_at_idx").on(t.lastSeenAt, t.customerId)],
);

/**
 * Links a Segment `anonymousId` to the customer it turned out to be, so events sent before
 * sign-in (and after, by clients that only know the anonymous id) land on the right customer.
 */
export const anonymousIds = pgTable("anonymous_ids", {
  anonymousId: text("anonymous_id").primaryKey(),
  customerId: bigint("customer_id", { mode: "number" })
    .notNull()
    .references(() => customers.id, { onDelete: "cascade" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
