import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows } from "../src/db/index.js";
import { listTasks } from "../src/schedule/index.js";
import { FixedClock } from "../src/time/index.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { campaignYaml } from "./helpers/yaml.js";
import { until } from "./helpers/wait.js";
import { present } from "./helpers/present.js";

describe("the periodic tasks and the maintenance task", () => {
  let harness: Harness;
  const clock = new FixedClock(new Date("2026-11-22T12:00:00Z"));
  beforeAll(async () => {
    // DISPATCH_INTERVAL set: the gap below checks that the task runs at the interval it was given, whatever the default.
    harness = await startHarness({ worker: true, clock, env: { EVENT_RETENTION: "P30D", DISPATCH_INTERVAL: "PT5S" }, campaigns: { quiet: campaignYaml("quiet", { type: "event", name: "Went Quiet" }) } });
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("are scheduled in PostgreSQL when a worker starts: each runs at once, then at its interval", async () => {
    const tasks = await until(
      () => listTasks(harness.deps.db),
      (list) => list.length === 5 && list.every((t) => t.lastFinishedAt !== null),
    );
    expect(tasks.map((t) => t.name)).toEqual(["cancel-flow", "dispatch", "prune-events", "scan-campaigns", "sweep-events"]);
    const gap = (name: string) => {
      const task = present(tasks.find((t) => t.name === name), "tasks.find((t) => t.name === name)");
      return new Date(task.nextRunAt).getTime() - new Date(present(task.lastStartedAt, "task.lastStartedAt")).getTime();
    };
    expect(gap("prune-events")).toBe(3_600_000);
    expect(gap("scan-campaigns")).toBe(60_000);
    expect(gap("sweep-events")).toBe(60_000);
    expect(gap("dispatch")).toBe(5_000);
    expect(gap("cancel-flow")).toBe(30_000);
    expect(tasks.every((t) => t.lastError === null)).toBe(true);
  });

  it("leave each campaign's last scan for /metrics, whichever worker ran it", async () => {
    await until(
      async () => (await listTasks(harness.deps.db)).find((t) => t.name === "scan-campaigns")?.lastFinishedAt ?? null,
      (finished) => finished !== null,
    );
    const metrics = await (await fetch(`${harness.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
    expect(metrics).toMatch(/^rekindle_scan_enrolled\{campaign="quiet"\} 0$/m);
    expect(metrics).toMatch(/^rekindle_scan_duration_seconds\{campaign="quiet"\} \d/m);
  });

  it("deletes events past EVENT_RETENTION when its time comes, a whole month at a time, and keeps the rest", async () => {
    await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "u1", event: "Ancient", timestamp: "2026-09-01T00:00:00Z" },
        { type: "track", userId: "u1", event: "Old", timestamp: "2026-09-22T11:00:00Z" },
        { type: "track", userId: "u1", event: "Lately", timestamp: "2026-10-20T00:00:00Z" },
        { type: "track", userId: "u1", event: "Recent", timestamp: "2026-11-20T00:00:00Z" },
      ],
    });
    // Its hour is up: the worker's scheduler claims the run at its next poll.
    await harness.deps.db.execute(sql`update scheduled_tasks set next_run_at = now() where name = 'prune-events'`);
    const task = await until(
      async () => present((await listTasks(harness.deps.db)).find((t) => t.name === "prune-events"), "(await listTasks(harness.deps.db)).find((t) => t.name === 'prune-events')"),
      (t) => Array.isArray(t.lastResult?.dropped) && t.lastResult.dropped.includes("events_2026_09"),
    );
    expect(task.lastError).toBeNull();
    const left = await queryRows(harness.deps.db, z.object({ name: z.string() }), sql`select name from events order by id`);
    // October straddles the cut-off (23 October): it stays, with the event of the 20th, until all of it is past retention.
    expect(left.map((e) => e.name)).toEqual(["Lately", "Recent"]);
    const partitions = await queryRows(
      harness.deps.db,
      z.object({ name: z.string() }),
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass order by 1`,
    );
    expect(partitions.map((p) => p.name)).toEqual(expect.arrayContaining(["events_2026_10", "events_2026_11", "events_2026_12", "events_2027_01"]));
    expect(partitions.map((p) => p.name)).not.toContain("events_2026_09");
  });
});
