import { z } from "zod";
import { Instant, JsonObject } from "./json.js";
import { PauseHold } from "./campaigns.js";

/** `GET /api/status`: queues, scheduled tasks, workers, the outbox, the last hour, and what ops should fix. */
export const Status = z.strictObject({
  at: Instant,
  /** Each queue's job counts by state. */
  queues: z.record(z.string(), z.record(z.string(), z.number())),
  tasks: z.array(
    z.strictObject({
      name: z.string(),
      nextRunAt: Instant,
      runningBy: z.string().nullable(),
      lastStartedAt: Instant.nullable(),
      lastFinishedAt: Instant.nullable(),
      lastDurationMs: z.number().nullable(),
      lastError: z.string().nullable(),
      lastResult: JsonObject.nullable(),
      state: JsonObject,
    }),
  ),
  workers: z.strictObject({ running: z.boolean(), lastSeenAt: Instant.nullable() }),
  outbox: z.strictObject({ due: z.number(), lagSeconds: z.number(), inFlight: z.number() }),
  lastHour: z.strictObject({ sent: z.number(), failed: z.number(), uncertain: z.number(), avgSendLatencySeconds: z.number().nullable(), eventsReceived: z.number() }),
  uncertainTotal: z.number(),
  campaigns: z.array(z.strictObject({ id: z.string(), state: z.enum(["running", "disabled", "invalid", "paused"]), detail: z.string().nullable() })),
  globalPause: PauseHold.nullable(),
  /** Cancel-flow decisions not yet in billing: being retried, and handed to support. */
  cancelFlow: z.strictObject({ retrying: z.number(), withSupport: z.number() }),
  warnings: z.array(z.string()),
});
export type Status = z.infer<typeof Status>;

export const HourlyQuery = z.strictObject({
  /** How many hours back, the current one included: 1 to 168, default 24. */
  hours: z.coerce.number().int().min(1).max(168).default(24),
});

/** `GET /api/status/hourly`: each of the last hours. */
export const SendHours = z.strictObject({ hours: z.array(z.strictObject({ from: Instant, sent: z.number(), failed: z.number(), uncertain: z.number() })) });
export type SendHours = z.infer<typeof SendHours>;
