import { z } from "zod";
import { IsoDuration, TimeZone } from "../time/index.js";
// timestamp.ts, not validation/index.ts: the index brings input-rules.ts (Node's Buffer), which the browser cannot type-check.
import { Timestamp } from "../validation/timestamp.js";
import { Instant, Json, JsonObject } from "./json.js";

/** `pause` for one customer, one campaign, or everything: held until `until` (or a resume). */
export const PauseInput = z.strictObject({
  until: Timestamp.optional(),
  reason: z.string().trim().min(1, "say why (support will read it)").max(500),
});
export type PauseInput = z.infer<typeof PauseInput>;

export const StopInput = z.strictObject({
  reason: z.string().trim().min(1, "say why (support will read it)").max(500),
  /** Keep the customer out of every campaign this long, e.g. P30D. */
  block: IsoDuration.optional(),
});
export type StopInput = z.infer<typeof StopInput>;

/** `POST …/pause` (201). */
export const Paused = z.strictObject({ pauseId: z.number() });
export type Paused = z.infer<typeof Paused>;

/** `POST …/resume`: pauses lifted, and held messages released to send. */
export const Resumed = z.strictObject({ lifted: z.number(), released: z.number() });
export type Resumed = z.infer<typeof Resumed>;

/** `POST /api/customers/:id/stop`: enrollments stopped, queued messages skipped, and the block's end. */
export const Stopped = z.strictObject({ stopped: z.number(), skipped: z.number(), blockedUntil: Instant.nullable() });
export type Stopped = z.infer<typeof Stopped>;

export const TimelineQuery = z.strictObject({
  /** The reader's IANA zone: the summaries' moments are written in it. Default UTC. */
  timeZone: TimeZone.optional(),
});

export const TimelineEntry = z.strictObject({
  at: Instant,
  kind: z.enum(["event", "entered", "enrollment_ended", "message", "pause", "pause_lifted", "suppression"]),
  summary: z.string(),
  detail: JsonObject,
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/** `GET /api/customers/:id/timeline`: what happened, what is next, and what holds their email now. */
export const Timeline = z.strictObject({
  customer: z.strictObject({ id: z.string(), email: z.string().nullable(), name: z.string().nullable(), timezone: z.string().nullable() }),
  entries: z.array(TimelineEntry),
  /** Soonest first; `held` when a pause deferred it. */
  next: z.array(z.strictObject({ due: Instant, campaign: z.string(), step: z.string(), status: z.string(), held: z.literal("paused").optional() })),
  holds: z.strictObject({
    pauses: z.array(z.strictObject({ scope: z.string(), campaign: z.string().nullable(), by: z.string(), reason: z.string().nullable(), until: Instant.nullable(), since: Instant })),
    suppressions: z.array(z.strictObject({ category: z.string(), reason: z.string(), by: z.string(), since: Instant })),
    blockedUntil: Instant.nullable(),
  }),
});
export type Timeline = z.infer<typeof Timeline>;

export const AuditQuery = z.strictObject({
  /** A customer id, campaign id, email address or key id. */
  target: z.string().min(1).max(320).optional(),
  /** What the target is: `customer`, `campaign`, `email`, `api_key`, `global`. */
  type: z.enum(["customer", "campaign", "email", "api_key", "global"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const AuditEntry = z.strictObject({
  id: z.number(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  before: Json,
  after: Json,
  at: Instant,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** `GET /api/audit`: newest first. */
export const AuditEntries = z.strictObject({ entries: z.array(AuditEntry) });
export type AuditEntries = z.infer<typeof AuditEntries>;
