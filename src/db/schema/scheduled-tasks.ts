import { integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The periodic work of the workers (dispatch, scans, the sweep, maintenance), scheduled in
 * PostgreSQL rather than Redis so that losing Redis loses no schedule. Each run is claimed by one
 * worker process: it moves `next_run_at` forward and holds `running_until`, a lease it renews while
 * it runs (a worker that dies mid-run lets the next one in when the lease lapses).
 */
export const scheduledTasks = pgTable("scheduled_tasks", {
  name: text("name").primaryKey(),
  nextRunAt: timestamp("next_run_at", { withTimezone: true }).notNull(),
  /** The process running it now (host:pid), while it runs. */
  runningBy: text("running_by"),
  runningUntil: timestamp("running_until", { withTimezone: true }),
  lastStartedAt: timestamp("last_started_at", { withTimezone: true }),
  lastFinishedAt: timestamp("last_finished_at", { withTimezone: true }),
  lastDurationMs: integer("last_duration_ms"),
  /** The last run's error message, or null when it succeeded. */
  lastError: text("last_error"),
  /** What the last run returned (counts), for `rekindle status`. */
  lastResult: jsonb("last_result").$type<Record<string, unknown>>(),
  /** What a task carries from one run to the next (the scans' timings). */
  state: jsonb("state").$type<Record<string, unknown>>().notNull().default({}),
});
export type ScheduledTask = typeof scheduledTasks.$inferSelect;
