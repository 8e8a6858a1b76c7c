import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../deps/index.js";
import { col, queryRows } from "../db/index.js";
import { listTasks, type TaskStatus } from "../schedule/index.js";

/** The figures ops look at: one screen (`rekindle status`), and the same numbers in /metrics. */
export interface Status {
  at: string;
  queues: Record<string, Record<string, number>>;
  /** The workers' periodic tasks (dispatch, scans, sweep, maintenance): when each last ran and runs next. */
  tasks: TaskStatus[];
  /**
   * Whether a worker is alive, as the periodic tasks tell: one is running a task now, or the tasks
   * run on time. `lastSeenAt` is when a worker last started or finished one (null: never).
   */
  workers: { running: boolean; lastSeenAt: string | null };
  outbox: {
    /** Scheduled messages whose time has come. */
    due: number;
    /** Seconds the oldest due, unsent message has waited (0 when none). */
    lagSeconds: number;
    inFlight: number;
  };
  lastHour: { sent: number; failed: number; uncertain: number; avgSendLatencySeconds: number | null; eventsReceived: number };
  uncertainTotal: number;
  campaigns: { id: string; state: "running" | "disabled" | "invalid" | "paused"; detail: string | null }[];
  globalPause: { by: string; reason: string | null; until: string | null } | null;
  /** Cancel-flow decisions not yet in billing: being retried, and handed to support to apply by hand. */
  cancelFlow: { retrying: number; withSupport: number };
  /** Conditions ops should fix, in words (e.g. PostgreSQL running without autovacuum). */
  warnings: string[];
}

/** Server settings Rekindle relies on: without autovacuum, statistics go stale after bulk writes and plans go wrong. */
async function databaseWarnings(deps: Pick<Deps, "db" | "database">): Promise<string[]> {
  if (deps.database.kind !== "postgres") return [];
  const [settings] = await queryRows(
    deps.db,
    z.object({ autovacuum: z.string(), track_counts: z.string() }),
    sql`select current_setting('autovacuum') as autovacuum, current_setting('track_counts') as track_counts`,
  );
  return settings?.autovacuum === "on" && settings.track_counts === "on"
    ? []
    : ["PostgreSQL runs without autovacuum: statistics go stale after bulk writes and queries slow down (a campaign report went from 34 ms to 15 s in the bench). Turn autovacuum on, or run ANALYZE regularly."];
}

/** Job counts per queue, or undefined when Redis does not answer within `timeoutMs` (its commands wait for it to come back). */
async function queueCounts(deps: Pick<Deps, "queues">, timeoutMs: number): Promise<Status["queues"] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const counts = Promise.all(deps.queues.all().map(async (queue) => [queue.name, await queue.getJobCounts("waiting", "delayed", "active", "failed", "completed")] as const));
  try {
    const result = await Promise.race([counts, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]);
    return result && Object.fromEntries(result);
  } finally {
    clearTimeout(timer);
  }
}

/** A task whose run is this late has no worker to run it. */
const overdueMs = (everyMs: number) => Math.max(60_000, 3 * everyMs);

/** How late a task's run is (ms), and whether that is later than a live worker would let it be. */
function lateness(task: TaskStatus, now: Date): { late: number; overdue: boolean } {
  const every = task.lastStartedAt ? new Date(task.nextRunAt).getTime() - new Date(task.lastStartedAt).getTime() : 60_000;
  const late = now.getTime() - new Date(task.nextRunAt).getTime();
  return { late, overdue: task.runningBy === null && late > overdueMs(every) };
}

/** A worker is alive when it holds a task now or the tasks run on time; none has run when there are no tasks. */
function workerState(tasks: TaskStatus[], now: Date): Status["workers"] {
  const seen = tasks.flatMap((t) => [t.lastStartedAt, t.lastFinishedAt]).filter((at): at is string => at !== null);
  return {
    running: tasks.some((task) => !lateness(task, now).overdue),
    lastSeenAt: seen.length > 0 ? new Date(Math.max(...seen.map((at) => new Date(at).getTime()))).toISOString() : null,
  };
}

/** What the task list says ops should know: no worker running them, or a task failing. */
function taskWarnings(tasks: TaskStatus[], now: Date): string[] {
  const warnings: string[] = [];
  for (const task of tasks) {
    const { late, overdue } = lateness(task, now);
    if (overdue) {
      warnings.push(`The ${task.name} task is ${Math.round(late / 1000)} s overdue: no worker is running (start one with \`rekindle worker\` or \`rekindle start\`).`);
    } else if (task.lastError) {
      warnings.push(`The last ${task.name} run failed: ${task.lastError}`);
    }
  }
  return warnings;
}

