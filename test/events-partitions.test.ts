import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER, openDatabase, queryRows } from "../src/db/index.js";
import { insertEvents } from "../src/events/index.js";
import { FixedClock } from "../src/time/index.js";
import { enrollments, resetState } from "./helpers/campaigns.js";
import { count, type Harness, post, runTask, startHarness } from "./helpers/harness.js";
import { databaseUrl, withAdmin } from "./helpers/postgres.js";
import { campaignYaml } from "./helpers/yaml.js";

const NOW = new Date("2026-11-22T12:00:00Z");

/** The partitions of `events`, by name. */
async function partitions(harness: Harness): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    harness.deps.db,
    sql`select c.relname::text as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'events'::regclass order by 1`,
  );
  return rows.map((row) => row.name);
}

describe("events partitioned by month", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    harness = await startHarness({
      clock,
      campaigns: {
        "limit-hit": campaignYaml("limit-hit", { type: "event", name: "Plan Limit Reached" }),
        dunning: campaignYaml("dunning", { type: "payment_failed" }, "reentry: always\nexit:\n  - event: invoice_paid"),
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

  it("stores an event dated 14 months back in its month, made on demand, and triggers and exit goals act on it as on a fresh one", async () => {
    expect(await partitions(harness)).not.toContain("events_2025_09");
    const backfill = await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "old-timer", event: "Plan Limit Reached", timestamp: "2025-09-20T10:00:00Z" },
        { type: "track", userId: "late-payer", event: "payment_failed", timestamp: "2025-09-10T08:00:00Z" },
      ],
    });
    expect(backfill.status).toBe(200);
    const stored = await queryRows<{ name: string; partition: string }>(harness.deps.db, sql`select name, tableoid::regclass::text as partition from events order by id`);
    expect(stored).toEqual([
      { name: "Plan Limit Reached", partition: "events_2025_09" },
      { name: "payment_failed", partition: "events_2025_09" },
    ]);
    expect(await enrollments(harness, "limit-hit")).toMatchObject([{ customer: "old-timer", status: "active" }]);
    expect(await enrollments(harness, "dunning")).toMatchObject([{ customer: "late-payer", status: "active" }]);

    // The goal, backfilled too, in the month after (a partition of its own): it ends the sequence it came after.
    await post(harness, "/v1/track", { userId: "late-payer", event: "invoice_paid", timestamp: "2025-10-02T09:00:00Z" });
    expect(await enrollments(harness, "dunning")).toMatchObject([{ customer: "late-payer", status: "exited", end_reason: "goal: invoice_paid" }]);
    expect(await partitions(harness)).toEqual(expect.arrayContaining(["events_2025_09", "events_2025_10"]));
  });

  it("stores each messageId once when 20 requests carrying overlapping ids arrive at once, even with times in different months", async () => {
    // Request i carries m-i … m-(i+9): 29 ids in all, most in several requests; a retried message's time may move across a month
    // boundary (its skew correction follows sentAt), so no (messageId, time) key could catch it.
    const requests = Array.from({ length: 20 }, (_, i) =>
      post(harness, "/v1/batch", {
        batch: Array.from({ length: 10 }, (_, k) => ({
          type: "track",
          userId: `u${(i + k) % 30}`,
          event: "Clicked",
          messageId: `m-${(i + k) % 30}`,
          timestamp: i % 2 === 0 ? "2026-10-31T23:59:59.900Z" : "2026-11-01T00:00:00.100Z",
        })),
      }),
    );
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const rows = await queryRows<{ message_id: string; n: number }>(harness.deps.db, sql`select message_id, count(*)::int as n from events group by message_id`);
    expect(rows).toHaveLength(29);
    expect(rows.every((row) => row.n === 1)).toBe(true);
    expect(await count(harness, "event_message_ids")).toBe(29);
    // And a replay later, whatever its time, still stores nothing.
    await post(harness, "/v1/track", { userId: "u3", event: "Clicked", messageId: "m-3", timestamp: "2026-11-20T00:00:00Z" });
    expect(await count(harness, "events")).toBe(29);
  });

  it("has this month and the next two ahead; the maintenance drops whole months past EVENT_RETENTION and forgets messageIds past EVENT_DEDUPE_WINDOW", async () => {
    // EVENT_RETENTION is P730D: the cut-off is 2024-11-22, so October 2024 is gone whole and November 2024 stays.
    await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "u1", event: "Ancient", messageId: "ancient", timestamp: "2024-10-15T00:00:00Z" },
        { type: "track", userId: "u1", event: "Old", messageId: "old", timestamp: "2024-11-10T00:00:00Z" },
        { type: "track", userId: "u1", event: "Recent", messageId: "recent", timestamp: "2026-11-20T00:00:00Z" },
      ],
    });
    // The dedupe window (P30D) counts from when a messageId was stored: make one of them 40 days old.
    await harness.deps.db.execute(sql`update event_message_ids set stored_at = ${NOW.toISOString()}::timestamptz - interval '40 days' where message_id = 'old'`);
    const result = await runTask(harness, "prune-events");
    expect(result).toMatchObject({ dropped: ["events_2024_10"], forgotten: 1 });
    expect(await partitions(harness)).toEqual(expect.arrayContaining(["events_2024_11", "events_2026_11", "events_2026_12", "events_2027_01"]));
    expect(await partitions(harness)).not.toContain("events_2024_10");
    const names = async () => (await queryRows<{ name: string }>(harness.deps.db, sql`select name from events order by occurred_at`)).map((row) => row.name);
    expect(await names()).toEqual(["Old", "Recent"]);

    // Within the window a replay is recognised; past it, the message is taken as new.
    await post(harness, "/v1/track", { userId: "u1", event: "Recent", messageId: "recent", timestamp: "2026-11-20T00:00:00Z" });
    await post(harness, "/v1/track", { userId: "u1", event: "Old", messageId: "old", timestamp: "2024-11-10T00:00:00Z" });
    expect(await names()).toEqual(["Old", "Old", "Recent"]);

    // A month later, February 2027 is made ahead, and November 2024 is all past retention.
    clock.set(new Date("2026-12-15T00:00:00Z"));
    expect(await runTask(harness, "prune-events")).toMatchObject({ created: ["2027-02-01"], dropped: ["events_2024_11"] });
    expect(await names()).toEqual(["Recent"]);
  });

  it("takes back an event of a month dropped meanwhile, and lets it go again at the next run", async () => {
    await post(harness, "/v1/track", { userId: "u1", event: "Ancient", timestamp: "2024-06-01T00:00:00Z" });
    expect(await runTask(harness, "prune-events")).toMatchObject({ dropped: ["events_2024_06"] });
    const again = await post(harness, "/v1/track", { userId: "u1", event: "Ancient again", timestamp: "2024-06-02T00:00:00Z" });
    expect(again.status).toBe(200);
    expect(await count(harness, "events")).toBe(1);
    expect(await runTask(harness, "prune-events")).toMatchObject({ dropped: ["events_2024_06"] });
    expect(await count(harness, "events")).toBe(0);
  });
});

