import { sql } from "drizzle-orm";
import { z } from "zod";
import { type Db, isTransientDbError, queryRows } from "../db/index.js";

/** Marks a partition detached for retention, so that a drop left undone is finished by the next run. */
const DOOMED = "rekindle: past EVENT_RETENTION, to be dropped";

/**
 * How long the drop may wait for its lock. Dropping a table whose foreign key points at `customers`
 * takes ACCESS EXCLUSIVE on `customers` for an instant; queued behind a long scan, it would hold up
 * every query on customers meanwhile. It gives up instead, and the next run tries again.
 */
const DROP_LOCK_TIMEOUT = "3s";

/**
 * Drops the partitions of `events` whose every row happened before `cutoff` (their upper bound is
 * at or before it); returns the names of those dropped, oldest first. Retention thus removes a
 * month at a time: no row-by-row delete, no dead rows for vacuum, no index to shrink.
 *
 * Each is first marked and detached CONCURRENTLY (SHARE UPDATE EXCLUSIVE on `events`: reads and
 * inserts go on), then dropped on its own; a plain DROP of a partition would take ACCESS EXCLUSIVE
 * on `events` and queue every query behind the longest running one. A detach interrupted half way
 * (the process stopped) is finished on the next run, and so is a drop that could not get its lock.
 * Needs a connection outside any transaction (DETACH CONCURRENTLY does its own two).
 */
export async function dropEventPartitions(db: Db, cutoff: Date): Promise<string[]> {
  // The upper bound is read back from the partition's bound expression, so a partition not named
  // after its month (the pre-partitioning table attached whole) ages out the same way.
  const past = await queryRows(
    db,
    z.object({ name: z.string(), pending: z.boolean() }),
    sql`select name, pending from (
          select c.relname::text as name, i.inhdetachpending as pending,
            (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz as upper_bound
          from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'events'::regclass) p
        where upper_bound <= ${cutoff.toISOString()}::timestamptz
        order by upper_bound`,
  );
  for (const { name, pending } of past) {
    if (pending) {
      await db.execute(sql`alter table events detach partition ${sql.identifier(name)} finalize`);
    } else {
      await db.execute(sql`comment on table ${sql.identifier(name)} is ${sql.raw(`'${DOOMED}'`)}`);
      await db.execute(sql`alter table events detach partition ${sql.identifier(name)} concurrently`);
    }
  }
  const detached = await queryRows(
    db,
    z.object({ name: z.string() }),
    sql`select c.relname::text as name from pg_class c
        join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
        where d.description = ${DOOMED} and c.relkind = 'r' and not c.relispartition
          and c.relnamespace = current_schema()::regnamespace
        order by c.relname`,
  );
  const dropped: string[] = [];
  for (const { name } of detached) {
    try {
      await db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = ${sql.raw(`'${DROP_LOCK_TIMEOUT}'`)}`);
        await tx.execute(sql`drop table ${sql.identifier(name)}`);
      });
      dropped.push(name);
    } catch (error) {
      // Its lock not granted in time (or PostgreSQL briefly away): it stays marked for the next run.
      if (!isTransientDbError(error)) throw error;
    }
  }
  return dropped;
}
