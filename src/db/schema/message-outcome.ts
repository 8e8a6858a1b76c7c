import { z } from "zod";

/** A moment as an outcome carries it: a Date when written, its ISO string when read back. */
const Instant = z.union([z.date(), z.iso.datetime({ offset: true })]);
const detail = z.string();

/**
 * What became of an outbox row, as `messages.outcome` holds it: one tagged value per way a message
 * can end or wait. Every writer of the column takes this type, and readers can parse with it.
 */
export const MessageOutcome = z.discriminatedUnion("type", [
  // Delivered: SMTP (or the webhook's endpoint) accepted it.
  z.object({ type: z.literal("sent") }),
  // Waiting for another try after a transient failure (SMTP 4xx, connection, webhook 5xx).
  z.object({ type: z.literal("retrying"), reason: z.string(), detail, attempt: z.number().int() }),
  // Gave up after SEND_ATTEMPTS transient failures.
  z.object({ type: z.literal("failed"), reason: z.string(), detail, attempts: z.number().int() }),
  z.object({ type: z.literal("render_failed"), detail }),
  // SMTP refused it for good (5xx); `bounce` says the address itself was refused and is now suppressed.
  z.object({ type: z.literal("rejected"), code: z.number().int(), detail, bounce: z.boolean().optional() }),
  // A worker stopped between handing the email to SMTP and recording the answer.
  z.object({ type: z.literal("uncertain"), reason: z.string() }),
  z.object({ type: z.literal("webhook_refused"), detail }),
  z.object({ type: z.literal("webhook_rejected"), detail }),
  // Checks at send time.
  z.object({ type: z.literal("enrollment_ended"), status: z.string() }),
  z.object({ type: z.literal("campaign_unavailable"), campaignId: z.string() }),
  z.object({ type: z.literal("step_removed"), stepId: z.string() }),
  z.object({ type: z.literal("goal_reached") }),
  z.object({ type: z.literal("paused"), pauseId: z.number().int() }),
  z.object({ type: z.literal("holdout") }),
  z.object({ type: z.literal("branched"), to: z.string() }),
  z.object({ type: z.literal("no_address") }),
  z.object({ type: z.literal("suppressed"), detail }),
  // The delivery policy: over the frequency cap, or outside the send window.
  z.object({ type: z.literal("capped"), allowedAt: Instant.optional(), detail: detail.optional(), alsoQuietHours: z.boolean().optional(), until: Instant.optional() }),
  z.object({ type: z.literal("quiet_hours"), window: z.string(), until: Instant.optional() }),
  // Support stopped the customer's sequences.
  z.object({ type: z.literal("stopped"), by: z.string(), reason: z.string().nullable() }),
]);
export type MessageOutcome = z.input<typeof MessageOutcome>;
