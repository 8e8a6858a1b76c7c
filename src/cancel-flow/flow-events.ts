import type { Tx } from "../db/index.js";
import { insertEvents, type StoredEvent } from "../events/index.js";

/** The events a cancel flow records; campaigns can start or end on any of them. */
export type FlowEventName = "cancel_flow_started" | "cancel_reason_given" | "offer_shown" | "offer_accepted" | "cancel_confirmed" | "cancel_flow_abandoned";

/**
 * Records the flow's events in the transaction that changes the session, so a session's state and
 * its timeline never disagree. Each carries the session id; the message id is derived from it and
 * the event name, so a transition is recorded once even if its statement runs twice.
 */
export async function recordFlowEvents(
  tx: Tx,
  now: Date,
  events: { session: { id: string; customerId: number }; name: FlowEventName; properties: Record<string, unknown> }[],
): Promise<StoredEvent[]> {
  return insertEvents(
    tx,
    events.map(({ session, name, properties }) => ({
      messageId: `cancel-${session.id}-${name}`,
      type: "track" as const,
      name,
      customerId: session.customerId,
      anonymousId: null,
      properties: { sessionId: session.id, ...properties },
      context: {},
      source: "rekindle",
      occurredAt: now,
      receivedAt: now,
    })),
  );
}
