import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { MIGRATIONS_FOLDER, openDatabase, col, queryRows } from "../src/db/index.js";
import { forgetEventPartitions, insertEvents } from "../src/events/index.js";
import { maintainEvents } from "../src/maintenance/index.js";
import { FixedClock } from "../src/time/index.js";
import { enrollments, resetState } from "./helpers/campaigns.js";
import { count, type Harness, post, runTask, startHarness } from "./helpers/harness.js";
import { databaseUrl, withAdmin } from "./helpers/postgres.js";
import { campaignYaml } from "./helpers/yaml.js";
import { present } from "./helpers/present.js";

const NOW = new Date("2026-11-22T12:00:00Z");

/** The partitions of `events`, by name. */
async function partitions(harness: Harness): Promise<string[]> {
  const rows = await queryRows(
    harness.deps.db,
    z.object({ name: z.string() }),
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

  it("stores an event dated 14 months back in its month, made on demand; old history starts nothing, but counts", async () => {
    expect(await partitions(harness)).not.toContain("events_2025_09");
    const backfill = await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "old-timer", event: "Plan Limit Reached", timestamp: "2025-09-20T10:00:00Z" },
        { type: "track", userId: "late-payer", event: "payment_failed", timestamp: "2025-09-10T08:00:00Z" },
      ],
    });
    expect(backfill.status).toBe(200);
    const stored = await queryRows(harness.deps.db, z.object({ name: z.string(), partition: z.string() }), sql`select name, tableoid::regclass::text as partition from events order by id`);
    expect(stored).toEqual([
      { name: "Plan Limit Reached", partition: "events_2025_09" },
      { name: "payment_failed", partition: "events_2025_09" },
    ]);
    // A moment 14 months gone starts no sequence now (EVENT_TRIGGER_MAX_AGE); the timeline still has it.
    expect(await enrollments(harness, "limit-hit")).toEqual([]);
    expect(await enrollments(harness, "dunning")).toEqual([]);
  });

  it("matches a late event that lands in last month's partition as it would a fresh one: the trigger, then the goal", async () => {
    clock.set(new Date("2026-12-02T06:00:00Z"));
    // Two days late, dated November: it goes to November's partition and still starts dunning.
    await post(harness, "/v1/track", { userId: "late-payer", event: "payment_failed", timestamp: "2026-11-30T08:00:00Z" });
    expect(await enrollments(harness, "dunning")).toMatchObject([{ customer: "late-payer", status: "active" }]);
    // The goal, late too and in the same old month, ends the sequence it came after.
    await post(harness, "/v1/track", { userId: "late-payer", event: "invoice_paid", timestamp: "2026-11-30T20:00:00Z" });
    expect(await enrollments(harness, "dunning")).toMatchObject([{ customer: "late-payer", status: "exited", end_reason: "goal: invoice_paid" }]);
    const months = await queryRows(harness.deps.db, z.object({ partition: z.string() }), sql`select distinct tableoid::regclass::text as partition from events`);
    expect(months).toEqual([{ partition: "events_2026_11" }]);
  });

  it("a goal reached after the moment, in the same month or the next, keeps the moment from starting a sequence", async () => {
    clock.set(new Date("2026-12-02T06:00:00Z"));
    // Paid on 1 December, delivered first; the failure it settled, dated 30 November, arrives after.
    await post(harness, "/v1/track", { userId: "settled", event: "invoice_paid", timestamp: "2026-12-01T10:00:00Z" });
    await post(harness, "/v1/track", { userId: "settled", event: "payment_failed", timestamp: "2026-11-30T08:00:00Z" });
    // Both in one batch, a minute apart, the day before: the same.
    await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "same-batch", event: "payment_failed", timestamp: "2026-12-01T08:00:00Z" },
        { type: "track", userId: "same-batch", event: "invoice_paid", timestamp: "2026-12-01T08:01:00Z" },
      ],
    });
    // Paid before the failure: that failure still needs the sequence.
    await post(harness, "/v1/batch", {
      batch: [
        { type: "track", userId: "paid-earlier", event: "invoice_paid", timestamp: "2026-11-03T08:00:00Z" },
        { type: "track", userId: "paid-earlier", event: "payment_failed", timestamp: "2026-12-01T08:00:00Z" },
      ],
    });
    expect(await enrollments(harness, "dunning")).toMatchObject([{ customer: "paid-earlier", status: "active" }]);
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
    const rows = await queryRows(harness.deps.db, z.object({ message_id: z.string(), n: col.int }), sql`select message_id, count(*)::int as n from events group by message_id`);
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
    const names = async () => (await queryRows(harness.deps.db, z.object({ name: z.string() }), sql`select name from events order by occurred_at`)).map((row) => row.name);
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

  it("finishes at the next run a drop that could not get its lock in time (a long query on customers), instead of queueing everyone behind it", async () => {
    await post(harness, "/v1/track", { userId: "u1", event: "Ancient", timestamp: "2024-06-01T00:00:00Z" });
    // A long report on customers holds a lock that dropping the month's foreign key must wait for.
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const report = harness.deps.db.transaction(async (tx) => {
      await tx.execute(sql`lock table customers in access share mode`);
      locked();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    try {
      expect(await runTask(harness, "prune-events")).toMatchObject({ dropped: [] });
      // Detached already: its events are gone from `events`, the table waits to be dropped.
      expect(await count(harness, "events")).toBe(0);
      expect(await partitions(harness)).not.toContain("events_2024_06");
    } finally {
      release();
      await report;
    }
    expect(await runTask(harness, "prune-events")).toMatchObject({ dropped: ["events_2024_06"] });
    expect(await queryRows(harness.deps.db, z.object({}), sql`select 1 from pg_class where relname = 'events_2024_06'`)).toEqual([]);
  });
});

