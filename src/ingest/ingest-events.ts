import { ACTIVITY_TYPES } from "../campaigns/index.js";
import { applyProfilePatches, type CustomerPatch, ensureCustomers, mergeProfilePatches } from "../customers/index.js";
import { type Db, retryTransient } from "../db/index.js";
import type { IncomingEvent } from "./incoming-event.js";
import { insertEvents, type StoredEvent } from "../events/index.js";
import { attachAnonymousEvents, customersOfAnonymousIds, linkAnonymousIds } from "./sql/link-anonymous-ids.js";

export interface IngestResult {
  /** Events stored by this call; a replayed messageId is not among them. */
  stored: StoredEvent[];
  /** Messages whose messageId was already stored. */
  duplicates: number;
}

const ACTIVITY: ReadonlySet<string> = new Set(ACTIVITY_TYPES);

/** One request's events, received together. */
export interface IngestRequest {
  events: IncomingEvent[];
  receivedAt: Date;
}

/**
 * Stores a batch of events and the customer state they carry, all or nothing, in one transaction:
 * customers created on first sight, anonymous ids linked, identify traits applied, the customers'
 * last activity moved. Each statement is set-based, so a batch of 100 costs a handful of round
 * trips, not 100.
 * Only events not seen before change state, so a client's retry is harmless — and so is ours: a
 * transaction lost to a PostgreSQL fault (a terminated connection, a failover) is run again for up
 * to INGEST_RETRY_MS before the fault reaches the client as a 503.
 */
export async function ingestEvents(db: Db, incoming: IncomingEvent[], receivedAt: Date): Promise<IngestResult> {
  const [result] = await ingestGroup(db, [{ events: incoming, receivedAt }]);
  return result ?? { stored: [], duplicates: 0 };
}

/**
 * Several requests' events in one transaction (group commit, see IngestQueue): the same
 * statements as for one request, over all of them, and one commit. Each request gets its own
 * result; a messageId that two requests of the group carry is stored once, for the first.
 */
export async function ingestGroup(db: Db, requests: readonly IngestRequest[]): Promise<IngestResult[]> {
  if (requests.every((request) => request.events.length === 0)) return requests.map(() => ({ stored: [], duplicates: 0 }));
  return retryTransient(() => ingestOnce(db, requests), { forMs: INGEST_RETRY_MS });
}

/** Long enough to ride out a dropped connection, short enough that a client's own timeout is not reached first. */
const INGEST_RETRY_MS = 3_000;

async function ingestOnce(db: Db, requests: readonly IngestRequest[]): Promise<IngestResult[]> {
  // Rows created or changed for the group carry its latest arrival time.
  const receivedAt = new Date(Math.max(...requests.map((request) => request.receivedAt.getTime())));
  const incoming = requests.flatMap((request) => request.events.map((event) => ({ ...event, receivedAt: request.receivedAt })));
  return db.transaction(async (tx) => {
    const customerIds = await ensureCustomers(
      tx,
      incoming.flatMap((event) => (event.userId === undefined ? [] : [event.userId])),
      receivedAt,
    );

    const links = new Map<string, number>();
    for (const event of incoming) {
      if (event.userId === undefined) continue;
      const customerId = customerIds.get(event.userId);
      if (customerId === undefined) throw new Error(`no customer id was resolved for userId ${event.userId}`);
      if (event.anonymousId !== undefined && !links.has(event.anonymousId)) links.set(event.anonymousId, customerId);
      if (event.previousId !== undefined && !links.has(event.previousId)) links.set(event.previousId, customerId);
    }
    const newlyLinked = await linkAnonymousIds(tx, links, receivedAt);
    const anonymousOnly = incoming.flatMap((event) =>
      event.userId === undefined && event.anonymousId !== undefined ? [event.anonymousId] : [],
    );
    const known = await customersOfAnonymousIds(tx, [...new Set(anonymousOnly)]);

    // A batch may carry the same messageId twice; the first one counts.
    const seen = new Set<string>();
    const unique = incoming.filter((event) => !seen.has(event.messageId) && seen.add(event.messageId));
    const stored = await insertEvents(
      tx,
      unique.map((event) => ({
        messageId: event.messageId,
        type: event.type,
        name: event.name,
        customerId:
          (event.userId !== undefined ? customerIds.get(event.userId) : undefined) ??
          (event.anonymousId !== undefined ? links.get(event.anonymousId) ?? known.get(event.anonymousId) : undefined) ??
          null,
        anonymousId: event.anonymousId ?? null,
        properties: event.properties,
        context: event.context,
        source: event.source,
        occurredAt: event.occurredAt,
        receivedAt: event.receivedAt,
      })),
    );

    const fresh = new Set(stored.map((event) => event.messageId));
    const byMessageId = new Map(stored.map((event) => [event.messageId, event]));
    const perCustomer = new Map<number, { profiles: { at: Date; patch: NonNullable<IncomingEvent["profile"]> }[]; seenAt?: Date; firstSeenAt?: Date }>();
    for (const event of unique) {
      const customerId = byMessageId.get(event.messageId)?.customerId;
      if (!fresh.has(event.messageId) || customerId == null) continue;
      const entry = perCustomer.get(customerId) ?? { profiles: [] };
      perCustomer.set(customerId, entry);
      if (event.profile) entry.profiles.push({ at: event.occurredAt, patch: event.profile });
      if (ACTIVITY.has(event.type)) {
        if (entry.seenAt === undefined || event.occurredAt > entry.seenAt) entry.seenAt = event.occurredAt;
        if (entry.firstSeenAt === undefined || event.occurredAt < entry.firstSeenAt) entry.firstSeenAt = event.occurredAt;
      }
    }
    const patches: CustomerPatch[] = [...perCustomer].map(([customerId, entry]) => ({
      customerId,
      // Identifies apply in the order they happened, not the order they arrived.
      profile: mergeProfilePatches(entry.profiles.sort((a, b) => a.at.getTime() - b.at.getTime()).map((p) => p.patch)),
      ...(entry.seenAt && { seenAt: entry.seenAt }),
      ...(entry.firstSeenAt && { firstSeenAt: entry.firstSeenAt }),
    }));
    const lastSeenBefore = await applyProfilePatches(tx, patches, receivedAt);
    for (const event of stored) {
      if (event.customerId !== null && lastSeenBefore.has(event.customerId)) event.customerLastSeenBefore = lastSeenBefore.get(event.customerId) ?? null;
    }
    await attachAnonymousEvents(tx, newlyLinked);

    // Each request gets the events stored for it: a messageId stored once belongs to the first request that carried it.
    const owner = new Map<string, number>();
    requests.forEach((request, index) => {
      for (const event of request.events) if (!owner.has(event.messageId)) owner.set(event.messageId, index);
    });
    const results = requests.map((request) => ({ stored: [] as StoredEvent[], duplicates: request.events.length }));
    for (const event of stored) {
      const result = results[owner.get(event.messageId) ?? 0];
      if (!result) continue;
      result.stored.push(event);
      result.duplicates--;
    }
    return results;
  });
}
