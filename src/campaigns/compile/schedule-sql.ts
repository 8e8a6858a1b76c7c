import { type SQL, sql } from "drizzle-orm";
import type { LoadedCampaign } from "../catalog.js";
import type { Plan } from "../definition/index.js";
import { duration } from "./scope.js";

/**
 * The next occurrence of a local time of day (`09:00`) at or after `at`, in time zone `tz`:
 * Postgres does the calendar and daylight-saving arithmetic.
 */
function nextLocalTime(at: SQL, tz: SQL, time: string): SQL {
  return sql`(select (case when date_trunc('day', l.t) + ${time}::time >= l.t
                       then date_trunc('day', l.t) + ${time}::time
                       else date_trunc('day', l.t) + interval '1 day' + ${time}::time end) at time zone ${tz}
              from (select (${at}) at time zone ${tz} as t) l)`;
}

/** When a plan's target falls due, starting from `start`, for a customer in time zone `tz`. */
export function dueSql(plan: Plan, start: SQL, tz: SQL): SQL {
  let at = start;
  for (const wait of plan.waits) {
    if (wait.duration) at = sql`(${at} + ${duration(wait.duration)})`;
    if (wait.until) at = nextLocalTime(at, tz, wait.until);
  }
  return at;
}

/**
 * Common table expressions that schedule a plan's step for the enrollments in the CTE named
 * `enrolled` (columns `id`, `customer_id`): one outbox row each, or the enrollment completes when
 * the plan is the end. Set-based, so a scan that enrolls 20,000 customers schedules them in the
 * same statement. They must sit at the top level of a WITH (Postgres allows data-modifying CTEs
 * nowhere else), and cannot see rows another CTE of the statement inserted: new enrollments get
 * their `current_step_id` in their own INSERT (`updateEnrollments: false`).
 */
export function scheduleCtes(campaign: LoadedCampaign, plan: Plan, start: SQL, defaultTimeZone: string, options: { updateEnrollments: boolean }): SQL {
  if (!plan.target) {
    return sql`completed as (
      update enrollments en set status = 'completed', ended_at = ${start}, end_reason = 'completed', current_step_id = null
      from enrolled e where en.id = e.id and en.status = 'active' returning en.id)`;
  }
  const tz = sql`coalesce(c.timezone, ${defaultTimeZone}::text)`;
  const scheduled = sql`scheduled as (
      insert into messages (enrollment_id, step_id, kind, category, priority, campaign_version_id, customer_id, status, due_at, created_at, updated_at)
      select e.id, ${plan.target.id}, ${plan.target.type}, ${campaign.definition.category}, ${campaign.definition.priority},
             ${campaign.versionId}, e.customer_id, 'scheduled', ${dueSql(plan, start, tz)}, ${start}, ${start}
      from enrolled e join customers c on c.id = e.customer_id
      on conflict (enrollment_id, step_id) do nothing
      returning enrollment_id)`;
  if (!options.updateEnrollments) return scheduled;
  return sql`${scheduled}, advanced as (
      update enrollments en set current_step_id = ${plan.target.id}
      from scheduled s where en.id = s.enrollment_id returning en.id)`;
}
