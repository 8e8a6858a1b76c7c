import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/index.js";

/**
 * Drops the partitions of `events` whose every row happened before `cutoff` (their upper bound is
 * at or before it); returns their names, oldest first. Retention thus removes a month at a time:
 * no row-by-row delete, no dead rows for vacuum, no index to shrink.
 *
 * Each is first detached CONCURRENTLY (SHARE UPDATE EXCLUSIVE on `events`: reads and inserts go on)
 * and then dropped on its own; a plain DROP would take ACCESS EXCLUSIVE on `events` and queue every
 * query behind the longest running one. A detach interrupted half way (the process stopped) is
 * finished on the next run. Needs a connection outside any transaction (DETACH CONCURRENTLY does
 * its own two).
 */
export async function dropEventPartitions(db: Db, cutoff: Date): Promise<string[]> {
  // The upper bound is read back from the partition's bound expression, so a partition not named
  // after its month (the pre-partitioning table attached whole) ages out the same way.
  const doomed = await queryRows<{ name: string; pending: boolean }>(
    db,
    sql`select name, pending from (
          select c.relname::text as name, i.inhdetachpending as pending,
            (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz as upper_bound
          from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'events'::regclass) p
        where upper_bound <= ${cutoff.toISOString()}::timestamptz
        order by upper_bound`,
  );
  for (const { name, pending } of doomed) {
    await db.execute(sql`alter table events detach partition ${sql.identifier(name)} ${pending ? sql`finalize` : sql`concurrently`}`);
    await db.execute(sql`drop table ${sql.identifier(name)}`);
  }
  return doomed.map((partition) => partition.name);
}
