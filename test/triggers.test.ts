import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FixedClock } from "../src/time/index.js";
import { enrolled, enrollments, resetState, scan } from "./helpers/campaigns.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { campaignYaml } from "./helpers/yaml.js";
import { present } from "./helpers/present.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const DAY = 86_400_000;
const HOUR = 3_600_000;

const CAMPAIGNS = {
  "card-expiring": campaignYaml("card-expiring", { type: "card_expiring", within: "P30D" }),
  quiet: campaignYaml("quiet", { type: "inactive", for: "P14D" }),
  "quiet-logins": campaignYaml("quiet-logins", { type: "inactive", for: "P14D", activity: ["Logged In"] }),
  slump: campaignYaml("slump", { type: "usage_drop", event: "Logged In", window: "P30D", drop: "50%" }),
  "cancel-visit": campaignYaml("cancel-visit", { type: "cancel_page_visited", path: "/account/cancel*", grace: "PT2H" }),
  onboarding: campaignYaml("onboarding", { type: "not_activated", after: "P3D", activation_event: "Created Project" }),
  anniversary: campaignYaml("anniversary", { type: "tenure", at: "P365D" }),
  "danger-zone": campaignYaml("danger-zone", { type: "low_engagement", percentile: 0.25, window: "P30D" }),
  dunning: campaignYaml("dunning", { type: "payment_failed" }),
  exported: campaignYaml("exported", { type: "data_exported" }),
  downgrade: campaignYaml("downgrade", { type: "downgraded" }),
  "limit-hit": campaignYaml("limit-hit", { type: "event", name: "Plan Limit Reached", where: [{ property: "usage", gte: 100 }] }),
  "welcome-back": campaignYaml("welcome-back", { type: "returned_after_pause", min_pause: "P30D" }),
};

