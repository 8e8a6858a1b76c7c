import type { Subscription, SubscriptionStatus } from "../db/index.js";
import type { SubscriptionInput } from "./customer-input.js";

/** A fact worth an event when a subscription changes; triggers and exit goals listen for these. */
export interface StateEvent {
  name: string;
  properties: Record<string, unknown>;
}

export type SubscriptionValues = Omit<Subscription, "id" | "customerId" | "createdAt" | "updatedAt">;

export type SubscriptionChange =
  | { type: "changed"; values: SubscriptionValues; events: StateEvent[] }
  | { type: "stale"; storedAsOf: Date };

const LIVE: ReadonlySet<SubscriptionStatus> = new Set(["trialing", "active", "past_due", "unpaid"]);

/**
 * Works out a subscription's next state and the events its change means: started, paused,
 * resumed (with how long it was paused), canceled, downgraded or upgraded (MRR went down or up).
 * Timestamps the input leaves out are filled in from the transition (`pausedAt` when it pauses...).
 */
export function changeSubscription(current: Subscription | undefined, input: SubscriptionInput, now: Date): SubscriptionChange {
  if (current?.sourceUpdatedAt && input.asOf && input.asOf < current.sourceUpdatedAt) {
    return { type: "stale", storedAsOf: current.sourceUpdatedAt };
  }
  const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);
  const from = current?.status;
  const to = input.status;
  const values: SubscriptionValues = {
    externalId: input.id,
    status: to,
    plan: pick(input.plan, current?.plan ?? null),
    mrrMinor: pick(input.mrrMinor, current?.mrrMinor ?? 0),
    currency: pick(input.currency, current?.currency ?? "USD"),
    startedAt: pick(input.startedAt, current?.startedAt ?? now),
    trialEndsAt: pick(input.trialEndsAt, current?.trialEndsAt ?? null),
    currentPeriodEnd: pick(input.currentPeriodEnd, current?.currentPeriodEnd ?? null),
    cancelAtPeriodEnd: pick(input.cancelAtPeriodEnd, current?.cancelAtPeriodEnd ?? false),
    pausedAt: pick(input.pausedAt, current?.pausedAt ?? null),
    resumedAt: pick(input.resumedAt, current?.resumedAt ?? null),
    canceledAt: pick(input.canceledAt, current?.canceledAt ?? null),
    sourceUpdatedAt: input.asOf ?? current?.sourceUpdatedAt ?? null,
  };
  const events: StateEvent[] = [];
  const about = { subscriptionId: input.id, plan: values.plan, mrrMinor: values.mrrMinor, currency: values.currency };

  if (!current) events.push({ name: "subscription_started", properties: { ...about, status: to } });
  if (to === "paused" && from !== "paused") {
    if (input.pausedAt === undefined) values.pausedAt = now;
    events.push({ name: "subscription_paused", properties: { ...about, pausedAt: values.pausedAt } });
  }
  if (from === "paused" && LIVE.has(to)) {
    if (input.resumedAt === undefined) values.resumedAt = now;
    const pausedAt = current?.pausedAt;
    const resumedAt = values.resumedAt ?? now;
    events.push({
      name: "subscription_resumed",
      properties: {
        ...about,
        pausedAt,
        resumedAt,
        pausedSeconds: pausedAt ? Math.max(0, Math.round((resumedAt.getTime() - pausedAt.getTime()) / 1000)) : null,
      },
    });
  }
  if (to === "canceled" && from !== "canceled") {
    if (input.canceledAt === undefined) values.canceledAt = now;
    events.push({ name: "subscription_canceled", properties: { ...about, canceledAt: values.canceledAt, previousStatus: from ?? null } });
  }
  if (current && to !== "canceled" && current.currency === values.currency && values.mrrMinor !== current.mrrMinor) {
    events.push({
      name: values.mrrMinor < current.mrrMinor ? "downgraded" : "upgraded",
      properties: {
        ...about,
        previousPlan: current.plan,
        previousMrrMinor: current.mrrMinor,
        mrrChangeMinor: values.mrrMinor - current.mrrMinor,
      },
    });
  }
  return { type: "changed", values, events };
}