/** A database migrated up to 0014 (events still one table), and Rekindle's own handle on it. */
async function oldShapeDatabase(name: string, folder: string) {
  await withAdmin((client) => client.query(`create database ${name}`));
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  const { migrate } = await import("drizzle-orm/node-postgres/migrator");
  const { drizzle } = await import("drizzle-orm/node-postgres");
  await migrate(drizzle(client), { migrationsFolder: folder }).finally(() => client.end());
  const database = await openDatabase({ url: databaseUrl(name), dataDir: folder, poolSize: 2 });
  const [customer] = await queryRows(database.db, z.object({ id: col.int8 }), sql`insert into customers (external_id) values ('c1') returning id`);
  // Three years of history, an anonymous event, ids with gaps, and a sequence run past the last id.
  await database.db.execute(sql`
    insert into events (id, message_id, type, name, customer_id, anonymous_id, properties, occurred_at, received_at)
    overriding system value values
      (3, 'm-a', 'track', 'Signed Up', ${present(customer, "customer").id}, null, '{"plan":"team"}', '2023-12-31T23:59:59.999Z', '2024-01-01T00:00:05Z'),
      (7, 'm-b', 'page', 'Pricing', null, 'anon-1', '{}', '2025-06-15T10:00:00Z', '2025-06-15T10:00:01Z'),
      (8, 'm-c', 'track', 'Logged In', ${present(customer, "customer").id}, null, '{}', '2026-11-01T00:00:00Z', '2026-11-01T00:00:02Z')`);
  await database.db.execute(sql`select setval('events_id_seq', 12)`);
  return { database, customerId: Number(present(customer, "customer").id) };
}

const eventRow = (messageId: string, customerId: number, at: Date) => ({
  messageId, type: "track" as const, name: "Clicked", customerId, anonymousId: null, properties: {}, context: {}, source: "segment", occurredAt: at, receivedAt: at,
});

