import { sql } from "drizzle-orm";
import { z } from "zod";
import { ACTIVITY_TYPES } from "../../campaigns/index.js";
import { recordActivitySql } from "../../customers/index.js";
import { anonymousIds, col, type Db, queryRows, textArray } from "../../db/index.js";
import { unmatchedGroupSql } from "../../events/index.js";

/**
 * Records which customer each anonymous id belongs to (the first link wins) and returns the
 * anonymous ids linked by this call, whose earlier events still wait for a customer.
 */
export async function linkAnonymousIds(db: Db, links: Map<string, number>, now: Date): Promise<string[]> {
  if (links.size === 0) return [];
  const rows = await db
    .insert(anonymousIds)
    .values([...links].sort(([a], [b]) => (a < b ? -1 : 1)).map(([anonymousId, customerId]) => ({ anonymousId, customerId, createdAt: now })))
    .onConflictDoNothing({ target: anonymousIds.anonymousId })
    .returning({ anonymousId: anonymousIds.anonymousId });
  return rows.map((row) => row.anonymousId);
}

/** The customers that known anonymous ids belong to. */
export async function customersOfAnonymousIds(db: Db, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows(
    db,
    z.object({ anonymous_id: z.string(), customer_id: col.int8 }),
    sql`select anonymous_id, customer_id from anonymous_ids where anonymous_id = any(${textArray(ids)})`,
  );
  return new Map(rows.map((row) => [row.anonymous_id, row.customer_id]));
}

/**
 * Gives events stored before their anonymous id was linked to the customer it now belongs to, in
 * the same statement: their activity counts as the customer's (first and last seen), and they are
 * recorded as unmatched, so the sweep matches them to campaigns (a cancel-page visit made before
 * signing in is still that customer's visit).
 */
export async function attachAnonymousEvents(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(sql`
    with attached as (
      update events e set customer_id = a.customer_id
      from anonymous_ids a
      where a.anonymous_id = any(${textArray(ids)})
        and e.anonymous_id = a.anonymous_id
        and e.customer_id is null
      returning e.id, e.customer_id, e.type, e.source, e.occurred_at, e.received_at),
    activity as (${recordActivitySql(sql`select customer_id, max(occurred_at), min(occurred_at) from attached
      where type::text = any(${textArray([...ACTIVITY_TYPES])}) and source = 'segment' group by customer_id order by customer_id`)}),
    unmatched as (${unmatchedGroupSql(sql`attached`)})
    select 1`);
}
