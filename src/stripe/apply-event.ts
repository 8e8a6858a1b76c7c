import { and, eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { z } from "zod";
import { putCustomer } from "../customers/index.js";
import { customers, type Db, paymentMethods, queryRows, stripeCustomers, stripeEvents, type Tx } from "../db/index.js";
import { insertEvents, type StoredEvent } from "../events/index.js";
import { mapStripeEvent, type StripeChange } from "./map-event.js";

export type StripeOutcome = "applied" | "duplicate" | "ignored" | "unlinked";

export interface StripeResult {
  outcome: StripeOutcome;
  /** Events recorded by this delivery, for the campaign matcher. */
  events: StoredEvent[];
  /** Parts skipped because newer state was already stored (Stripe reorders deliveries). */
  stale: string[];
  /** Why an `ignored` event was not applied. */
  reason?: string;
}

/**
 * Records a verified event that will not be applied, with why, so that its retries are
 * duplicates and the reason can be looked up. False when the event was already recorded.
 */
export async function ignoreStripeEvent(db: Db, event: { id: string; type: string; created: Date }, reason: string, now: Date): Promise<boolean> {
  const inserted = await db
    .insert(stripeEvents)
    .values({ id: event.id, type: event.type, created: event.created, outcome: "ignored", reason, receivedAt: now })
    .onConflictDoNothing()
    .returning({ id: stripeEvents.id });
  return inserted.length > 0;
}

/**
 * Which Rekindle customer a Stripe customer is: the link made before; else the metadata key
 * (`metadata.user_id`, your own user id); else an existing customer with the same email; else
 * the Stripe customer id itself becomes the external id.
 */
async function resolveCustomer(tx: Tx, change: StripeChange): Promise<string | undefined> {
  if (change.stripeCustomerId) {
    const [linked] = await queryRows(
      tx,
      z.object({ external_id: z.string() }),
      sql`select c.external_id from stripe_customers s join customers c on c.id = s.customer_id where s.stripe_id = ${change.stripeCustomerId}`,
    );
    if (linked) return linked.external_id;
  }
  if (change.link.metadataUserId) return change.link.metadataUserId;
  if (change.link.email) {
    const [only, another] = await queryRows(tx, z.object({ external_id: z.string() }), sql`select external_id from customers where lower(email) = lower(${change.link.email}) limit 2`);
    if (only && !another) return only.external_id;
  }
  return change.stripeCustomerId ?? undefined;
}

/**
 * Applies one verified Stripe event, once: the event id is recorded in the same transaction as the
 * state it changes, so a retried delivery changes nothing. An older event never overwrites newer
 * state: subscriptions, cards and profiles each keep the `created` time of what they hold.
 */
export async function applyStripeEvent(
  db: Db,
  event: Stripe.Event,
  metadataKey: string,
  now: Date,
  options: { backfill?: boolean } = {},
): Promise<StripeResult> {
  // A backfill records events as received when they happened, so the live matcher's sweep leaves history alone.
  const receivedAt = (asOf: Date) => (options.backfill ? asOf : now);
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(stripeEvents)
      .values({ id: event.id, type: event.type, created: new Date(event.created * 1000), outcome: "applied", receivedAt: now })
      .onConflictDoNothing()
      .returning({ id: stripeEvents.id });
    if (inserted.length === 0) return { outcome: "duplicate", events: [], stale: [] };
    const record = async (outcome: StripeOutcome, reason?: string) => {
      await tx.update(stripeEvents).set({ outcome, ...(reason && { reason }) }).where(eq(stripeEvents.id, event.id));
    };

    const change = mapStripeEvent(event, metadataKey);
    if (!change) {
      const reason = `Rekindle does not use ${event.type} events${event.type.startsWith("payment_method.") || event.type === "customer.source.expiring" ? " without a card" : ""}`;
      await record("ignored", reason);
      return { outcome: "ignored", events: [], stale: [], reason };
    }
    const asOf = new Date(event.created * 1000);
    const origin = { source: "stripe", occurredAt: asOf, receivedAt: receivedAt(asOf) };

    if (change.detachPaymentMethod) {
      const detached = await tx
        .update(paymentMethods)
        .set({ detachedAt: asOf, isDefault: false, sourceUpdatedAt: asOf, updatedAt: now })
        .where(and(eq(paymentMethods.externalId, change.detachPaymentMethod), sql`(${paymentMethods.sourceUpdatedAt} is null or ${paymentMethods.sourceUpdatedAt} <= ${asOf.toISOString()}::timestamptz)`))
        .returning({ customerId: paymentMethods.customerId, brand: paymentMethods.brand, last4: paymentMethods.last4 });
      const events = await insertEvents(
        tx,
        detached.map((d, i) => ({
          messageId: `stripe-${event.id}-${i}`,
          type: "track" as const,
          name: "payment_method_detached",
          customerId: d.customerId,
          anonymousId: null,
          properties: { paymentMethodId: change.detachPaymentMethod, brand: d.brand, last4: d.last4 },
          context: {},
          source: "stripe",
          occurredAt: asOf,
          receivedAt: receivedAt(asOf),
        })),
      );
      await record(detached.length > 0 ? "applied" : "unlinked");
      return { outcome: detached.length > 0 ? "applied" : "unlinked", events, stale: [] };
    }

    const externalId = await resolveCustomer(tx, change);
    if (!externalId) {
      await record("unlinked");
      return { outcome: "unlinked", events: [], stale: [] };
    }

    const stale: string[] = [];
    let profile = change.profile;
    if (profile && change.stripeCustomerId) {
      const [link] = await tx.select({ at: stripeCustomers.sourceUpdatedAt }).from(stripeCustomers).where(eq(stripeCustomers.stripeId, change.stripeCustomerId));
      if (link?.at && link.at > asOf) {
        stale.push("profile");
        profile = undefined;
      }
    }
    const result = await putCustomer(
      tx,
      externalId,
      { ...profile, ...(change.subscription && { subscription: change.subscription }), ...(change.paymentMethod && { paymentMethod: change.paymentMethod }) },
      now,
      { ...origin, messageIdPrefix: `stripe-${event.id}-state-` },
    );
    stale.push(...result.ignored);
    const [customer] = await tx.select({ id: customers.id }).from(customers).where(eq(customers.externalId, externalId));
    if (!customer) throw new Error(`customer ${externalId} is missing right after it was stored`);
    if (change.stripeCustomerId) {
      await tx
        .insert(stripeCustomers)
        .values({ stripeId: change.stripeCustomerId, customerId: customer.id, sourceUpdatedAt: profile ? asOf : null, createdAt: now })
        .onConflictDoUpdate({
          target: stripeCustomers.stripeId,
          set: { sourceUpdatedAt: profile ? sql`greatest(${stripeCustomers.sourceUpdatedAt}, ${asOf.toISOString()}::timestamptz)` : sql`${stripeCustomers.sourceUpdatedAt}` },
        });
    }
    const extra = await insertEvents(
      tx,
      change.events.map((e, i) => ({
        messageId: `stripe-${event.id}-${i}`,
        type: "track" as const,
        name: e.name,
        customerId: customer.id,
        anonymousId: null,
        properties: JSON.parse(JSON.stringify(e.properties)) as Record<string, unknown>,
        context: { stripeEventId: event.id, stripeEventType: event.type },
        source: "stripe",
        occurredAt: asOf,
        receivedAt: receivedAt(asOf),
      })),
    );
    await record("applied");
    return { outcome: "applied", events: [...result.events, ...extra], stale };
  });
}
