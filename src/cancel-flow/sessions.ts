import { and, eq, inArray, sql } from "drizzle-orm";
import { Temporal } from "temporal-polyfill";
import { z } from "zod";
import { type CancelDecision, cancelSessions, type CancelSession, type Db, col, queryRows, type ShownOffer } from "../db/index.js";
import type { StoredEvent } from "../events/index.js";
import { chooseOffer, inHoldout } from "./choose-offer.js";
import type { CancelFlow, Offer } from "./definition.js";
import { recordFlowEvents } from "./flow-events.js";

/** What a transition did: `changed` with the events it recorded, or `unchanged` (already past that step). */
export type Transition = { type: "changed"; session: CancelSession; events: StoredEvent[] } | { type: "unchanged"; session: CancelSession | undefined };

export const OPEN_STATUSES = ["started", "reason_given"] as const;

/** The customer's live subscription (else the latest), as the session records it. */
async function liveSubscription(db: Db, customerId: number) {
  const [row] = await queryRows(
    db,
    z.object({ external_id: z.string(), plan: z.string().nullable(), mrr_minor: col.int8, currency: z.string() }),
    sql`select external_id, plan, mrr_minor, currency::text from subscriptions where customer_id = ${customerId}
        order by (status <> 'canceled') desc, updated_at desc, id desc limit 1`,
  );
  return row;
}

export async function createSession(
  db: Db,
  input: { customerId: number; flowVersion: string; locale: string; returnUrl: string; expiresAt: Date },
  now: Date,
): Promise<{ session: CancelSession; events: StoredEvent[] }> {
  const subscription = await liveSubscription(db, input.customerId);
  return db.transaction(async (tx) => {
    const [session] = await tx
      .insert(cancelSessions)
      .values({
        ...input,
        subscriptionExternalId: subscription?.external_id ?? null,
        plan: subscription?.plan ?? null,
        mrrMinor: subscription?.mrr_minor ?? 0,
        currency: subscription?.currency.trim() ?? "USD",
        createdAt: now,
      })
      .returning();
    if (!session) throw new Error("inserting a cancel session returned no row");
    const events = await recordFlowEvents(tx, now, [
      { session, name: "cancel_flow_started", properties: { plan: session.plan, mrrMinor: session.mrrMinor, currency: session.currency } },
    ]);
    return { session, events };
  });
}

export async function getSession(db: Db, id: string): Promise<CancelSession | undefined> {
  const [session] = await db.select().from(cancelSessions).where(eq(cancelSessions.id, id));
  return session;
}

const shown = (offer: Offer): ShownOffer => {
  const { id, type, ...spec } = offer;
  return { id, type, spec: JSON.parse(JSON.stringify(spec)) as Record<string, unknown> };
};

/**
 * The exit survey's answer. Decides, once, whether the session is in the holdout and which offer
 * the reason leads to; a holdout session keeps the offer it would have seen (not shown), so that
 * each offer is measured against exactly the customers it would have reached.
 */
export async function giveReason(db: Db, flow: CancelFlow, session: CancelSession, reason: string, comment: string | null, now: Date): Promise<Transition> {
  const offer = await chooseOffer(db, flow, reason, session.customerId, now);
  const holdout = inHoldout(session.id, flow.holdout);
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(cancelSessions)
      .set({ status: "reason_given", reason, comment, holdout, offer: offer ? shown(offer) : null, reasonAt: now })
      .where(and(eq(cancelSessions.id, session.id), eq(cancelSessions.status, "started")))
      .returning();
    if (!updated) return { type: "unchanged", session: await getSession(tx, session.id) };
    const events = await recordFlowEvents(tx, now, [
      { session, name: "cancel_reason_given", properties: { reason, comment, holdout } },
      ...(offer && !holdout ? [{ session, name: "offer_shown" as const, properties: { reason, offer: offer.id, offerType: offer.type } }] : []),
    ]);
    return { type: "changed", session: updated, events };
  });
}

