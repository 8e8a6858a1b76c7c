import { z } from "zod";
import { Instant, JsonObject } from "./json.js";

/** A session's place in the flow (the `cancel_session_status` enum). */
export const CancelSessionStatus = z.enum(["started", "reason_given", "accepted", "cancelled", "kept", "abandoned"]);
/** Where its decision is in billing (the `cancel_apply_status` enum). */
export const CancelApplyStatus = z.enum(["none", "pending", "applied", "failed", "support"]);

/** What the app sends to start a cancel flow for one of its customers. */
export const CancelSessionInput = z.strictObject({
  /** Your id for the customer (as in /v1/identify's userId). */
  customerId: z.string().min(1).max(255),
  /** Where the customer goes back to when the flow ends (your app). */
  returnUrl: z.url({ protocol: /^https?$/, error: "expected an http(s) URL of your app" }).max(2000),
  /** The page's language; default the customer's locale, else the flow's default. */
  locale: z.string().regex(/^[A-Za-z]{2}([-_][A-Za-z]{2})?$/, "expected a locale such as en or sv-SE").optional(),
});
export type CancelSessionInput = z.infer<typeof CancelSessionInput>;

/** `POST /api/cancel-sessions` (201): the link to send the customer to, and until when it works. */
export const StartedCancelSession = z.strictObject({ id: z.string(), url: z.string(), expiresAt: Instant, locale: z.string() });

export const CancelSessionQuery = z.strictObject({
  customerId: z.string().min(1).max(255).optional(),
  status: CancelSessionStatus.optional(),
  applyStatus: CancelApplyStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** `POST /api/cancel-sessions/:id/resolve`: support applied the decision by hand, and says how. */
export const ResolveInput = z.strictObject({ note: z.string().min(1).max(1000) });

/** A session as the API shows it (to support, and to marketers). */
export const CancelSessionView = z.strictObject({
  id: z.string(),
  customerId: z.string(),
  status: CancelSessionStatus,
  locale: z.string(),
  flowVersion: z.string(),
  reason: z.string().nullable(),
  comment: z.string().nullable(),
  holdout: z.boolean().nullable(),
  /** The offer shown, as it was when shown. */
  offer: z.strictObject({ id: z.string(), type: z.enum(["pause", "discount", "downgrade", "contact"]), spec: JsonObject }).nullable(),
  subscription: z.strictObject({ id: z.string().nullable(), plan: z.string().nullable(), mrrMinor: z.number(), currency: z.string() }),
  /** The decision to apply, as sent to billing or to the app. */
  decision: z.strictObject({ action: z.enum(["pause", "discount", "downgrade", "cancel"]), details: JsonObject }).nullable(),
  apply: z.strictObject({
    status: CancelApplyStatus,
    via: z.string().nullable(),
    attempts: z.number(),
    nextAt: Instant.nullable(),
    error: z.string().nullable(),
    appliedAt: Instant.nullable(),
  }),
  createdAt: Instant,
  expiresAt: Instant,
  finishedAt: Instant.nullable(),
});
export type CancelSessionView = z.infer<typeof CancelSessionView>;

/** `GET /api/cancel-sessions`: newest first. */
export const CancelSessions = z.strictObject({ sessions: z.array(CancelSessionView) });