describe("migration 0015 on a database holding events in the old shape", () => {
  const prefix = `rekindle_test_${process.pid}_migration_${Date.now() % 100_000}`;
  let folder: string;
  beforeAll(async () => {
    // The migrations as they were before 0015: the same files, the journal cut there.
    folder = await mkdtemp(join(tmpdir(), "rekindle-migrations-"));
    await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalPath = join(folder, "meta", "_journal.json");
    const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((entry) => entry.tag < "0015");
    await writeFile(journalPath, JSON.stringify(journal));
  });
  afterAll(async () => {
    await withAdmin(async (client) => {
      for (const suffix of ["copy", "online"]) await client.query(`drop database if exists ${prefix}_${suffix} with (force)`);
    });
    await rm(folder, { recursive: true, force: true });
  });

  it("keeps every event, its id and its messageId, continues the ids after the old ones, and keeps deletes cascading", async () => {
    const { database, customerId } = await oldShapeDatabase(`${prefix}_copy`, folder);
    try {
      const db = database.db;
      const before = await queryRows(db, z.object({ id: col.int, message_id: z.string(), type: z.string(), name: z.string(), customer_id: col.int.nullable(), anonymous_id: z.string().nullable(), properties: col.jsonObject, occurred_at: z.string(), received_at: z.string() }), sql`select id::int, message_id, type::text, name, customer_id::int, anonymous_id, properties, occurred_at, received_at from events order by id`);

      await database.migrate();
      forgetEventPartitions();

      const after = await queryRows(db, z.object({ id: col.int, message_id: z.string(), type: z.string(), name: z.string(), customer_id: col.int.nullable(), anonymous_id: z.string().nullable(), properties: col.jsonObject, occurred_at: z.string(), received_at: z.string() }), sql`select id::int, message_id, type::text, name, customer_id::int, anonymous_id, properties, occurred_at, received_at from events order by id`);
      expect(after).toEqual(before);
      const placed = await queryRows(db, z.object({ id: col.int, partition: z.string() }), sql`select id::int, tableoid::regclass::text as partition from events order by id`);
      expect(placed).toEqual([
        { id: 3, partition: "events_2023_12" },
        { id: 7, partition: "events_2025_06" },
        { id: 8, partition: "events_2026_11" },
      ]);
      expect(await queryRows(db, z.object({ message_id: z.string() }), sql`select message_id from event_message_ids order by 1`)).toEqual([{ message_id: "m-a" }, { message_id: "m-b" }, { message_id: "m-c" }]);
      expect(await queryRows(db, z.object({}), sql`select 1 from pg_class where relname = 'events_unpartitioned'`)).toEqual([]);
      // 0016: each customer's first activity on record, which returned_after_pause reads instead of every month.
      expect(await queryRows(db, z.object({ first: z.boolean() }), sql`select first_seen_at = '2023-12-31T23:59:59.999Z'::timestamptz as first from customer_activity`)).toEqual([{ first: true }]);

      // A replay of an old message stores nothing; a new one gets the id after the sequence's last.
      const at = new Date("2026-11-22T12:00:00Z");
      expect(await insertEvents(db, [eventRow("m-b", customerId, at)])).toEqual([]);
      const [fresh] = await insertEvents(db, [eventRow("m-new", customerId, at)]);
      expect(fresh?.id).toBe(13);

      // Deleting a customer still deletes their events, in every month.
      await db.execute(sql`delete from customers where id = ${customerId}`);
      expect(await queryRows(db, z.object({ id: col.int }), sql`select id::int from events order by id`)).toEqual([{ id: 7 }]);
    } finally {
      await database.close();
    }
  });

  it("leaves a table partitioned by hand the online way (the old table attached whole before a cut-over month) as it is, and ages that partition out whole", async () => {
    const { database, customerId } = await oldShapeDatabase(`${prefix}_online`, folder);
    try {
      const db = database.db;
      // The README's online steps, cut-over 2027-01-01. First while the old version still runs:
      await db.execute(sql.raw(`
        alter table events add constraint events_legacy_range check (occurred_at < '2027-01-01 00:00:00+00') not valid;
        alter table events validate constraint events_legacy_range;`));
      await db.execute(sql.raw("create unique index concurrently events_legacy_id_time_key on events (id, occurred_at)"));
      // Then, stopped, in one transaction:
      await db.execute(sql.raw(ONLINE_SWITCH));

      await database.migrate();
      // This process has been working on another database (the harness's) and knows its months.
      forgetEventPartitions();

      expect(await queryRows(db, z.object({ id: col.int, partition: z.string() }), sql`select id::int, tableoid::regclass::text as partition from events order by id`)).toEqual([
        { id: 3, partition: "events_legacy" },
        { id: 7, partition: "events_legacy" },
        { id: 8, partition: "events_legacy" },
      ]);
      // After the cut-over, months of their own; before it, the old table still takes a backfill.
      const stored = await insertEvents(db, [eventRow("m-later", customerId, new Date("2027-01-15T00:00:00Z")), eventRow("m-backfill", customerId, new Date("2025-06-20T00:00:00Z"))]);
      expect(stored.map((event) => event.id)).toEqual([13, 14]);
      expect(await queryRows(db, z.object({ id: col.int, partition: z.string() }), sql`select id::int, tableoid::regclass::text as partition from events where id > 8 order by id`)).toEqual([
        { id: 13, partition: "events_2027_01" },
        { id: 14, partition: "events_legacy" },
      ]);
      expect(await insertEvents(db, [eventRow("m-c", customerId, new Date("2026-11-01T00:00:00Z"))])).toEqual([]);

      // Two years after the cut-over, the old table goes whole.
      const result = await maintainEvents(db, new Date("2029-01-15T00:00:00Z"), { retention: "P730D", dedupeWindow: "P30D" });
      expect(result.dropped).toEqual(["events_legacy"]);
      expect(await queryRows(db, z.object({ id: col.int }), sql`select id::int from events order by id`)).toEqual([{ id: 13 }]);
    } finally {
      await database.close();
    }
  });
});

