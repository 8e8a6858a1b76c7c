import { randomUUID } from "node:crypto";
import type { ProfilePatch } from "../customers/index.js";
import { traitsToProfile } from "../customers/index.js";
import type { EventType } from "../db/index.js";
import { occurredAt } from "./occurred-at.js";
import type { SegmentMessage } from "./segment-message.js";

/** A validated message, normalised and ready to store, whatever API it came through. */
export interface IncomingEvent {
  messageId: string;
  type: EventType;
  name: string;
  userId?: string;
  anonymousId?: string;
  properties: Record<string, unknown>;
  context: Record<string, unknown>;
  occurredAt: Date;
  /** Identify: the profile change its traits carry. */
  profile?: ProfilePatch;
  /** Alias: the earlier (anonymous) id that now belongs to `userId`. */
  previousId?: string;
  source: string;
}

export interface BatchEnvelope {
  receivedAt: Date;
  sentAt?: Date | undefined;
  context?: Record<string, unknown> | undefined;
}

/** Turns a Segment message into the event Rekindle stores. */
export function fromSegment(message: SegmentMessage, envelope: BatchEnvelope): IncomingEvent {
  const context = { ...envelope.context, ...message.context };
  const base = {
    messageId: message.messageId ?? `rekindle-${randomUUID()}`,
    ...(message.userId !== undefined && { userId: message.userId }),
    ...(message.anonymousId !== undefined && { anonymousId: message.anonymousId }),
    context,
    occurredAt: occurredAt({
      timestamp: message.timestamp,
      sentAt: message.sentAt ?? envelope.sentAt,
      receivedAt: envelope.receivedAt,
    }),
    source: "segment",
  };
  switch (message.type) {
    case "identify":
      return {
        ...base,
        type: "identify",
        name: "identify",
        properties: message.traits,
        profile: traitsToProfile(message.traits, context),
      };
    case "track":
      return { ...base, type: "track", name: message.event, properties: message.properties };
    case "page":
    case "screen": {
      // analytics.js sends the page's path and URL in context.page; campaigns look for them in properties.
      const page = (typeof context.page === "object" && context.page) || {};
      return {
        ...base,
        type: message.type,
        name: message.name ?? message.type,
        properties: { ...page, ...(message.type === "page" && message.category && { category: message.category }), ...message.properties },
      };
    }
    case "group":
      return { ...base, type: "group", name: "group", properties: { groupId: message.groupId, traits: message.traits } };
    case "alias":
      return { ...base, type: "alias", name: "alias", properties: { previousId: message.previousId }, previousId: message.previousId };
  }
}
