import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../db/index.js";

// Deleting in slices keeps each transaction short, so ingestion never waits behind a big delete.
const SLICE = 10_000;

/**
 * Forgets the messageIds stored before `cutoff` (EVENT_DEDUPE_WINDOW ago), oldest first, a slice
 * at a time; returns how many. A message sent again after that is stored again.
 */
export async function forgetMessageIds(db: Db, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const [row] = await queryRows(
      db,
      z.object({ deleted: col.int }),
      sql`with doomed as (
            select message_id from event_message_ids where stored_at < ${cutoff.toISOString()}::timestamptz
            order by stored_at limit ${SLICE})
          , gone as (delete from event_message_ids m using doomed d where m.message_id = d.message_id returning 1)
          select count(*)::int as deleted from gone`,
    );
    const deleted = row?.deleted ?? 0;
    total += deleted;
    if (deleted < SLICE) return total;
  }
}
