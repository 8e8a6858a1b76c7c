import { z } from "zod";
import { Timestamp } from "../validation/index.js";

/**
 * Segment's HTTP Tracking API, as `@segment/analytics-node`, analytics.js and the other Segment
 * libraries send it. Field names are Segment's. Unknown fields (`integrations`, `_metadata`...)
 * are accepted and ignored, as Segment does.
 *
 * Terminology:
 * - message: one identify/track/page/screen/group/alias call.
 * - occurredAt: when it happened by the client's clock, corrected for skew with `sentAt`.
 */

/** 32 KB per message and 500 KB per batch: Segment's own limits. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;

const Id = z
  .union([z.string().trim().min(1, "must not be empty").max(255), z.number().finite()])
  .transform((value) => String(value));

const JsonObject = z.record(z.string(), z.unknown());

const common = {
  userId: Id.optional(),
  anonymousId: Id.optional(),
  messageId: z.string().trim().min(1).max(255).optional(),
  timestamp: Timestamp.optional(),
  sentAt: Timestamp.optional(),
  context: JsonObject.optional(),
};

const Identify = z.object({ ...common, type: z.literal("identify"), traits: JsonObject.default({}) });
const Track = z.object({
  ...common,
  type: z.literal("track"),
  event: z.string().trim().min(1, "must not be empty").max(255),
  properties: JsonObject.default({}),
});
const Page = z.object({
  ...common,
  type: z.literal("page"),
  name: z.string().max(255).optional(),
  category: z.string().max(255).optional(),
  properties: JsonObject.default({}),
});
const Screen = z.object({
  ...common,
  type: z.literal("screen"),
  name: z.string().max(255).optional(),
  properties: JsonObject.default({}),
});
const Group = z.object({ ...common, type: z.literal("group"), groupId: Id, traits: JsonObject.default({}) });
const Alias = z.object({ ...common, type: z.literal("alias"), previousId: Id });

const needsIdentity = (message: { userId?: string | undefined; anonymousId?: string | undefined }) =>
  message.userId !== undefined || message.anonymousId !== undefined;
const identityIssue = { message: "either userId or anonymousId is required", path: ["userId"] };

/** Any message as it appears inside a batch, told apart by `type`. */
export const SegmentMessage = z
  .discriminatedUnion("type", [Identify, Track, Page, Screen, Group, Alias], {
    error: "type must be one of identify, track, page, screen, group, alias",
  })
  .refine(needsIdentity, identityIssue);
export type SegmentMessage = z.infer<typeof SegmentMessage>;

/** The body of `/v1/identify`, `/v1/track`...: the type comes from the path and may be omitted. */
export const singleMessage = (type: SegmentMessage["type"]) =>
  z.preprocess(
    (body) => (body && typeof body === "object" && !Array.isArray(body) ? { type, ...body } : body),
    SegmentMessage.refine((message) => message.type === type, { message: `type must be "${type}" on /v1/${type}`, path: ["type"] }),
  );

/** The body of `/v1/batch`. Batch-level `context` is merged under each message's own. */
export const SegmentBatch = z.object({
  batch: z.array(z.unknown()).min(1, "batch must hold at least one message").max(10_000),
  sentAt: Timestamp.optional(),
  context: JsonObject.optional(),
  writeKey: z.string().optional(),
});
export type SegmentBatch = z.infer<typeof SegmentBatch>;
