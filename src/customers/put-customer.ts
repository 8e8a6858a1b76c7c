import { randomUUID } from "node:crypto";
import { and, eq, ne, sql } from "drizzle-orm";
import { customers, type Db, paymentMethods, subscriptions, textArray, type Tx } from "../db/index.js";
import { insertEvents, type StoredEvent } from "../events/index.js";
import type { CustomerInput, PaymentMethodInput } from "./customer-input.js";
import { type StateEvent, changeSubscription } from "./subscription-change.js";

export interface PutCustomerResult {
  created: boolean;
  /** Events the change produced (subscription_paused, downgraded, payment_method_updated...). */
  events: StoredEvent[];
  /** Parts of the input ignored because the stored state is newer (`asOf`). */
  ignored: string[];
}

/**
 * Creates or updates a customer with its subscription and card in one transaction. Fields left
 * out keep their value; null clears a field. State transitions are recorded as events, so that
 * triggers and exit goals see "the card was updated" or "the subscription resumed".
 */
export interface Origin {
  /** `api` (default) or `stripe`: recorded on the events the change produces. */
  source: string;
  /** When the change happened at the source (default: now). */
  occurredAt?: Date;
  /** When Rekindle got it (default: now); a backfill passes the time it happened. */
  receivedAt?: Date;
  /** Deterministic message ids (`<prefix><n>`) so a replayed change records its events once. */
  messageIdPrefix?: string;
}

export async function putCustomer(db: Db, externalId: string, input: CustomerInput, now: Date, origin: Origin = { source: "api" }): Promise<PutCustomerResult> {
  return db.transaction(async (tx) => {
    const profile = {
      ...(input.email !== undefined && { email: input.email }),
      ...(input.name !== undefined && { name: input.name }),
      ...(input.locale !== undefined && { locale: input.locale }),
      ...(input.timezone !== undefined && { timezone: input.timezone }),
      ...(input.plan !== undefined && { plan: input.plan }),
      ...(input.signedUpAt !== undefined && { signedUpAt: input.signedUpAt }),
    };
    const traits = input.traits ?? {};
    const removed = Object.keys(traits).filter((key) => traits[key] === null);
    const kept = Object.fromEntries(Object.entries(traits).filter(([, value]) => value !== null));
    const [row] = await tx
      .insert(customers)
      .values({ externalId, ...profile, traits: kept, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: customers.externalId,
        set: {
          ...profile,
          traits: sql`(${customers.traits} || ${JSON.stringify(kept)}::jsonb) - ${textArray(removed)}`,
          updatedAt: now,
        },
      })
      .returning({ id: customers.id, created: sql<boolean>`(xmax = 0)` });
    if (!row) throw new Error("upserting a customer returned no row");
    const customerId = row.id;
    const stateEvents: StateEvent[] = [];
    const ignored: string[] = [];

    if (input.subscription) {
      const [current] = await tx
        .select()
        .from(subscriptions)
        .where(and(eq(subscriptions.customerId, customerId), eq(subscriptions.externalId, input.subscription.id)))
        .for("update");
      const change = changeSubscription(current, input.subscription, now);
      if (change.type === "stale") ignored.push("subscription");
      else {
        await tx
          .insert(subscriptions)
          .values({ customerId, ...change.values, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({
            target: [subscriptions.customerId, subscriptions.externalId],
            set: { ...change.values, updatedAt: now },
          });
        stateEvents.push(...change.events);
      }
    }

    if (input.paymentMethod) {
      const outcome = await putPaymentMethod(tx, customerId, input.paymentMethod, now);
      if (outcome === "stale") ignored.push("paymentMethod");
      else stateEvents.push(...outcome);
    }

    const events = await insertEvents(
      tx,
      stateEvents.map((event, index) => ({
        messageId: origin.messageIdPrefix ? `${origin.messageIdPrefix}${index}` : `${origin.source}-${randomUUID()}`,
        type: "track" as const,
        name: event.name,
        customerId,
        anonymousId: null,
        properties: JSON.parse(JSON.stringify(event.properties)) as Record<string, unknown>,
        context: {},
        source: origin.source,
        occurredAt: origin.occurredAt ?? now,
        receivedAt: origin.receivedAt ?? now,
      })),
    );
    return { created: row.created, events, ignored };
  });
}

async function putPaymentMethod(tx: Tx, customerId: number, input: PaymentMethodInput, now: Date): Promise<StateEvent[] | "stale"> {
  const [current] = await tx
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.customerId, customerId), eq(paymentMethods.externalId, input.id)))
    .for("update");
  if (current?.sourceUpdatedAt && input.asOf && input.asOf < current.sourceUpdatedAt) return "stale";
  const values = {
    brand: input.brand === undefined ? (current?.brand ?? null) : input.brand,
    last4: input.last4 === undefined ? (current?.last4 ?? null) : input.last4,
    expMonth: input.expMonth,
    expYear: input.expYear,
    isDefault: input.isDefault && !input.detached,
    detachedAt: input.detached ? (current?.detachedAt ?? now) : null,
    sourceUpdatedAt: input.asOf ?? current?.sourceUpdatedAt ?? null,
  };
  await tx
    .insert(paymentMethods)
    .values({ customerId, externalId: input.id, ...values, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [paymentMethods.customerId, paymentMethods.externalId], set: { ...values, updatedAt: now } });
  if (values.isDefault) {
    // One card is charged: making this one the default demotes the others.
    await tx
      .update(paymentMethods)
      .set({ isDefault: false, updatedAt: now })
      .where(and(eq(paymentMethods.customerId, customerId), ne(paymentMethods.externalId, input.id), eq(paymentMethods.isDefault, true)));
  }
  const about = { paymentMethodId: input.id, brand: values.brand, last4: values.last4, expMonth: values.expMonth, expYear: values.expYear };
  if (input.detached) return current && !current.detachedAt ? [{ name: "payment_method_detached", properties: about }] : [];
  const changed =
    !current ||
    current.detachedAt !== null ||
    current.expMonth !== values.expMonth ||
    current.expYear !== values.expYear ||
    current.last4 !== values.last4;
  return changed && values.isDefault ? [{ name: "payment_method_updated", properties: about }] : [];
}
