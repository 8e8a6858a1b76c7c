import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows, scheduledTasks } from "../db/index.js";

/** A task a worker offers to run: its name and how often. */
export interface TaskTiming {
  name: string;
  everyMs: number;
}

/**
 * Claims the tasks whose time has come and that no live worker is running: moves each one's next
 * run an interval ahead and takes its lease, in one statement that concurrent workers serialise
 * on (the row lock), so each run is claimed by exactly one of them. A task seen for the first time
 * is created claimed: it runs at once. Times are PostgreSQL's, shared by every worker.
 */
export async function claimDueTasks(db: Db, tasks: readonly TaskTiming[], owner: string, leaseMs: number): Promise<{ name: string; state: Record<string, unknown> }[]> {
  if (tasks.length === 0) return [];
  const values = tasks.map((task) => ({ name: task.name, every_ms: task.everyMs }));
  return queryRows(
    db,
    z.object({ name: z.string(), state: col.jsonObject }),
    sql`insert into scheduled_tasks as t (name, next_run_at, running_by, running_until, last_started_at)
        select v.name, clock_timestamp() + v.every_ms * interval '1 millisecond', ${owner}, clock_timestamp() + ${leaseMs} * interval '1 millisecond', clock_timestamp()
        from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(name text, every_ms bigint)
        on conflict (name) do update set next_run_at = excluded.next_run_at, running_by = excluded.running_by,
          running_until = excluded.running_until, last_started_at = excluded.last_started_at
        where t.next_run_at <= clock_timestamp() and (t.running_until is null or t.running_until < clock_timestamp())
        returning t.name, t.state`,
  );
}

/** Renews the leases of the tasks this worker is running. */
export async function renewTaskLeases(db: Db, names: readonly string[], owner: string, leaseMs: number): Promise<void> {
  if (names.length === 0) return;
  await db.execute(sql`update scheduled_tasks set running_until = clock_timestamp() + ${leaseMs} * interval '1 millisecond'
                       where name in (select jsonb_array_elements_text(${JSON.stringify(names)}::jsonb)) and running_by = ${owner}`);
}

/** Records how a run ended and lets go of it (only if this worker still holds it). */
export async function finishTask(
  db: Db,
  name: string,
  owner: string,
  run: { durationMs: number; error: string | null; result: Record<string, unknown> | null; state: Record<string, unknown> | undefined },
): Promise<void> {
  await db.execute(sql`update scheduled_tasks set running_by = null, running_until = null, last_finished_at = clock_timestamp(),
                         last_duration_ms = ${run.durationMs}, last_error = ${run.error}, last_result = ${run.result === null ? null : JSON.stringify(run.result)}::jsonb,
                         state = coalesce(${run.state === undefined ? null : JSON.stringify(run.state)}::jsonb, state)
                       where name = ${name} and running_by = ${owner}`);
}

/** Every task as ops see it (`rekindle status`). */
export interface TaskStatus {
  name: string;
  nextRunAt: string;
  runningBy: string | null;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastDurationMs: number | null;
  lastError: string | null;
  lastResult: Record<string, unknown> | null;
  state: Record<string, unknown>;
}

export async function listTasks(db: Db): Promise<TaskStatus[]> {
  const rows = await db
    .select({
      name: scheduledTasks.name,
      nextRunAt: scheduledTasks.nextRunAt,
      // Only a live lease means it is running: a worker that died still has its name there.
      runningBy: sql<string | null>`case when ${scheduledTasks.runningUntil} > clock_timestamp() then ${scheduledTasks.runningBy} end`,
      lastStartedAt: scheduledTasks.lastStartedAt,
      lastFinishedAt: scheduledTasks.lastFinishedAt,
      lastDurationMs: scheduledTasks.lastDurationMs,
      lastError: scheduledTasks.lastError,
      lastResult: scheduledTasks.lastResult,
      state: scheduledTasks.state,
    })
    .from(scheduledTasks)
    .orderBy(scheduledTasks.name);
  const iso = (value: Date | null) => value?.toISOString() ?? null;
  return rows.map((row) => ({ ...row, nextRunAt: row.nextRunAt.toISOString(), lastStartedAt: iso(row.lastStartedAt), lastFinishedAt: iso(row.lastFinishedAt) }));
}
