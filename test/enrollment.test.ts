import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { matchEvents, scanCampaign, sweepUnmatchedEvents } from "../src/campaigns/index.js";
import { col, queryRows } from "../src/db/index.js";
import { ingestEvents, parseSegmentMessage } from "../src/ingest/index.js";
import { FixedClock } from "../src/time/index.js";
import { enrolled, enrollments, resetState, scan } from "./helpers/campaigns.js";
import { API_KEY, count, type Harness, post, runTask, startHarness } from "./helpers/harness.js";
import { campaignYaml } from "./helpers/yaml.js";
import { present } from "./helpers/present.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const DAY = 86_400_000;

describe("enrollment", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    harness = await startHarness({
      clock,
      // Eight connections, so that the scan task runs two campaigns at once (a quarter of them).
      env: { DATABASE_POOL_SIZE: "8" },
      campaigns: {
        dunning: campaignYaml("dunning", { type: "payment_failed" }, "reentry: always\nexit:\n  - event: invoice_paid\n  - event: subscription_canceled"),
        quiet: campaignYaml("quiet", { type: "inactive", for: "P14D" }, "reentry:\n  after: P30D"),
        "quiet-once": campaignYaml("quiet-once", { type: "inactive", for: "P14D" }),
        "vip-quiet": campaignYaml(
          "vip-quiet",
          { type: "inactive", for: "P14D" },
          `audience:
  all:
    - attribute: subscription.status
      in: [active, trialing]
    - attribute: subscription.mrr
      gte: 10000
    - not:
        attribute: traits.role
        equals: intern
exit:
  - condition:
      attribute: subscription.status
      equals: canceled`,
        ),
      },
    });
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    clock.set(NOW);
    await resetState(harness);
  });

  const put = (id: string, body: unknown) =>
    fetch(`${harness.url}/api/customers/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const lastSeen = (userId: string, daysAgo: number) =>
    post(harness, "/v1/track", { userId, event: "Logged In", timestamp: new Date(NOW.getTime() - daysAgo * DAY).toISOString() });

  it("the same event delivered twice enrolls once", async () => {
    const event = { userId: "u1", event: "payment_failed", messageId: "evt-1" };
    await post(harness, "/v1/track", event);
    await post(harness, "/v1/track", event);
    await post(harness, "/v1/batch", { batch: [{ type: "track", ...event }, { type: "track", ...event }] });
    expect(await enrolled(harness, "dunning")).toEqual(["u1"]);
  });

  it("a second moment while the first enrollment is active does not enroll again", async () => {
    await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "u1", event: "payment_failed", messageId: "a" },
        { type: "track", userId: "u1", event: "payment_failed", messageId: "b" },
      ],
    });
    await post(harness, "/v1/track", { userId: "u1", event: "payment_failed", messageId: "c" });
    expect(await enrolled(harness, "dunning")).toEqual(["u1"]);
  });

  it("overlapping scans enroll each customer once", async () => {
    for (let i = 0; i < 20; i++) await lastSeen(`quiet-${i}`, 20);
    const campaign = present(harness.deps.campaigns.get("quiet"), "harness.deps.campaigns.get('quiet')");
    const { scanCampaign } = await import("../src/campaigns/index.js");
    const results = await Promise.all(Array.from({ length: 6 }, () => scanCampaign(harness.deps.db, campaign, NOW)));
    expect(results.reduce((sum, r) => sum + r.length, 0)).toBe(20);
    expect((await enrolled(harness, "quiet")).length).toBe(20);
  });

  /** Stores a payment_failed for each user without matching it: as if the API process died right after its commit. */
  const storeWithoutMatching = async (userIds: string[]) => {
    const parsed = userIds.map((userId) => {
      const message = parseSegmentMessage("track", { userId, event: "payment_failed" }, NOW);
      if (message.type !== "ok") throw new Error(`unexpected: ${JSON.stringify(message)}`);
      return message.value;
    });
    return (await ingestEvents(harness.deps.db, parsed, NOW)).stored;
  };

  it("the immediate match and the safety sweep finding the same events enroll once", async () => {
    // Stored without matching, then matched by the immediate match and two sweeps at once.
    const stored = await storeWithoutMatching(Array.from({ length: 10 }, (_, i) => `p${i}`));
    const events = stored.map((event) => ({ ...event, source: "segment" }));
    const later = new Date(NOW.getTime() + 60_000);
    const [a, b, c] = await Promise.all([
      matchEvents(harness.deps.db, harness.deps.campaigns, events, NOW),
      sweepUnmatchedEvents(harness.deps.db, harness.deps.campaigns, later, NOW),
      sweepUnmatchedEvents(harness.deps.db, harness.deps.campaigns, later, NOW),
    ]);
    expect([a, b, c].reduce((sum, r) => sum + (r.enrolled.get("dunning")?.length ?? 0), 0)).toBe(10);
    expect((await enrolled(harness, "dunning")).length).toBe(10);
    // The sweeps forgot what they matched.
    expect((await sweepUnmatchedEvents(harness.deps.db, harness.deps.campaigns, later, NOW)).events).toBe(0);
  });

  it("the sweep matches a group larger than its pass a slice at a time (as migration 0016 may record one)", async () => {
    await storeWithoutMatching(Array.from({ length: 10 }, (_, i) => `big${i}`));
    await harness.deps.db.execute(sql`
      with gone as (delete from unmatched_events returning event_ids, occurred_from, occurred_to, stored_at)
      insert into unmatched_events (first_event_id, event_ids, occurred_from, occurred_to, stored_at)
      select min(id), array_agg(id order by id), min(occurred_from), max(occurred_to), max(stored_at) from gone, unnest(event_ids) as id`);
    const later = new Date(NOW.getTime() + 60_000);
    const swept = await sweepUnmatchedEvents(harness.deps.db, harness.deps.campaigns, later, NOW, "UTC", 30_000, 3);
    expect(swept.events).toBe(10);
    expect((await enrolled(harness, "dunning")).length).toBe(10);
    expect(await count(harness, "unmatched_events")).toBe(0);
  });

  it("the sweep leaves alone what the immediate match matched", async () => {
    await post(harness, "/v1/batch", {
      batch: Array.from({ length: 10 }, (_, i) => ({ type: "track", userId: `q${i}`, event: "payment_failed" })),
    });
    expect((await enrolled(harness, "dunning")).length).toBe(10);
    clock.advance(60_000);
    expect(await runTask(harness, "sweep-events")).toEqual({ events: 0, enrolled: 0, exited: 0 });
  });

  it("the sweep leaves a group younger than 30 s to the match running for it", async () => {
    await storeWithoutMatching(["young"]);
    clock.advance(10_000);
    expect(await runTask(harness, "sweep-events")).toMatchObject({ events: 0, enrolled: 0 });
    clock.advance(30_000);
    expect(await runTask(harness, "sweep-events")).toMatchObject({ events: 1, enrolled: 1 });
    expect(await enrolled(harness, "dunning")).toEqual(["young"]);
  });

  it("the sweep matches anonymous events once an identify names their customer", async () => {
    // Failed before signing in (the anonymous id only), then identified: the dunning is theirs.
    await post(harness, "/v1/track", { anonymousId: "anon-7", event: "payment_failed" });
    expect(await enrolled(harness, "dunning")).toEqual([]);
    await post(harness, "/v1/identify", { anonymousId: "anon-7", userId: "known-7", traits: { email: "k7@example.com" } });
    clock.advance(60_000);
    expect(await runTask(harness, "sweep-events")).toMatchObject({ events: 1, enrolled: 1 });
    expect(await enrolled(harness, "dunning")).toEqual(["known-7"]);
  });

  it("the sweep enrolls what the immediate match missed (a process died between commit and match)", async () => {
    // Stored without matching: as if the API process died right after its commit.
    await storeWithoutMatching(["orphan"]);
    expect(await enrolled(harness, "dunning")).toEqual([]);
    clock.advance(60_000);
    expect(await runTask(harness, "sweep-events")).toMatchObject({ enrolled: 1 });
    expect(await enrolled(harness, "dunning")).toEqual(["orphan"]);
  });

  it("re-entry never / after / always", async () => {
    await lastSeen("u1", 20);
    expect(await scan(harness, "quiet")).toEqual(["u1"]);
    expect(await scan(harness, "quiet-once")).toEqual(["u1"]);
    await harness.deps.db.execute(sql`update enrollments set status = 'completed', ended_at = ${NOW.toISOString()}::timestamptz`);
    // Back on day 15, then quiet again: a new moment, first seen by the scan on day 29.
    await post(harness, "/v1/track", { userId: "u1", event: "Logged In", timestamp: new Date(NOW.getTime() + 15 * DAY).toISOString() });
    clock.set(new Date(NOW.getTime() + 29 * DAY));
    expect(await scan(harness, "quiet")).toEqual([]); // inside the 30-day re-entry period
    expect(await scan(harness, "quiet-once")).toEqual([]);
    clock.set(new Date(NOW.getTime() + 31 * DAY));
    expect(await scan(harness, "quiet")).toEqual(["u1"]);
    expect(await scan(harness, "quiet-once")).toEqual([]); // never
    expect((await enrollments(harness, "quiet")).map((r) => r.trigger_key)).toHaveLength(2);
  });

  it("re-entry always: a new moment after the last enrollment ended, never the same moment twice", async () => {
    await post(harness, "/v1/track", { userId: "u1", event: "payment_failed", messageId: "first" });
    await harness.deps.db.execute(sql`update enrollments set status = 'completed'`);
    await post(harness, "/v1/track", { userId: "u1", event: "payment_failed", messageId: "second" });
    expect((await enrollments(harness, "dunning")).map((r) => r.status)).toEqual(["completed", "active"]);
    const all = await queryRows(
      harness.deps.db,
      z.object({ id: col.int, name: z.string(), type: z.string(), source: z.string(), customerId: col.int, occurredAt: col.timestamp, properties: col.jsonObject }),
      sql`select id::int, name, type::text, source, customer_id::int as "customerId", occurred_at as "occurredAt", properties from events`,
    );
    await harness.deps.db.execute(sql`update enrollments set status = 'completed'`);
    await matchEvents(harness.deps.db, harness.deps.campaigns, all, NOW);
    expect((await enrollments(harness, "dunning")).length).toBe(2);
  });

  it("audience: subscription, MRR and traits decide who qualifies", async () => {
    await put("vip", { subscription: { status: "active", mrrMinor: 20000 }, traits: { role: "owner" } });
    await put("small", { subscription: { status: "active", mrrMinor: 900 } });
    await put("vip-intern", { subscription: { status: "active", mrrMinor: 20000 }, traits: { role: "intern" } });
    await put("vip-gone", { subscription: { status: "canceled", mrrMinor: 20000 } });
    for (const id of ["vip", "small", "vip-intern", "vip-gone"]) await lastSeen(id, 20);
    expect(await scan(harness, "vip-quiet")).toEqual(["vip"]);
  });

  it("exit goals: an exit event ends the enrollment; an exit condition is checked by the scan job", async () => {
    await post(harness, "/v1/track", { userId: "payer", event: "payment_failed" });
    await post(harness, "/v1/track", { userId: "payer", event: "invoice_paid" });
    expect(await enrollments(harness, "dunning")).toMatchObject([{ customer: "payer", status: "exited", end_reason: "goal: invoice_paid" }]);

    await put("vip", { subscription: { status: "active", mrrMinor: 20000 } });
    await lastSeen("vip", 20);
    expect(await scan(harness, "vip-quiet")).toEqual(["vip"]);
    await put("vip", { subscription: { status: "canceled" } });
    const results = (await runTask(harness, "scan-campaigns")) as Record<string, { exited: number }>;
    expect(results["vip-quiet"]).toMatchObject({ exited: 1 });
    expect(await enrollments(harness, "vip-quiet")).toMatchObject([{ status: "exited", end_reason: "goal: condition" }]);
  });

  it("the scan task runs campaigns side by side: one held up does not hold the others, and its failure is named", async () => {
    await lastSeen("u1", 20);
    const quiet = present(harness.deps.campaigns.get("quiet"), "harness.deps.campaigns.get('quiet')");
    // Another transaction enrolling u1 in `quiet` and not committing yet: the scan's own insert of
    // that enrollment must wait for it (the unique index), as behind a slow concurrent scan.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding: () => void = () => {};
    const holds = new Promise<void>((resolve) => (holding = resolve));
    const blocker = harness.deps.db
      .transaction(async (tx) => {
        await scanCampaign(tx, quiet, NOW);
        holding();
        await held;
        tx.rollback();
      })
      .catch(() => {});
    await holds;
    try {
      const pass = runTask(harness, "scan-campaigns").then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      );
      // quiet-once enrolls u1 while quiet waits on the lock.
      const waiting = z.object({ pid: z.number() });
      const deadline = Date.now() + 10_000;
      let blocked: { pid: number }[] = [];
      while (Date.now() < deadline) {
        blocked = await queryRows(
          harness.deps.db,
          waiting,
          sql`select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%insert into enrollments%'`,
        );
        if (blocked.length > 0 && (await enrolled(harness, "quiet-once")).length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await enrolled(harness, "quiet-once")).toEqual(["u1"]);
      expect(blocked).toHaveLength(1);
      // The held-up statement is cancelled: the pass fails, naming that campaign alone.
      await queryRows(harness.deps.db, z.object({}), sql`select pg_cancel_backend(${present(blocked[0], "the waiting backend").pid}::int)`);
      const { error } = await pass;
      expect(String(error)).toMatch(/^Error: the scan of quiet failed: canceling statement due to user request$/);
    } finally {
      release();
      await blocker;
    }
    // The next pass enrolls what the cancelled one could not.
    const next = (await runTask(harness, "scan-campaigns")) as Record<string, { enrolled: number }>;
    expect(next.quiet).toEqual({ enrolled: 1, exited: 0 });
    expect(next["quiet-once"]).toEqual({ enrolled: 0, exited: 0 });
    expect(await enrolled(harness, "quiet")).toEqual(["u1"]);
  });

  it("records the campaign version, and an edit makes a new version", async () => {
    await lastSeen("u1", 20);
    await scan(harness, "quiet-once");
    const before = present(harness.deps.campaigns.get("quiet-once"), "harness.deps.campaigns.get('quiet-once')");
    expect((await enrollments(harness, "quiet-once"))[0]?.campaign_version_id).toBe(before.versionId);
    await harness.setCampaign("quiet-once", campaignYaml("quiet-once", { type: "inactive", for: "P21D" }));
    const after = present(harness.deps.campaigns.get("quiet-once"), "harness.deps.campaigns.get('quiet-once')");
    expect(after.versionId).not.toBe(before.versionId);
    const versions = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from campaign_versions where campaign_id = 'quiet-once'`);
    expect(versions[0]?.n).toBe(2);
    // Reloading the same files records nothing new.
    await harness.setCampaign("quiet-once", campaignYaml("quiet-once", { type: "inactive", for: "P21D" }));
    expect(harness.deps.campaigns.get("quiet-once")?.versionId).toBe(after.versionId);
  });
});
