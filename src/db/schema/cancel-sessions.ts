import { sql } from "drizzle-orm";
import { bigint, boolean, char, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers.js";

/**
 * Where a customer is in the cancel flow. `started` and `reason_given` are open; the other four
 * are final, and a session reaches one of them once: `accepted` (took the offer), `cancelled`,
 * `kept` (chose to stay without an offer), `abandoned` (left, or the link expired).
 */
export const cancelSessionStatus = pgEnum("cancel_session_status", ["started", "reason_given", "accepted", "cancelled", "kept", "abandoned"]);
export type CancelSessionStatus = (typeof cancelSessionStatus.enumValues)[number];

/**
 * Whether the decision reached billing: `none` (nothing to apply: kept, abandoned, a contact
 * offer), `pending` (being applied), `applied`, `failed` (will be tried again at `applyNextAt`),
 * `support` (handed to the support team: tries ran out, or no way to apply it is configured).
 */
export const cancelApplyStatus = pgEnum("cancel_apply_status", ["none", "pending", "applied", "failed", "support"]);
export type CancelApplyStatus = (typeof cancelApplyStatus.enumValues)[number];

/** The offer a session showed, as it was when shown (the flow file may change afterwards). */
export interface ShownOffer {
  id: string;
  type: "pause" | "discount" | "downgrade" | "contact";
  /** The offer's definition from the flow file. */
  spec: Record<string, unknown>;
}

/** The decision to apply, as sent to billing or to the app. */
export interface CancelDecision {
  action: "pause" | "discount" | "downgrade" | "cancel";
  /** The action's parameters (resume date, coupon, price, when the cancellation takes effect). */
  details: Record<string, unknown>;
}

/**
 * One customer's pass through the hosted cancel flow, from the app's request to its outcome and
 * the outcome's application to billing.
 */
export const cancelSessions = pgTable(
  "cancel_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    customerId: bigint("customer_id", { mode: "number" })
      .notNull()
      .references(() => customers.id, { onDelete: "cascade" }),
    /** The flow file's version (hash) the session was started with. */
    flowVersion: text("flow_version").notNull(),
    locale: text("locale").notNull(),
    returnUrl: text("return_url").notNull(),
    status: cancelSessionStatus("status").notNull().default("started"),
    reason: text("reason"),
    comment: text("comment"),
    /** Decided with the reason: a holdout session is shown no offer. */
    holdout: boolean("holdout"),
    offer: jsonb("offer").$type<ShownOffer>(),
    /** The live subscription when the session started: what is saved or lost. */
    subscriptionExternalId: text("subscription_external_id"),
    plan: text("plan"),
    mrrMinor: bigint("mrr_minor", { mode: "number" }).notNull().default(0),
    currency: char("currency", { length: 3 }).notNull().default("USD"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    reasonAt: timestamp("reason_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    decision: jsonb("decision").$type<CancelDecision>(),
    applyStatus: cancelApplyStatus("apply_status").notNull().default("none"),
    /** `stripe`, `webhook` or `support`: how the decision is applied. */
    applyVia: text("apply_via"),
    applyAttempts: integer("apply_attempts").notNull().default(0),
    applyNextAt: timestamp("apply_next_at", { withTimezone: true }),
    applyError: text("apply_error"),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
  },
  (t) => [
    index("cancel_sessions_customer_idx").on(t.customerId, t.createdAt),
    index("cancel_sessions_created_idx").on(t.createdAt),
    // The maintenance task closes open sessions whose link expired.
    index("cancel_sessions_open_idx").on(t.expiresAt).where(sql`${t.status} in ('started', 'reason_given')`),
    // ... and applies decisions that are waiting.
    index("cancel_sessions_apply_idx").on(t.applyNextAt).where(sql`${t.applyStatus} in ('pending', 'failed')`),
  ],
);
export type CancelSession = typeof cancelSessions.$inferSelect;
