import { describe, expect, it } from "vitest";
import type { Subscription } from "../db/index.js";
import { SubscriptionInput } from "./customer-input.js";
import { changeSubscription } from "./subscription-change.js";

const now = new Date("2026-11-22T12:00:00Z");
const stored = (over: Partial<Subscription>): Subscription => ({
  id: 1,
  customerId: 1,
  externalId: "default",
  status: "active",
  plan: "pro",
  mrrMinor: 4900,
  currency: "EUR",
  startedAt: new Date("2026-01-01T00:00:00Z"),
  trialEndsAt: null,
  currentPeriodEnd: null,
  cancelAtPeriodEnd: false,
  pausedAt: null,
  resumedAt: null,
  canceledAt: null,
  sourceUpdatedAt: null,
  createdAt: now,
  updatedAt: now,
  ...over,
});
const input = (raw: unknown) => SubscriptionInput.parse(raw);
const names = (change: ReturnType<typeof changeSubscription>) => (change.type === "changed" ? change.events.map((e) => e.name) : []);

describe("changeSubscription", () => {
  it("announces a new subscription", () => {
    expect(names(changeSubscription(undefined, input({ status: "trialing", plan: "pro" }), now))).toEqual(["subscription_started"]);
  });

  it("stamps a pause and measures it on resume", () => {
    const paused = changeSubscription(stored({}), input({ status: "paused" }), now);
    expect(paused.type === "changed" && paused.values.pausedAt).toEqual(now);
    const resumed = changeSubscription(
      stored({ status: "paused", pausedAt: new Date("2026-10-23T12:00:00Z") }),
      input({ status: "active" }),
      now,
    );
    expect(names(resumed)).toEqual(["subscription_resumed"]);
    expect(resumed.type === "changed" && resumed.events[0]?.properties.pausedSeconds).toBe(30 * 86_400);
  });

  it("tells a downgrade from an upgrade by MRR", () => {
    expect(names(changeSubscription(stored({}), input({ status: "active", plan: "basic", mrrMinor: 1900 }), now))).toEqual(["downgraded"]);
    expect(names(changeSubscription(stored({}), input({ status: "active", mrrMinor: 9900 }), now))).toEqual(["upgraded"]);
    expect(names(changeSubscription(stored({}), input({ status: "active" }), now))).toEqual([]);
  });

  it("ignores a report older than the stored state", () => {
    const change = changeSubscription(
      stored({ sourceUpdatedAt: new Date("2026-11-22T11:00:00Z") }),
      input({ status: "canceled", asOf: "2026-11-22T10:00:00Z" }),
      now,
    );
    expect(change.type).toBe("stale");
  });
});