describe("migration 0015 on a database holding events in the old shape", () => {
  const name = `rekindle_test_${process.pid}_migration_${Date.now() % 100_000}`;
  let folder: string;
  beforeAll(async () => {
    await withAdmin((client) => client.query(`create database ${name}`));
    // The migrations as they were before 0015: the same files, the journal cut there.
    folder = await mkdtemp(join(tmpdir(), "rekindle-migrations-"));
    await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalPath = join(folder, "meta", "_journal.json");
    const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((entry) => entry.tag < "0015");
    await writeFile(journalPath, JSON.stringify(journal));
  });
  afterAll(async () => {
    await withAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
    await rm(folder, { recursive: true, force: true });
  });

  it("keeps every event, its id and its messageId, continues the ids after the old ones, and keeps deletes cascading", async () => {
    const { migrate } = await import("drizzle-orm/node-postgres/migrator");
    const { drizzle } = await import("drizzle-orm/node-postgres");
    const database = await openDatabase({ url: databaseUrl(name), dataDir: folder, poolSize: 2 });
    try {
      const db = database.db;
      const client = new pg.Client({ connectionString: databaseUrl(name) });
      await client.connect();
      await migrate(drizzle(client), { migrationsFolder: folder }).finally(() => client.end());
      const [customer] = await queryRows<{ id: string }>(db, sql`insert into customers (external_id) values ('c1') returning id`);
      // Three years of history, an anonymous event, ids with gaps, and a sequence run past the last id.
      await db.execute(sql`
        insert into events (id, message_id, type, name, customer_id, anonymous_id, properties, occurred_at, received_at)
        overriding system value values
          (3, 'm-a', 'track', 'Signed Up', ${customer!.id}, null, '{"plan":"team"}', '2023-12-31T23:59:59.999Z', '2024-01-01T00:00:05Z'),
          (7, 'm-b', 'page', 'Pricing', null, 'anon-1', '{}', '2025-06-15T10:00:00Z', '2025-06-15T10:00:01Z'),
          (8, 'm-c', 'track', 'Logged In', ${customer!.id}, null, '{}', '2026-11-01T00:00:00Z', '2026-11-01T00:00:02Z')`);
      await db.execute(sql`select setval('events_id_seq', 12)`);
      const before = await queryRows(db, sql`select id::int, message_id, type::text, name, customer_id::int, anonymous_id, properties, occurred_at, received_at from events order by id`);

      await database.migrate();

      const after = await queryRows(db, sql`select id::int, message_id, type::text, name, customer_id::int, anonymous_id, properties, occurred_at, received_at from events order by id`);
      expect(after).toEqual(before);
      const placed = await queryRows<{ id: number; partition: string }>(db, sql`select id::int, tableoid::regclass::text as partition from events order by id`);
      expect(placed).toEqual([
        { id: 3, partition: "events_2023_12" },
        { id: 7, partition: "events_2025_06" },
        { id: 8, partition: "events_2026_11" },
      ]);
      expect(await queryRows(db, sql`select message_id from event_message_ids order by 1`)).toEqual([{ message_id: "m-a" }, { message_id: "m-b" }, { message_id: "m-c" }]);
      const none = await queryRows(db, sql`select 1 from pg_class where relname = 'events_unpartitioned'`);
      expect(none).toEqual([]);

      // A replay of an old message stores nothing; a new one gets the id after the sequence's last.
      const at = new Date("2026-11-22T12:00:00Z");
      const row = (messageId: string) => ({ messageId, type: "track" as const, name: "Clicked", customerId: Number(customer!.id), anonymousId: null, properties: {}, context: {}, source: "segment", occurredAt: at, receivedAt: at });
      expect(await insertEvents(db, [row("m-b")])).toEqual([]);
      const [fresh] = await insertEvents(db, [row("m-new")]);
      expect(fresh?.id).toBe(13);

      // Deleting a customer still deletes their events, in every month.
      await db.execute(sql`delete from customers where id = ${customer!.id}`);
      expect(await queryRows(db, sql`select id::int from events order by id`)).toEqual([{ id: 7 }]);
    } finally {
      await database.close();
    }
  });
});