/** What accepting an offer asks billing to do (a contact offer asks nothing). */
export function decisionFor(offer: ShownOffer, now: Date): CancelDecision | undefined {
  switch (offer.type) {
    case "pause": {
      const resumesAt = Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO("UTC").add(Temporal.Duration.from(String(offer.spec.duration))).toInstant();
      return { action: "pause", details: { duration: offer.spec.duration, resumesAt: new Date(resumesAt.epochMilliseconds).toISOString() } };
    }
    case "discount":
      return { action: "discount", details: { offer: offer.id, ...offer.spec } };
    case "downgrade":
      return { action: "downgrade", details: { plan: offer.spec.plan, price: offer.spec.price } };
    case "contact":
      return undefined;
  }
}

/** What every final event says: the reason given and the offer (shown, declined or held out). */
const outcomeProperties = (session: CancelSession) => ({ reason: session.reason, offer: session.offer?.id ?? null, offerType: session.offer?.type ?? null });

async function finish(
  db: Db,
  session: CancelSession,
  to: "accepted" | "cancelled" | "kept" | "abandoned",
  from: readonly ("started" | "reason_given")[],
  decision: CancelDecision | undefined,
  applyVia: string,
  event: { name: "offer_accepted" | "cancel_confirmed" | "cancel_flow_abandoned"; properties: Record<string, unknown> },
  now: Date,
): Promise<Transition> {
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(cancelSessions)
      .set({
        status: to,
        finishedAt: now,
        decision: decision ?? null,
        // With no billing integration, a decision goes straight to the support team to apply by hand.
        ...(decision &&
          (applyVia === "support"
            ? { applyStatus: "support" as const, applyVia, applyError: "no billing integration is configured (CANCEL_FLOW_APPLY=support): apply it by hand" }
            : { applyStatus: "pending" as const, applyVia, applyNextAt: now })),
      })
      .where(and(eq(cancelSessions.id, session.id), inArray(cancelSessions.status, [...from])))
      .returning();
    if (!updated) return { type: "unchanged", session: await getSession(tx, session.id) };
    const events = await recordFlowEvents(tx, now, [{ session: updated, name: event.name, properties: { ...outcomeProperties(updated), ...event.properties } }]);
    return { type: "changed", session: updated, events };
  });
}

/** The customer takes the offer they were shown: once, however many times the button is pressed. */
export function acceptOffer(db: Db, session: CancelSession, applyVia: string, now: Date): Promise<Transition> {
  if (!session.offer || session.holdout) return Promise.resolve({ type: "unchanged", session });
  const decision = decisionFor(session.offer, now);
  return finish(db, session, "accepted", ["reason_given"], decision, applyVia, { name: "offer_accepted", properties: { mrrMinor: session.mrrMinor, currency: session.currency } }, now);
}

/** The customer cancels (after giving a reason): at the period's end unless the flow says at once. */
export function confirmCancel(db: Db, flow: CancelFlow, session: CancelSession, applyVia: string, now: Date): Promise<Transition> {
  return finish(db, session, "cancelled", ["reason_given"], { action: "cancel", details: { at: flow.cancel_at } }, applyVia, { name: "cancel_confirmed", properties: { at: flow.cancel_at, mrrMinor: session.mrrMinor, currency: session.currency } }, now);
}

/** The customer chose to stay, without an offer. */
export function keepSubscription(db: Db, session: CancelSession, now: Date): Promise<Transition> {
  return finish(db, session, "kept", OPEN_STATUSES, undefined, "none", { name: "cancel_flow_abandoned", properties: { how: "kept" } }, now);
}

/**
 * Open sessions whose link expired: the customer left. One statement closes them and one records
 * their events, in one transaction; a session another process is closing is skipped, and each is
 * closed once.
 */
export async function abandonExpired(db: Db, now: Date, limit = 500): Promise<StoredEvent[]> {
  return db.transaction(async (tx) => {
    const expired = tx
      .select({ id: cancelSessions.id })
      .from(cancelSessions)
      .where(and(inArray(cancelSessions.status, [...OPEN_STATUSES]), sql`${cancelSessions.expiresAt} <= ${now.toISOString()}::timestamptz`))
      .limit(limit)
      .for("update", { skipLocked: true });
    const closed = await tx.update(cancelSessions).set({ status: "abandoned", finishedAt: now }).where(inArray(cancelSessions.id, expired)).returning();
    return recordFlowEvents(tx, now, closed.map((session) => ({ session, name: "cancel_flow_abandoned" as const, properties: { ...outcomeProperties(session), how: "left" } })));
  });
}