/** The README's switch to a partitioned table with the old one attached whole (cut-over 2027-01-01). */
const ONLINE_SWITCH = `
begin;
alter table events rename to events_legacy;
-- A partition has one primary key, the parent's (id, occurred_at): the index made beforehand becomes it.
alter table events_legacy drop constraint events_pkey;
alter index events_message_id_key rename to events_legacy_message_id_key;
alter index events_customer_name_time_idx rename to events_legacy_customer_name_time_idx;
alter index events_name_time_idx rename to events_legacy_name_time_idx;
alter index events_occurred_at_idx rename to events_legacy_occurred_at_idx;
alter index events_received_at_idx rename to events_legacy_received_at_idx;
alter index events_page_time_idx rename to events_legacy_page_time_idx;
alter index events_unlinked_anonymous_idx rename to events_legacy_unlinked_anonymous_idx;
alter sequence events_id_seq rename to events_legacy_id_seq;
create table events (like events_legacy including defaults) partition by range (occurred_at);
alter table events alter column id add generated always as identity (sequence name events_id_seq);
select setval('events_id_seq', greatest((select max(id) from events_legacy), (select last_value from events_legacy_id_seq)) + 1, false);
alter table events_legacy alter column id drop identity;
alter table events add constraint events_pkey primary key (id, occurred_at);
alter table events add constraint events_customer_id_customers_id_fk foreign key (customer_id) references customers (id) on delete cascade;
create index events_customer_name_time_idx on events (customer_id, name, occurred_at);
create index events_name_time_idx on events (name, occurred_at);
create index events_occurred_at_idx on events (occurred_at);
create index events_received_at_idx on events (received_at);
create index events_page_time_idx on events (occurred_at) where type = 'page';
create index events_unlinked_anonymous_idx on events (anonymous_id) where customer_id is null;
alter table events attach partition events_legacy for values from (minvalue) to ('2027-01-01 00:00:00+00');
create table event_message_ids (message_id text primary key, stored_at timestamptz not null default now());
insert into event_message_ids (message_id, stored_at)
  select message_id, received_at from events_legacy where received_at > now() - interval '30 days';
create index event_message_ids_stored_at_idx on event_message_ids (stored_at);
commit;`;
