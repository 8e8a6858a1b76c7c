import { sql } from "drizzle-orm";
import { z } from "zod";
import { bigintArray, col, type Db, eventType, queryRows } from "../../db/index.js";
import type { CampaignCatalog } from "../catalog.js";
import { matchEvents, type MatchResult } from "./match-events.js";

/**
 * Forgets the groups of events whose matching has finished (`unmatched_events`, written by the
 * statement that stored them): given the ids matched, the groups whose first id is among them.
 */
export async function forgetMatchedEvents(db: Db, eventIds: readonly number[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db.execute(sql`delete from unmatched_events where first_event_id = any(${bigintArray(eventIds)})`);
}

/** Events one matching pass of the sweep takes at most (a bigger group is taken alone). */
const EVENTS_PER_PASS = 10_000;

export interface SweepResult extends MatchResult {
  /** Events matched by this sweep. */
  events: number;
}

/**
 * The safety net: matches the events still recorded as unmatched that were stored before `before`
 * (younger ones are left to the match that their own process is running) — a process died between
 * its commit and its match, matching failed past its retries, or anonymous events were attached to
 * a customer — oldest first, in passes of about EVENTS_PER_PASS, until none is left or `budgetMs`
 * has passed (the rest waits for the next run). Each group is forgotten once its pass has matched;
 * a pass that fails leaves its groups for the next run. Matching the same events twice (this and
 * the immediate match at once) changes nothing: the unique indexes see to that.
 */
export async function sweepUnmatchedEvents(
  db: Db,
  catalog: CampaignCatalog,
  before: Date,
  now: Date,
  defaultTimeZone = "UTC",
  budgetMs = 30_000,
  eventsPerPass = EVENTS_PER_PASS,
): Promise<SweepResult> {
  const started = performance.now();
  const result: SweepResult = { exited: new Map(), enrolled: new Map(), events: 0 };
  let after = 0;
  while (performance.now() - started < budgetMs) {
    const groups = await queryRows(
      db,
      z.object({ first_event_id: col.int8, n: col.int, occurred_from: col.timestamp, occurred_to: col.timestamp }),
      sql`select first_event_id, cardinality(event_ids) as n, occurred_from, occurred_to from unmatched_events
          where stored_at < ${before.toISOString()}::timestamptz and first_event_id > ${after}
          order by first_event_id limit 100`,
    );
    if (groups.length === 0) break;
    const taken: number[] = [];
    let size = 0;
    let from = Infinity;
    let to = -Infinity;
    for (const group of groups) {
      if (taken.length > 0 && size + group.n > eventsPerPass) break;
      taken.push(group.first_event_id);
      size += group.n;
      from = Math.min(from, group.occurred_from.getTime());
      to = Math.max(to, group.occurred_to.getTime());
    }
    after = taken[taken.length - 1] ?? after;
    // A group larger than a pass (none that ingestion writes; an upgrade's or a hand-made one) is
    // read and matched a slice of its ids at a time, and forgotten once every slice is matched.
    for (let slice = 0; slice < size; slice += eventsPerPass) {
      const ids = sql`array(select unnest(event_ids) from unmatched_events where first_event_id = any(${bigintArray(taken)}) order by 1)`;
      const events = await queryRows(
        db,
        z.object({ id: col.int8, name: z.string(), type: z.enum(eventType.enumValues), source: z.string(), customerId: col.int8.nullable(), occurredAt: col.timestamp, properties: col.jsonObject }),
        // The groups' time range as constants, so that only their months' partitions are planned and read
        // (a millisecond wider on each side: PostgreSQL keeps microseconds that a JavaScript Date does not).
        sql`select e.id, e.name, e.type, e.source, e.customer_id as "customerId", e.occurred_at as "occurredAt", e.properties
            from events e
            where e.id = any((${ids})[${slice + 1}:${slice + eventsPerPass}])
              and e.occurred_at between ${new Date(from - 1).toISOString()}::timestamptz and ${new Date(to + 1).toISOString()}::timestamptz`,
      );
      const matched = await matchEvents(db, catalog, events, now, defaultTimeZone);
      result.events += events.length;
      for (const [campaign, count] of matched.exited) result.exited.set(campaign, (result.exited.get(campaign) ?? 0) + count);
      for (const [campaign, list] of matched.enrolled) result.enrolled.set(campaign, [...(result.enrolled.get(campaign) ?? []), ...list]);
    }
    await forgetMatchedEvents(db, taken);
  }
  return result;
}
