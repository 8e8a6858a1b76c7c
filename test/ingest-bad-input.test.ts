import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { basic, count, type Harness, post, startHarness } from "./helpers/harness.js";

/** Every rejected request must leave the database exactly as it was. */
async function expectNothingStored(harness: Harness) {
  expect(await count(harness, "events")).toBe(0);
  expect(await count(harness, "customers")).toBe(0);
  expect(await count(harness, "anonymous_ids")).toBe(0);
}

describe("bad input to the ingestion API", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    await harness.deps.db.execute(sql`truncate customers, events, anonymous_ids cascade`);
  });

  it("malformed JSON: 400 saying so, nothing stored", async () => {
    const response = await post(harness, "/v1/batch", '{"batch": [{"type": "track", ');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_request");
    expect(response.body.error.problems).toEqual([{ path: "(body)", message: expect.stringMatching(/^malformed JSON/) }]);
    await expectNothingStored(harness);
  });

  it("wrong types: 400 naming each problem with its path", async () => {
    const response = await post(harness, "/v1/track", { userId: "u1", event: 42, properties: "nope", timestamp: "last tuesday" });
    expect(response.status).toBe(400);
    const paths = response.body.error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(["event", "properties", "timestamp"]);
    expect(response.body.error.problems.find((p) => p.path === "timestamp")?.message).toMatch(/ISO-8601/);
    await expectNothingStored(harness);
  });

  it("a message with neither userId nor anonymousId is refused", async () => {
    const response = await post(harness, "/v1/identify", { traits: { email: "a@example.com" } });
    expect(response.status).toBe(400);
    expect(response.body.error.problems).toEqual([{ path: "userId", message: "either userId or anonymousId is required" }]);
    await expectNothingStored(harness);
  });

  it("partial batch: one bad message rejects the whole batch, every problem listed", async () => {
    const response = await post(harness, "/v1/batch", {
      batch: [
        { type: "identify", userId: "u1", traits: { email: "ok@example.com" } },
        { type: "track", userId: "u1", event: "Logged In" },
        { type: "track", userId: "u1" },
        { type: "teleport", userId: "u1" },
        { type: "page", anonymousId: "", name: "Home" },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/nothing was stored/);
    expect(response.body.error.problems.map((p) => p.path)).toEqual(["batch[2].event", "batch[3].type", "batch[4].anonymousId"]);
    await expectNothingStored(harness);
  });

  it("an empty batch is refused", async () => {
    const response = await post(harness, "/v1/batch", { batch: [] });
    expect(response.status).toBe(400);
    expect(response.body.error.problems).toEqual([{ path: "batch", message: "batch must hold at least one message" }]);
  });

  it("oversize: a single call over 32 KB gets 413", async () => {
    const response = await post(harness, "/v1/track", { userId: "u1", event: "Big", properties: { blob: "x".repeat(33 * 1024) } });
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({ code: "payload_too_large", message: expect.stringContaining("32 KB") });
    await expectNothingStored(harness);
  });

  it("oversize: a batch over 500 KB gets 413", async () => {
    const batch = Array.from({ length: 20 }, (_, i) => ({ type: "track", userId: `u${i}`, event: "E", properties: { blob: "x".repeat(30 * 1024) } }));
    const response = await post(harness, "/v1/batch", { batch });
    expect(response.status).toBe(413);
    expect(response.body.error.message).toContain("500 KB");
    await expectNothingStored(harness);
  });

  it("oversize: one message over 32 KB inside a batch is named by its index", async () => {
    const response = await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "u1", event: "Small" },
        { type: "track", userId: "u1", event: "Big", properties: { blob: "x".repeat(40 * 1024) } },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body.error.problems).toEqual([{ path: "batch[1]", message: expect.stringMatching(/40\.\d KB; the limit is 32 KB/) }]);
    await expectNothingStored(harness);
  });

  it("unknown write key: 401, nothing stored", async () => {
    const response = await post(harness, "/v1/track", { userId: "u1", event: "E" }, { authorization: basic("not-a-key-of-ours") });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("unauthorized");
    await expectNothingStored(harness);
  });

  it("no credentials at all: 401", async () => {
    const response = await fetch(`${harness.url}/v1/track`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: "u1", event: "E" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic/);
    await expectNothingStored(harness);
  });

  it("a body that is not JSON at all: 415", async () => {
    const response = await post(harness, "/v1/track", "userId=u1", { "content-type": "application/x-www-form-urlencoded" });
    expect(response.status).toBe(415);
    await expectNothingStored(harness);
  });

  it("never shows a stack trace, even for an unknown route", async () => {
    const response = await post(harness, "/v1/nothing-here", {});
    expect(response.status).toBe(404);
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});
