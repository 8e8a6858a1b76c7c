import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { FixedClock } from "../src/time/index.js";
import { API_KEY, count, type Harness, post, startHarness, WRITE_KEY } from "./helpers/harness.js";

const NOW = new Date("2026-11-22T12:00:00Z");

describe("ingesting Segment calls", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    harness = await startHarness({ clock });
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    clock.set(NOW);
    await harness.deps.db.execute(sql`truncate customers, events, anonymous_ids cascade`);
  });

  const customer = async (id: string) => {
    const response = await fetch(`${harness.url}/api/customers/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    return (await response.json()) as Record<string, unknown>;
  };

  it("answers like Segment and maps identify traits onto the profile", async () => {
    const response = await post(harness, "/v1/identify", {
      userId: "u1",
      traits: { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace", timezone: "Europe/London", language: "en-GB", plan: "team", createdAt: 1_700_000_000, company: "Engines Ltd" },
    });
    expect(response).toEqual({ status: 200, body: { success: true } });
    expect(await customer("u1")).toMatchObject({
      id: "u1",
      email: "ada@example.com",
      name: "Ada Lovelace",
      timezone: "Europe/London",
      locale: "en-GB",
      plan: "team",
      signedUpAt: "2023-11-14T22:13:20.000Z",
      traits: { company: "Engines Ltd", firstName: "Ada", lastName: "Lovelace" },
    });
  });

  it("stores a replayed messageId once and applies its state once", async () => {
    const message = { userId: "u1", event: "Logged In", messageId: "m-1" };
    expect((await post(harness, "/v1/track", message)).status).toBe(200);
    expect((await post(harness, "/v1/track", message)).status).toBe(200);
    expect((await post(harness, "/v1/batch", { batch: [{ type: "track", ...message }, { type: "track", ...message }] })).status).toBe(200);
    expect(await count(harness, "events")).toBe(1);
    // A replayed identify must not undo a later change.
    await post(harness, "/v1/identify", { userId: "u1", messageId: "id-1", traits: { email: "old@example.com" } });
    await post(harness, "/v1/identify", { userId: "u1", messageId: "id-2", traits: { email: "new@example.com" } });
    await post(harness, "/v1/identify", { userId: "u1", messageId: "id-1", traits: { email: "old@example.com" } });
    expect((await customer("u1")).email).toBe("new@example.com");
  });

  it("corrects the client's clock skew with sentAt and keeps backfilled timestamps", async () => {
    await post(harness, "/v1/batch", {
      sentAt: "2026-11-22T13:00:00Z", // the client's clock is an hour fast
      batch: [
        { type: "track", userId: "u1", event: "Skewed", timestamp: "2026-11-22T12:59:00Z" },
        { type: "track", userId: "u1", event: "No timestamp" },
      ],
    });
    await post(harness, "/v1/track", { userId: "u1", event: "Backfilled", timestamp: "2024-02-29T10:00:00Z" });
    const rows = await queryRows(harness.deps.db, z.object({ name: z.string(), occurred_at: z.string() }), sql`select name, occurred_at from events order by id`);
    expect(Object.fromEntries(rows.map((r) => [r.name, new Date(r.occurred_at).toISOString()]))).toEqual({
      Skewed: "2026-11-22T11:59:00.000Z",
      "No timestamp": NOW.toISOString(),
      Backfilled: "2024-02-29T10:00:00.000Z",
    });
    // last_seen_at follows the latest activity, never moves back for a backfill.
    expect((await customer("u1")).lastSeenAt).toBe(NOW.toISOString());
  });

  it("links anonymous activity to the customer once an identify or alias names it", async () => {
    await post(harness, "/v1/page", { anonymousId: "anon-1", name: "Pricing", context: { page: { path: "/pricing" } } });
    await post(harness, "/v1/track", { anonymousId: "anon-2", event: "Signed Up" });
    await post(harness, "/v1/identify", { userId: "u9", anonymousId: "anon-1", traits: {} });
    await post(harness, "/v1/alias", { userId: "u9", previousId: "anon-2" });
    await post(harness, "/v1/track", { anonymousId: "anon-1", event: "Logged In" });
    const rows = await queryRows(
      harness.deps.db,
      z.object({ name: z.string(), external_id: z.string().nullable(), properties: col.jsonObject }),
      sql`select e.name, c.external_id, e.properties from events e left join customers c on c.id = e.customer_id order by e.id`,
    );
    expect(rows.map((r) => [r.name, r.external_id])).toEqual([
      ["Pricing", "u9"],
      ["Signed Up", "u9"],
      ["identify", "u9"],
      ["alias", "u9"],
      ["Logged In", "u9"],
    ]);
    // analytics.js puts the page's path in context.page; campaigns find it in properties.
    expect(rows[0]?.properties).toMatchObject({ path: "/pricing" });
  });

  it("accepts the write key in the body and /v1/import as a batch", async () => {
    const response = await fetch(`${harness.url}/v1/import`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ writeKey: WRITE_KEY, batch: [{ type: "track", userId: "u1", event: "Imported" }] }),
    });
    expect(response.status).toBe(200);
    expect(await count(harness, "events")).toBe(1);
  });

  it("keeps a batch atomic under concurrent retries of the same messages", async () => {
    const batch = Array.from({ length: 100 }, (_, i) => ({ type: "track", userId: `c${i % 10}`, event: "Logged In", messageId: `race-${i}` }));
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(harness, "/v1/batch", { batch })));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await count(harness, "events")).toBe(100);
    expect(await count(harness, "customers")).toBe(10);
  });

  it("takes concurrent batches over the same customers, in any order, without a deadlock", async () => {
    // Existing customers make inserting events take KEY SHARE locks on them while other batches
    // update their profiles: the mix that deadlocks if locks are not taken in one order.
    await post(harness, "/v1/batch", { batch: Array.from({ length: 30 }, (_, i) => ({ type: "identify", userId: `k${i}`, traits: {} })) });
    const batches = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: 100 }, (_, i) => {
        const userId = `k${(i * (b + 7) + b) % 30}`;
        return i % 3 === 0
          ? { type: "identify", userId, traits: { batch: b } }
          : { type: "track", userId, event: "Logged In", messageId: `mix-${b}-${i}` };
      }),
    );
    const responses = await Promise.all(batches.map((batch) => post(harness, "/v1/batch", { batch })));
    expect(responses.map((r) => r.status)).toEqual(batches.map(() => 200));
    expect(await count(harness, "customers")).toBe(30);
  });
});
