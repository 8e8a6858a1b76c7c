import { sql } from "drizzle-orm";
import { z } from "zod";
import { type Db, queryRows, textArray } from "../db/index.js";

/**
 * `events` is partitioned by month of `occurred_at` (UTC); an event can only be stored once its
 * month's partition exists. The maintenance task creates the coming months ahead; an event dated
 * elsewhere (a backfill of old history, a client clock far off) has its month created on demand by
 * the insert. Both go through `events_ensure_partition` (migration 0015), which is safe to call
 * from several processes at once.
 */

/** The first day (UTC) of the month holding `date`, as `YYYY-MM-01`: how a partition is known. */
export function monthOf(date: Date): string {
  return `${date.toISOString().slice(0, 7)}-01`;
}

/** The instant the partition holding `date` starts: the first day of its month, 00:00 UTC. */
export function partitionStart(date: Date): Date {
  return new Date(`${monthOf(date)}T00:00:00Z`);
}

/** The first day of the month `count` months after `month`'s. */
export function addMonths(month: string, count: number): string {
  const date = new Date(`${month}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + count);
  return monthOf(date);
}

/**
 * Months this process knows have a partition, so that the common insert (this month's events)
 * costs no query. Only the current month and later ones are remembered: retention drops past
 * months, possibly from another process, so a past month is asked about again at each insert that
 * holds one (one catalog lookup, for backfills only). Keyed by month alone: a process works
 * against one database.
 */
const knownMonths = new Set<string>();

/**
 * Makes sure each month (`YYYY-MM-01`) has its partition; returns the months this call created.
 * Run inside the caller's transaction: a new month's partition is committed with the events that
 * needed it. Creating one takes a SHARE UPDATE EXCLUSIVE lock on `events` (reads and inserts go on)
 * and, for the foreign key, SHARE ROW EXCLUSIVE on `customers` until the transaction ends.
 * `now` decides which months are remembered; it is the wall clock by default, since which past
 * months retention may have dropped depends on time passing, not on any event's time.
 */
export async function ensureEventPartitions(db: Db, months: Iterable<string>, now: Date = new Date()): Promise<string[]> {
  const current = monthOf(now);
  const wanted = [...new Set(months)].filter((month) => !knownMonths.has(month)).sort();
  if (wanted.length === 0) return [];
  const rows = await queryRows(
    db,
    z.object({ month: z.string(), created: z.boolean() }),
    sql`select m as month, events_ensure_partition(m::date) as created from unnest(${textArray(wanted)}) as m`,
  );
  for (const month of wanted) if (month >= current) knownMonths.add(month);
  return rows.filter((row) => row.created).map((row) => row.month);
}

/**
 * Forgets what this process knew: after an insert found a month without its partition (dropped
 * meanwhile), or when the process turns to another database.
 */
export function forgetEventPartitions(): void {
  knownMonths.clear();
}

/** PostgreSQL's refusal of a row no partition takes. */
export function isMissingPartitionError(error: unknown): boolean {
  for (let current = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (current.code === "23514" && /no partition of relation/.test(String(current.message))) return true;
    current = current.cause as typeof current;
  }
  return false;
}
