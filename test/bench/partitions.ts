/**
 * The event-reading work against `events` partitioned by month, next to the same rows in one plain
 * table (`bench_flat.events`, `like events including all`): the scans that read events
 * (cancel-save's cancel_page_visited, onboarding-nudge's not_activated), matching a batch of
 * just-stored events (with and without its time range), and looking events up by id alone (what
 * an exit goal does for the trigger event). Each statement runs in a transaction rolled back
 * afterwards, so both sides see the same data; the plain table is reached by putting its schema
 * first on the search_path, so the very same SQL runs against it.
 */
import { sql, TransactionRollbackError } from "drizzle-orm";
import { z } from "zod";
import type { CampaignCatalog } from "../../src/campaigns/index.js";
import { matchEvents, scanCampaign } from "../../src/campaigns/index.js";
import { col, type Db, queryRows, type Tx } from "../../src/db/index.js";
import { present } from "../helpers/present.js";

export interface EventPartitionsOptions {
  now: Date;
  /** Runs of each measurement per side; the median is reported. Default 3. */
  repeat?: number;
  log?: (line: string) => void;
}

interface Side {
  partitionedMs: number;
  flatMs: number;
  ratio: number;
}

const SCANNED = ["cancel-save", "onboarding-nudge"];
const BATCH = 100;
const LOOKUPS = 2_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Runs `work` in a transaction that is rolled back; returns how long `work` took. */
async function timedRolledBack(db: Db, flat: boolean, work: (tx: Tx) => Promise<unknown>): Promise<number> {
  let ms = 0;
  await db
    .transaction(async (tx) => {
      if (flat) await tx.execute(sql`set local search_path = bench_flat, public`);
      const t = performance.now();
      await work(tx);
      ms = performance.now() - t;
      tx.rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof TransactionRollbackError)) throw error;
    });
  return ms;
}

/** The same work on both sides, alternating, `repeat` times each. */
async function compare(db: Db, repeat: number, work: (tx: Tx) => Promise<unknown>): Promise<Side> {
  const partitioned: number[] = [];
  const flat: number[] = [];
  for (let i = 0; i < repeat; i++) {
    partitioned.push(await timedRolledBack(db, false, work));
    flat.push(await timedRolledBack(db, true, work));
  }
  const p = median(partitioned);
  const f = median(flat);
  return { partitionedMs: Math.round(p * 10) / 10, flatMs: Math.round(f * 10) / 10, ratio: +(p / f).toFixed(2) };
}

export async function benchEventPartitions(db: Db, campaigns: CampaignCatalog, options: EventPartitionsOptions): Promise<Record<string, unknown>> {
  const repeat = options.repeat ?? 3;
  const log = options.log ?? (() => {});
  const [shape] = await queryRows(
    db,
    z.object({ partitions: col.int, events: col.int }),
    sql`select (select count(*)::int from pg_inherits where inhparent = 'events'::regclass) as partitions, (select count(*)::int from events) as events`,
  );
  const t = performance.now();
  await db.execute(sql`drop schema if exists bench_flat cascade`);
  await db.execute(sql`create schema bench_flat`);
  await db.execute(sql`create table bench_flat.events (like public.events including all)`);
  await db.execute(sql`insert into bench_flat.events overriding system value select * from public.events`);
  await db.execute(sql`analyze bench_flat.events`);
  await db.execute(sql`analyze public.events`);
  const copyMs = Math.round(performance.now() - t);
  const { events, partitions } = present(shape, "the events table's shape");
  log(`events partitions: ${events} events in ${partitions} partitions; plain copy made in ${copyMs} ms`);

  try {
    const scans: Record<string, Side> = {};
    for (const id of SCANNED) {
      const campaign = campaigns.get(id);
      if (!campaign) continue;
      scans[id] = await compare(db, repeat, (tx) => scanCampaign(tx, campaign, options.now));
      log(`  scan ${id}: ${JSON.stringify(scans[id])}`);
    }

    // A batch as ingestion hands it to the matcher: the latest events of customers.
    const batch = (
      await queryRows(
        db,
        z.object({ id: col.int8, name: z.string(), type: z.string(), source: z.string(), customer_id: col.int8, occurred_at: col.timestamp, properties: col.jsonObject }),
        sql`select id, name, type::text as type, source, customer_id, occurred_at, properties from events
            where customer_id is not null and occurred_at <= ${options.now.toISOString()}::timestamptz
            order by occurred_at desc limit ${BATCH}`,
      )
    ).map((row) => ({ id: row.id, name: row.name, type: row.type, source: row.source, customerId: row.customer_id, occurredAt: row.occurred_at, properties: row.properties }));
    const match = await compare(db, repeat, (tx) => matchEvents(tx, campaigns, batch, options.now));
    log(`  matchEvents of ${batch.length}: ${JSON.stringify(match)}`);

    // Looking events up by id alone, as the exit goal does for the event that started an enrollment.
    const ids = (await queryRows(db, z.object({ id: col.int8 }), sql`select id from events tablesample system (1) limit ${LOOKUPS}`)).map((row) => row.id);
    // JIT off for this one: 2,000 lookups in one statement cost enough to be compiled, which an
    // exit goal's handful never is, and the compile time would hide the probes being measured.
    const lookup = await compare(db, repeat, async (tx) => {
      await tx.execute(sql`set local jit = off`);
      await tx.execute(sql`select count((select t.occurred_at from events t where t.id = g)) from unnest(${`{${ids.join(",")}}`}::bigint[]) g`);
    });
    const perLookupUs = { partitioned: Math.round((lookup.partitionedMs * 1000) / Math.max(1, ids.length)), flat: Math.round((lookup.flatMs * 1000) / Math.max(1, ids.length)) };
    log(`  ${ids.length} lookups by id: ${JSON.stringify(lookup)}, µs each ${JSON.stringify(perLookupUs)}`);

    return { ...shape, plainCopyMs: copyMs, repeat, scans, matchBatch: { events: batch.length, ...match }, lookupById: { ids: ids.length, ...lookup, perLookupUs } };
  } finally {
    await db.execute(sql`drop schema if exists bench_flat cascade`);
  }
}
