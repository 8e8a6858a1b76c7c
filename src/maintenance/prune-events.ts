import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/index.js";

// Deleting in slices keeps each transaction short, so ingestion never waits behind a big delete.
const SLICE = 10_000;

/** Deletes events that happened before `cutoff`; returns how many. */
export async function pruneEvents(db: Db, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const [row] = await queryRows<{ deleted: number }>(
      db,
      sql`with doomed as (
            select id from events where occurred_at < ${cutoff.toISOString()}::timestamptz
            order by occurred_at limit ${SLICE})
          , gone as (delete from events where id in (select id from doomed) returning 1)
          select count(*)::int as deleted from gone`,
    );
    const deleted = row?.deleted ?? 0;
    total += deleted;
    if (deleted < SLICE) return total;
  }
}
