import { sql } from "drizzle-orm";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../src/db/index.js";
import { FixedClock } from "../src/time/index.js";
import { type Harness, post, startHarness } from "./helpers/harness.js";

describe("the maintenance job", () => {
  let harness: Harness;
  const clock = new FixedClock(new Date("2026-11-22T12:00:00Z"));
  beforeAll(async () => {
    harness = await startHarness({ worker: true, clock, env: { EVENT_RETENTION: "P30D" } });
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("is scheduled hourly when a worker starts, next to the campaign jobs", async () => {
    const schedulers = await harness.deps.queues.queue("maintenance").getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every])).toEqual([["prune-events", 3_600_000]]);
    const campaignJobs = await harness.deps.queues.queue("campaigns").getJobSchedulers();
    expect(campaignJobs.map((s) => [s.key, s.every]).sort()).toEqual([
      ["dispatch", 5_000],
      ["scan-campaigns", 60_000],
      ["sweep-events", 60_000],
    ]);
  });

  it("deletes events past EVENT_RETENTION through the real queue and keeps the rest", async () => {
    await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "u1", event: "Ancient", timestamp: "2026-09-01T00:00:00Z" },
        { type: "track", userId: "u1", event: "Old", timestamp: "2026-10-22T11:00:00Z" },
        { type: "track", userId: "u1", event: "Recent", timestamp: "2026-11-20T00:00:00Z" },
      ],
    });
    const events = new QueueEvents("maintenance", { connection: { url: harness.deps.redisUrl }, prefix: harness.config.redis.prefix });
    await events.waitUntilReady();
    try {
      const job = await harness.deps.queues.queue("maintenance").add("prune-events", {});
      await job.waitUntilFinished(events, 15_000);
      // The scheduled run may have got there first: between them, exactly the two old events went.
      const completed = await harness.deps.queues.queue("maintenance").getJobs(["completed"]);
      expect(completed.reduce((sum, j) => sum + (j.returnvalue as { deleted: number }).deleted, 0)).toBe(2);
    } finally {
      await events.close();
    }
    const left = await queryRows<{ name: string }>(harness.deps.db, sql`select name from events order by id`);
    expect(left.map((e) => e.name)).toEqual(["Recent"]);
  });
});
