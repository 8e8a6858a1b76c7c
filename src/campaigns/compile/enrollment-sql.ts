import { type SQL, sql } from "drizzle-orm";
import type { LoadedCampaign } from "../catalog.js";
import { planFrom, type Reentry } from "../definition/index.js";
import { partitionStart } from "../../events/index.js";
import { conditionSql } from "./condition-sql.js";
import { scheduleCtes } from "./schedule-sql.js";
import type { ScanCandidates } from "./trigger-sql.js";
import { duration, type SqlScope, textList } from "./scope.js";

/**
 * How each candidate's enrollments are found. `by-campaign` lets the planner choose (scans: it
 * may hash the campaign's enrollments once). `by-customer` walks the candidate's own enrollments
 * (a handful), the campaign only as a filter: for events, where the candidates are few and the
 * statement runs often, and where statistics taken before a campaign grew would have the planner
 * believe the campaign has one enrollment and walk all of them for every candidate.
 */
export type EnrollmentLookup = "by-campaign" | "by-customer";

/**
 * Who may enter now: not while an enrollment is active, never twice for the same moment, and
 * then as the campaign's re-entry policy says. The unique indexes enforce the first two under
 * concurrency; these predicates keep the statement (and the dry run) from even proposing them.
 */
export function reentrySql(campaignId: string, reentry: Reentry, scope: SqlScope, lookup: EnrollmentLookup = "by-campaign"): SQL {
  // On the candidate's customer id, so these are checked before the customer row is even read.
  const mine =
    lookup === "by-campaign"
      ? sql`x.campaign_id = ${campaignId} and x.customer_id = m.customer_id`
      : sql`x.customer_id = m.customer_id and x.campaign_id || '' = ${campaignId}`;
  if (reentry === "never") return sql`not exists (select 1 from enrollments x where ${mine})`;
  // One probe of the customer's enrollments in the campaign answers every rule at once.
  const recently = reentry === "always" ? sql`` : sql` or x.entered_at > ${scope.nowSql()} - ${duration(reentry.after)}`;
  return sql`not exists (select 1 from enrollments x where ${mine} and (x.status = 'active' or x.trigger_key = m.trigger_key${recently}))`;
}

/**
 * Whether customer `c` is in the campaign's holdout: the first 32 bits of md5(campaign:customer)
 * as a fraction of 2^32, below the share. Deterministic, so re-entry keeps the group, and uniform.
 */
export function holdoutSql(campaignId: string, share: number): SQL {
  if (share <= 0) return sql`false`;
  return sql`((('x' || substr(md5(${campaignId}::text || ':' || c.external_id), 1, 8))::bit(32)::bigint)::float8 / 4294967296.0 < ${share}::float8)`;
}

/**
 * A candidate query, or a scan's candidates in two parts (what must still hold is checked after
 * re-entry).
 */
export type Candidates = SQL | ScanCandidates;