export async function collectStatus(deps: Pick<Deps, "db" | "database" | "queues" | "clock">): Promise<Status> {
  const now = deps.clock.now();
  const at = sql`${now.toISOString()}::timestamptz`;
  const queues = await queueCounts(deps, 2_000);
  const tasks = await listTasks(deps.db);
  const [outbox] = await queryRows(
    deps.db,
    z.object({ due: col.int, oldest: col.timestamp.nullable(), in_flight: col.int }),
    sql`select (select count(*)::int from messages where status = 'scheduled' and due_at <= ${at}) as due,
               (select min(due_at) from messages where status in ('scheduled', 'queued') and due_at <= ${at}) as oldest,
               (select count(*)::int from messages where status in ('queued', 'sending')) as in_flight`,
  );
  const [hour] = await queryRows(
    deps.db,
    z.object({ sent: col.int, failed: col.int, uncertain: col.int, latency: col.numeric.nullable(), events: col.int, uncertain_total: col.int }),
    sql`select (select count(*)::int from messages where status = 'sent' and sent_at > ${at} - interval '1 hour') as sent,
               (select count(*)::int from messages where status = 'failed' and updated_at > ${at} - interval '1 hour') as failed,
               (select count(*)::int from messages where status = 'uncertain' and updated_at > ${at} - interval '1 hour') as uncertain,
               (select avg(extract(epoch from sent_at - due_at)) from messages where status = 'sent' and sent_at > ${at} - interval '1 hour') as latency,
               (select count(*)::int from events where received_at > ${at} - interval '1 hour') as events,
               (select count(*)::int from messages where status = 'uncertain') as uncertain_total`,
  );
  const campaigns = await queryRows(
    deps.db,
    z.object({ id: z.string(), enabled: z.boolean(), load_error: z.array(z.looseObject({ message: z.string() })).nullable(), paused_by: z.string().nullable(), reason: z.string().nullable() }),
    sql`select c.id, c.enabled, c.load_error, p.created_by as paused_by, p.reason from campaigns c
        left join lateral (select created_by, reason from pauses where scope = 'campaign' and campaign_id = c.id and lifted_at is null
                           and (until is null or until > ${at}) limit 1) p on true order by c.id`,
  );
  const [decisions] = await queryRows(
    deps.db,
    z.object({ retrying: col.int, support: col.int }),
    sql`select count(*) filter (where apply_status in ('pending', 'failed'))::int as retrying, count(*) filter (where apply_status = 'support')::int as support
        from cancel_sessions where apply_status in ('pending', 'failed', 'support')`,
  );
  const [global] = await queryRows(
    deps.db,
    z.object({ created_by: z.string(), reason: z.string().nullable(), until: z.string().nullable() }),
    sql`select created_by, reason, until from pauses where scope = 'global' and lifted_at is null and (until is null or until > ${at}) limit 1`,
  );
  // Each is one aggregate row, always there.
  if (!outbox || !hour || !decisions) throw new Error("a status count returned no row");
  return {
    at: now.toISOString(),
    queues: queues ?? {},
    tasks,
    // Task timing is PostgreSQL's clock, not the (possibly injected) one of the figures below.
    workers: workerState(tasks, new Date()),
    outbox: { due: outbox.due, lagSeconds: outbox.oldest ? Math.max(0, Math.round((now.getTime() - outbox.oldest.getTime()) / 1000)) : 0, inFlight: outbox.in_flight },
    lastHour: { sent: hour.sent, failed: hour.failed, uncertain: hour.uncertain, avgSendLatencySeconds: hour.latency === null ? null : Math.round(hour.latency * 10) / 10, eventsReceived: hour.events },
    uncertainTotal: hour.uncertain_total,
    campaigns: campaigns.map((c) => ({
      id: c.id,
      state: c.load_error ? "invalid" : c.paused_by ? "paused" : c.enabled ? "running" : "disabled",
      detail: c.load_error ? `${c.load_error.length} problem(s): ${c.load_error[0]?.message ?? ""}` : c.paused_by ? `paused by ${c.paused_by}: ${c.reason ?? ""}` : null,
    })),
    globalPause: global ? { by: global.created_by, reason: global.reason, until: global.until } : null,
    cancelFlow: { retrying: decisions.retrying, withSupport: decisions.support },
    warnings: [
      ...(decisions.support > 0
        ? [`${decisions.support} cancel-flow decision(s) could not be applied and wait for support: list them with GET /api/cancel-sessions?applyStatus=support, apply each in billing, then POST /api/cancel-sessions/:id/resolve.`]
        : []),
      ...(queues ? [] : ["Redis is not answering: nothing new reaches the send queue until it is back (nothing is lost; see Operations)."]),
      // Task timing is PostgreSQL's clock, not the (possibly injected) one of the figures above.
      ...taskWarnings(tasks, new Date()),
      ...(await databaseWarnings(deps)),
    ],
  };
}
