import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { fromSegment, IngestQueue, parseSegmentBatch } from "../src/ingest/index.js";
import { FixedClock } from "../src/time/index.js";
import { campaignYaml } from "./helpers/yaml.js";
import { basic, count, type Harness, runTask, startHarness, WRITE_KEY } from "./helpers/harness.js";
import { present } from "./helpers/present.js";
import { until } from "./helpers/wait.js";
import { childEnv, spawnApi } from "./helpers/processes.js";

const NOW = new Date("2026-11-22T12:00:00Z");

/**
 * Group commit (concurrent /v1 requests share one transaction) must keep every promise a single
 * request made: each messageId stored once, a request all or nothing, each answered only once
 * its own events are committed, and one request the database refuses failing alone.
 */
describe("ingesting concurrent requests", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    harness = await startHarness({ clock, campaigns: { dunning: campaignYaml("dunning", { type: "payment_failed" }) } });
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    clock.set(NOW);
    await harness.deps.db.execute(sql`truncate customers, events, unmatched_events, anonymous_ids, enrollments cascade`);
  });

  const send = (url: string, batch: Record<string, unknown>[]) =>
    fetch(`${url}/v1/batch`, {
      method: "POST",
      headers: { authorization: basic(WRITE_KEY), "content-type": "application/json" },
      body: JSON.stringify({ batch }),
    });

  it("stores a messageId that concurrent requests all carry exactly once, and enrolls once for it", async () => {
    // 30 requests at once, each carrying 40 of the same 100 messageIds (overlapping windows), so the
    // same messageId meets itself within one group transaction and across groups.
    const requests = Array.from({ length: 30 }, (_, r) =>
      Array.from({ length: 40 }, (_, k) => {
        const n = (r * 7 + k) % 100;
        return n % 10 === 0
          ? { type: "track", event: "payment_failed", userId: `c${n % 20}`, messageId: `m-${n}`, timestamp: NOW.toISOString() }
          : { type: "track", event: "Logged In", userId: `c${n % 20}`, messageId: `m-${n}`, timestamp: NOW.toISOString() };
      }),
    );
    const responses = await Promise.all(requests.map((batch) => send(harness.url, batch)));
    expect(responses.map((response) => response.status)).toEqual(requests.map(() => 200));

    const stored = await queryRows(harness.deps.db, z.object({ message_id: z.string(), n: col.int }), sql`select message_id, count(*)::int as n from events group by 1`);
    const carried = new Set(requests.flat().map((event) => event.messageId));
    expect(stored.length).toBe(carried.size);
    expect(stored.every((row) => row.n === 1)).toBe(true);
    // Each payment_failed was one moment: one dunning enrollment per customer who had one.
    const enrolled = await queryRows(
      harness.deps.db,
      z.object({ customer: z.string(), n: col.int }),
      sql`select c.external_id as customer, count(*)::int as n from enrollments e join customers c on c.id = e.customer_id where e.campaign_id = 'dunning' group by 1 order by 1`,
    );
    expect(enrolled).toEqual([
      { customer: "c0", n: 1 },
      { customer: "c10", n: 1 },
    ]);
  });

  it("answers a request only once its events are stored, however many requests share the transaction", async () => {
    const batches = Array.from({ length: 25 }, (_, r) => Array.from({ length: 20 }, (_, k) => ({ type: "track", event: "Logged In", userId: `c${r}`, messageId: `a-${r}-${k}` })));
    await Promise.all(
      batches.map(async (batch, r) => {
        expect((await send(harness.url, batch)).status).toBe(200);
        // Right after the answer, this request's events are all there.
        const [row] = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from events where message_id like ${`a-${r}-%`}`);
        expect(row?.n).toBe(20);
      }),
    );
  });

  it("fails only the request the database refuses; the requests grouped with it are stored", async () => {
    const queue = new IngestQueue(harness.deps);
    const receivedAt = NOW;
    const request = (id: string) => {
      const checked = parseSegmentBatch({ batch: [{ type: "track", event: "Logged In", userId: id, messageId: `${id}-1` }, { type: "identify", userId: id, messageId: `${id}-2`, traits: { plan: "team" } }] }, receivedAt);
      if (checked.type !== "ok") throw new Error("the test's batch is invalid");
      return checked.value;
    };
    // What the HTTP boundary refuses (a NUL character) stands for any row PostgreSQL rejects.
    const refused = [fromSegment({ type: "track", event: "Logged In", userId: "bad", messageId: "bad\u0000id", properties: {}, context: {} } as never, { receivedAt })];
    const results = await Promise.allSettled([queue.ingest(request("ok1"), receivedAt), queue.ingest(refused, receivedAt), queue.ingest(request("ok2"), receivedAt)]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const ids = await queryRows(harness.deps.db, z.object({ message_id: z.string() }), sql`select message_id from events order by 1`);
    expect(ids.map((row) => row.message_id)).toEqual(["ok1-1", "ok1-2", "ok2-1", "ok2-2"]);
    expect(await count(harness, "customers")).toBe(2);
    const plans = await queryRows(harness.deps.db, z.object({ plan: z.string().nullable() }), sql`select plan from customers order by external_id`);
    expect(plans).toEqual([{ plan: "team" }, { plan: "team" }]);
  });

  it("stores each request whole or not at all when the API process is killed (-9) mid-way", async () => {
    const api = await spawnApi(childEnv(harness));
    const batches = Array.from({ length: 200 }, (_, r) =>
      Array.from({ length: 100 }, (_, k) => ({ type: k % 10 === 0 ? "identify" : "track", event: "Logged In", userId: `k${(r * 100 + k) % 500}`, messageId: `k-${r}-${k}`, traits: { seen: r } })),
    );
    const answered = new Set<number>();
    let killed = false;
    const sending = Promise.all(
      batches.map(async (batch, r) => {
        try {
          const response = await send(api.url, batch);
          if (response.status === 200) answered.add(r);
        } catch {
          // The connection died with the process.
        }
        if (!killed && answered.size >= 20) {
          killed = true;
          api.child.kill("SIGKILL");
        }
      }),
    );
    await sending;
    await api.exited;
    expect(killed).toBe(true);

    const perBatch = await queryRows(
      harness.deps.db,
      z.object({ batch: z.string(), n: col.int }),
      sql`select split_part(message_id, '-', 2) as batch, count(*)::int as n from events where message_id like 'k-%' group by 1`,
    );
    const stored = new Map(perBatch.map((row) => [Number(row.batch), row.n]));
    // Every request is whole or absent; every answered one is whole; and the kill came mid-way.
    expect([...stored.values()].every((n) => n === 100)).toBe(true);
    for (const r of answered) expect(stored.get(r)).toBe(100);
    expect(stored.size).toBeLessThan(batches.length);
  });

  it("matches, by the sweep, the events of an API process killed (-9) between its commit and its match", async () => {
    const api = await spawnApi(childEnv(harness));
    // Hold the match back: its enrollment insert waits on this lock, after the events have committed.
    const blocker = new pg.Client({ connectionString: present(harness.config.database.url, "the harness's DATABASE_URL") });
    await blocker.connect();
    try {
      await blocker.query("begin");
      await blocker.query("lock table enrollments in exclusive mode");
      const answer = send(api.url, [{ type: "track", event: "payment_failed", userId: "cut-off", messageId: "cut-1" }]).catch(() => undefined);
      await until(() => count(harness, "events"), (n) => n === 1);
      // The request is still unanswered: its match waits on the lock.
      await until(
        async () => (await blocker.query<{ n: number }>("select count(*)::int as n from pg_locks where relation = 'enrollments'::regclass and not granted")).rows[0]?.n ?? 0,
        (n) => n > 0,
      );
      api.child.kill("SIGKILL");
      await api.exited;
      expect(await answer).toBeUndefined();
      // PostgreSQL has not noticed its client is gone (its backend waits on the lock): end it, as
      // it would be on its next read, so that the statement does not finish on its own.
      await blocker.query("select pg_terminate_backend(pid) from pg_locks where relation = 'enrollments'::regclass and not granted");
    } finally {
      await blocker.query("rollback");
      await blocker.end();
    }
    expect(await count(harness, "enrollments")).toBe(0);

    // The worker's next sweep, a minute on.
    clock.set(new Date(Date.now() + 60_000));
    expect(await runTask(harness, "sweep-events")).toMatchObject({ events: 1, enrolled: 1 });
    const enrolled = await queryRows(harness.deps.db, z.object({ customer: z.string() }), sql`select c.external_id as customer from enrollments en join customers c on c.id = en.customer_id where en.campaign_id = 'dunning'`);
    expect(enrolled).toEqual([{ customer: "cut-off" }]);
    expect(await runTask(harness, "sweep-events")).toMatchObject({ events: 0 });
  });
});