describe("built-in triggers", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    harness = await startHarness({ clock, campaigns: CAMPAIGNS });
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    clock.set(NOW);
    await resetState(harness);
  });

  const put = async (id: string, body: unknown) => {
    const response = await fetch(`${harness.url}/api/customers/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status, await response.clone().text()).toBeLessThan(300);
  };
  const track = async (userId: string, event: string, at: string, properties: Record<string, unknown> = {}) => {
    const response = await post(harness, "/v1/track", { userId, event, timestamp: at, properties });
    expect(response.status).toBe(200);
  };
  const batch = async (messages: Record<string, unknown>[]) => expect((await post(harness, "/v1/batch", { batch: messages })).status).toBe(200);

  it("card_expiring: a card expiring on the last day of the window enters; one a day later does not", async () => {
    // Now is 1 Dec 12:00 UTC; P30D ends 31 Dec: a card valid through December expires on the window's last day.
    await put("last-day", { paymentMethod: { brand: "visa", last4: "1111", expMonth: 12, expYear: 2026 } });
    await put("next-month", { paymentMethod: { expMonth: 1, expYear: 2027 } });
    await put("already-expired", { paymentMethod: { expMonth: 11, expYear: 2026 } });
    await put("removed", { paymentMethod: { expMonth: 12, expYear: 2026, detached: true } });
    expect(await scan(harness, "card-expiring")).toEqual(["last-day"]);
    const [row] = await enrollments(harness, "card-expiring");
    expect(row?.matched_facts).toMatchObject({ cardExpiresOn: "2026-12-31", daysUntilExpiry: 30, brand: "visa", last4: "1111" });
    expect(await scan(harness, "card-expiring")).toEqual([]);
  });

  it("card_expiring: a day earlier, the same card is one day outside the window", async () => {
    clock.set(new Date("2026-11-30T12:00:00Z"));
    await put("last-day", { paymentMethod: { expMonth: 12, expYear: 2026 } });
    expect(await scan(harness, "card-expiring")).toEqual([]);
    clock.set(NOW);
    expect(await scan(harness, "card-expiring")).toEqual(["last-day"]);
  });

  it("inactive: quiet for exactly the period enters; active one second later does not", async () => {
    await track("quiet-14d", "Logged In", ago(14 * DAY));
    await track("quiet-14d-minus-1s", "Logged In", ago(14 * DAY - 1000));
    await track("busy", "Logged In", ago(HOUR));
    await batch([{ type: "identify", userId: "never-seen", traits: { createdAt: ago(20 * DAY) } }]);
    expect(await scan(harness, "quiet")).toEqual(["never-seen", "quiet-14d"]);
    const facts = present((await enrollments(harness, "quiet")).find((r) => r.customer === "quiet-14d"), "(await enrollments(harness, 'quiet')).find((r) => r.customer === 'quiet-14d')").matched_facts;
    expect(facts).toMatchObject({ inactiveDays: 14 });
    // One second later the other customer crosses the threshold too.
    clock.advance(1000);
    expect(await scan(harness, "quiet")).toEqual(["quiet-14d-minus-1s"]);
  });

  it("inactive with an activity list: other events do not count as activity", async () => {
    await track("browses-only", "Logged In", ago(20 * DAY));
    await track("browses-only", "Viewed Page", ago(DAY));
    await track("logs-in", "Logged In", ago(13 * DAY));
    expect(await scan(harness, "quiet-logins")).toEqual(["browses-only"]);
  });

  it("usage_drop: 10 logins falling to 3 enters; to 6 does not; too few before does not", async () => {
    const logins = (userId: string, count: number, from: number) =>
      Array.from({ length: count }, (_, i) => ({ type: "track", userId, event: "Logged In", timestamp: ago(from * DAY - i * HOUR) }));
    await batch([...logins("dropped", 10, 50), ...logins("dropped", 3, 10), ...logins("steady", 10, 50), ...logins("steady", 6, 10), ...logins("light", 4, 50)]);
    expect(await scan(harness, "slump")).toEqual(["dropped"]);
    expect((await enrollments(harness, "slump"))[0]?.matched_facts).toMatchObject({ countBefore: 10, countAfter: 3, drop: 0.7 });
  });

  it("cancel_page_visited: enters once grace has passed without a cancel; a cancel inside grace keeps them out", async () => {
    const visit = (userId: string, at: string, path = "/account/cancel") => batch([{ type: "page", userId, name: "Cancel", timestamp: at, properties: { path } }]);
    await put("stayed", { subscription: { status: "active" } });
    await put("canceled", { subscription: { status: "active" } });
    await visit("stayed", ago(3 * HOUR), "/account/cancel/confirm");
    await visit("canceled", ago(3 * HOUR));
    await visit("just-now", ago(HOUR));
    await visit("elsewhere", ago(3 * HOUR), "/account/billing");
    clock.set(new Date(NOW.getTime() - 2 * HOUR)); // canceled one hour after the visit: inside grace
    await put("canceled", { subscription: { status: "canceled" } });
    clock.set(NOW);
    expect(await scan(harness, "cancel-visit")).toEqual(["stayed"]);
    expect((await enrollments(harness, "cancel-visit"))[0]?.matched_facts).toMatchObject({ path: "/account/cancel/confirm" });
    clock.advance(HOUR); // now the recent visitor's grace has passed as well
    expect(await scan(harness, "cancel-visit")).toEqual(["just-now"]);
  });

  it("not_activated: signed up 3+ days ago without the activation event", async () => {
    await batch([
      { type: "identify", userId: "stuck", traits: { createdAt: ago(4 * DAY) } },
      { type: "identify", userId: "activated", traits: { createdAt: ago(4 * DAY) } },
      { type: "track", userId: "activated", event: "Created Project", timestamp: ago(3 * DAY) },
      { type: "identify", userId: "too-new", traits: { createdAt: ago(2 * DAY) } },
    ]);
    expect(await scan(harness, "onboarding")).toEqual(["stuck"]);
  });

  it("tenure: enters at the anniversary, not before and not long after", async () => {
    await put("one-year", { subscription: { status: "active", startedAt: ago(366 * DAY) } });
    await put("ten-months", { subscription: { status: "active", startedAt: ago(300 * DAY) } });
    await put("long-ago", { subscription: { status: "active", startedAt: ago(400 * DAY) } });
    expect(await scan(harness, "anniversary")).toEqual(["one-year"]);
  });

  it("low_engagement: the bottom quartile of paying customers by activity", async () => {
    const messages: Record<string, unknown>[] = [];
    for (let i = 0; i < 8; i++) {
      await put(`payer-${i}`, { subscription: { status: "active" } });
      for (let n = 0; n < i; n++) messages.push({ type: "track", userId: `payer-${i}`, event: "Logged In", timestamp: ago((n + 1) * DAY) });
    }
    await put("free-user", { subscription: { status: "canceled" } });
    await batch(messages);
    expect(await scan(harness, "danger-zone")).toEqual(["payer-0", "payer-1"]);
  });

  it("event triggers enroll as the event arrives, with the event as the fact", async () => {
    await track("late-payer", "payment_failed", ago(0), { invoice: "in_1", amount: 4900 });
    await track("exporter", "data_exported", ago(0));
    await put("shrinker", { subscription: { status: "active", mrrMinor: 9900 } });
    await put("shrinker", { subscription: { status: "active", mrrMinor: 1900 } });
    await track("heavy", "Plan Limit Reached", ago(0), { usage: 120 });
    await track("light", "Plan Limit Reached", ago(0), { usage: 50 });
    expect(await enrolled(harness, "dunning")).toEqual(["late-payer"]);
    expect((await enrollments(harness, "dunning"))[0]?.matched_facts).toMatchObject({ event: "payment_failed", properties: { invoice: "in_1" } });
    expect(await enrolled(harness, "exported")).toEqual(["exporter"]);
    expect(await enrolled(harness, "downgrade")).toEqual(["shrinker"]);
    expect(await enrolled(harness, "limit-hit")).toEqual(["heavy"]);
  });

  it("returned_after_pause: a resume after a long pause, or activity after a long silence", async () => {
    clock.set(new Date(NOW.getTime() - 31 * DAY));
    await put("long-pause", { subscription: { status: "paused" } });
    clock.set(new Date(NOW.getTime() - 10 * DAY));
    await put("short-pause", { subscription: { status: "paused" } });
    clock.set(NOW);
    await put("long-pause", { subscription: { status: "active" } });
    await put("short-pause", { subscription: { status: "active" } });
    await track("lapsed", "Logged In", ago(40 * DAY));
    await track("regular", "Logged In", ago(5 * DAY));
    await track("first-timer", "Logged In", ago(1000));
    await track("lapsed", "Logged In", ago(0));
    await track("regular", "Logged In", ago(0));
    expect(await enrolled(harness, "welcome-back")).toEqual(["lapsed", "long-pause"]);
  });

  it("returned_after_pause: the customer's last activity before a batch, and the batch's own, decide alike", async () => {
    // Seen 2 hours and 27 days ago (inside the pause: set aside before matching, and at its edge:
    // left to the statement), 31 days ago (a return), never (a first visit).
    await track("hour-ago", "Logged In", ago(2 * HOUR));
    await track("edge", "Logged In", ago(27 * DAY));
    await track("month-ago", "Logged In", ago(31 * DAY));
    await batch([
      { type: "track", userId: "hour-ago", event: "Logged In", timestamp: ago(0) },
      { type: "page", userId: "edge", name: "Pricing", timestamp: ago(0) },
      { type: "track", userId: "month-ago", event: "Logged In", timestamp: ago(0) },
      // New to Rekindle, with history in one batch: silent for 40 days, then back; or active all along.
      { type: "track", userId: "batched-lapsed", event: "Logged In", timestamp: ago(40 * DAY) },
      { type: "track", userId: "batched-lapsed", event: "Logged In", timestamp: ago(0) },
      { type: "track", userId: "batched-regular", event: "Logged In", timestamp: ago(20 * DAY) },
      { type: "track", userId: "batched-regular", event: "Logged In", timestamp: ago(5 * DAY) },
      { type: "track", userId: "batched-regular", event: "Logged In", timestamp: ago(0) },
    ]);
    expect(await enrolled(harness, "welcome-back")).toEqual(["batched-lapsed", "month-ago"]);
    // History arriving late (a login 2 days ago, after today's) for a customer silent before it: their return.
    await track("late", "Logged In", ago(60 * DAY));
    await track("late", "Page Viewed", ago(HOUR));
    expect(await enrolled(harness, "welcome-back")).toEqual(["batched-lapsed", "late", "month-ago"]);
    await resetState(harness);
    await track("late", "Logged In", ago(60 * DAY));
    await harness.deps.db.execute(sql`update customer_activity set last_seen_at = ${ago(0)}::timestamptz`);
    await track("late", "Logged In", ago(2 * DAY));
    expect(await enrolled(harness, "welcome-back")).toEqual(["late"]);
  });

  it("returned_after_pause: activity before the silence counts after its events are gone (retention), or when it was anonymous", async () => {
    await track("veteran", "Logged In", ago(400 * DAY));
    await harness.deps.db.execute(sql`delete from events where occurred_at < ${ago(365 * DAY)}::timestamptz`);
    // Browsed signed out two months ago; signed in today.
    const early = await post(harness, "/v1/page", { anonymousId: "anon-b", name: "Pricing", timestamp: ago(60 * DAY) });
    expect(early.status).toBe(200);
    expect((await post(harness, "/v1/identify", { anonymousId: "anon-b", userId: "browser", timestamp: ago(1000) })).status).toBe(200);
    await track("veteran", "Logged In", ago(0));
    await track("browser", "Logged In", ago(0));
    expect(await enrolled(harness, "welcome-back")).toEqual(["browser", "veteran"]);
  });
});