/** Candidates (`m`), joined to their customer (`c`), filtered by audience and re-entry. */
export function qualifiedSql(
  campaign: LoadedCampaign,
  candidates: Candidates,
  scope: SqlScope,
  lookup: EnrollmentLookup = "by-campaign",
  /** No candidate's moment is earlier than this (the selected events' earliest time): lets the goal's probe be planned for those months alone. */
  momentsFrom?: Date,
): { from: SQL; where: SQL } {
  const audience = campaign.definition.audience ? conditionSql(campaign.definition.audience, scope) : sql`true`;
  // A goal already reached after the moment (a "paid" delivered before its "payment failed") means there is nothing to do.
  const goals = campaign.definition.exit.flatMap((goal) => ("event" in goal ? [goal.event] : []));
  // For events, a probe of each candidate's own events, run per candidate (OFFSET 0 keeps it a
  // subquery) by the customer's index. Its lower bound only prunes the months before the moments,
  // so it is where the earliest moment's partition starts: the moment itself would have the
  // planner, whose statistics end before the events just stored, expect nothing after it and read
  // every event since, for every candidate — 600 rows each at the bench's rate of ingestion.
  const eventPath = lookup === "by-customer";
  const from = momentsFrom && (eventPath ? partitionStart(momentsFrom) : momentsFrom);
  const goalReached =
    goals.length > 0
      ? sql` and not exists (select 1 from events g where g.customer_id = m.customer_id and g.name = any(${textList(goals)}) and g.occurred_at >= m.sort_at${
          from ? sql` and g.occurred_at >= ${from.toISOString()}::timestamptz` : sql``
        }${eventPath ? sql` offset 0` : sql``})`
      : sql``;
  const reentry = reentrySql(campaign.id, campaign.definition.reentry, scope, lookup);
  // Joins are rendered after the conditions, which is when we know which ones they need.
  // Support stopped this customer and blocked new sequences for a while.
  const unblocked = sql` and (c.enrollment_blocked_until is null or c.enrollment_blocked_until <= ${scope.nowSql()})`;
  // Each candidate's customer by primary key, never a hash over the whole customer base: the
  // lookup is kept out of the planner's join reordering (OFFSET 0), so the cost of a scan follows
  // its candidates, not the number of customers.
  const customer = sql`cross join lateral (select c0.* from customers c0 where c0.id = m.customer_id offset 0) c`;
  // Re-entry first, inside a fence of its own: one index probe per candidate rejects the moments
  // already enrolled, so a scan that finds nothing new does no other per-candidate work.
  // Then what must still hold of a moment (a probe each), for the few re-entry leaves.
  const { moments, stillHolds } = "moments" in candidates ? candidates : { moments: candidates, stillHolds: undefined };
  const unenrolled = sql`(select * from (${moments}) m where ${reentry} offset 0) m`;
  const fresh = stillHolds ? sql`(select * from ${unenrolled} where ${stillHolds}) m` : unenrolled;
  // The subscription and card the audience asks about by the candidate's id, before the customer
  // row: an audience on them alone (the usual "while they pay") sets a candidate aside unread.
  return { from: sql`${fresh} ${scope.joins(sql`m.customer_id`)} ${customer}`, where: sql`${audience}${goalReached}${unblocked}` };
}

/**
 * One statement that enrolls every qualifying candidate: set-based, idempotent (ON CONFLICT DO
 * NOTHING against the unique indexes), one enrollment per customer (their earliest moment).
 */
export function enrollSql(campaign: LoadedCampaign, candidates: Candidates, scope: SqlScope, defaultTimeZone: string, lookup: EnrollmentLookup = "by-campaign", momentsFrom?: Date): SQL {
  const { from, where } = qualifiedSql(campaign, candidates, scope, lookup, momentsFrom);
  const [first] = campaign.definition.steps;
  if (!first) throw new Error(`campaign ${campaign.id} has no steps`);
  const plan = planFrom(campaign.definition, first.id);
  // The enrollments and their first outbox rows, in one statement.
  return sql`
    with enrolled as (
      insert into enrollments (campaign_id, campaign_version_id, customer_id, status, current_step_id,
                               matched_facts, trigger_key, trigger_event_id, entered_at, holdout)
      select distinct on (c.id) ${campaign.id}, ${campaign.versionId}, c.id, 'active', ${plan.target?.id ?? null},
             m.facts, m.trigger_key, m.trigger_event_id, ${scope.nowSql()}, ${holdoutSql(campaign.id, campaign.definition.holdout)}
      from ${from}
      where ${where}
      order by c.id, m.sort_at, m.trigger_key
      on conflict do nothing
      returning id, customer_id, trigger_key),
    ${scheduleCtes(campaign, plan, scope.nowSql(), defaultTimeZone, { updateEnrollments: false })}
    select id, customer_id, trigger_key from enrolled`;
}

/** The same selection without enrolling: how many, and a sample with the facts. */
export function dryRunSql(campaign: LoadedCampaign, candidates: Candidates, scope: SqlScope, sample: number): SQL {
  const { from, where } = qualifiedSql(campaign, candidates, scope);
  return sql`
    select q.customer_id, q.external_id, q.email, q.facts, q.trigger_key, count(*) over () as total
    from (
      select distinct on (c.id) c.id as customer_id, c.external_id, c.email, m.facts, m.trigger_key
      from ${from}
      where ${where}
      order by c.id, m.sort_at, m.trigger_key
    ) q
    order by q.customer_id
    limit ${sample}`;
}
