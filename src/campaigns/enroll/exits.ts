import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../../db/index.js";
import type { CampaignCatalog, LoadedCampaign } from "../catalog.js";
import type { ExitGoal } from "../definition/index.js";
import { conditionSql, type EventSelection, narrowSelection, propertiesSql, selectedEventsSql, SqlScope } from "../compile/index.js";

type EventGoal = Extract<ExitGoal, { event: string }>;

/** The running campaigns with an exit goal among these event names, each with those goals by name. */
export function exitGoalsFor(catalog: CampaignCatalog, names: Iterable<string>): { campaign: LoadedCampaign; goals: Map<string, EventGoal[]> }[] {
  const byCampaign = new Map<string, { campaign: LoadedCampaign; goals: Map<string, EventGoal[]> }>();
  for (const name of new Set(names)) {
    for (const { campaign, goals } of catalog.exitingOn(name)) {
      const entry = byCampaign.get(campaign.id) ?? { campaign, goals: new Map<string, EventGoal[]>() };
      entry.goals.set(name, goals);
      byCampaign.set(campaign.id, entry);
    }
  }
  return [...byCampaign.values()];
}

/**
 * Ends one campaign's active enrollments whose exit goal event arrived (after they entered): the
 * card was updated, the invoice was paid, the customer logged in. Goal name by goal name; returns
 * how many ended.
 */
export async function exitCampaignOnEvents(db: Db, campaign: LoadedCampaign, goalsByName: Map<string, EventGoal[]>, selection: EventSelection, now: Date): Promise<number> {
  let ended = 0;
  for (const [name, goals] of goalsByName) {
    // Only this goal's events travel with its statements; with none of them, there is nothing to run.
    const narrowed = narrowSelection(selection, (event) => event.name === name);
    if (!narrowed) continue;
    const scope = new SqlScope(now);
    const matches = sql.join(
      goals.map((goal) => sql`(${propertiesSql(goal.where, sql`e.properties`, scope)})`),
      sql` or `,
    );
    // A goal reached after the sequence ended (or was stopped) still counts as a conversion when
    // it falls inside the conversion window: the measurement must not depend on how long the
    // sequence is. Both in one statement: an active enrollment ends, an ended one without a goal
    // yet records it.
    const inWindow = sql`e.occurred_at <= en.entered_at + ${campaign.definition.conversion_window}::interval`;
    const at = sql`${now.toISOString()}::timestamptz`;
    const rows = await queryRows(
      db,
      z.object({ id: col.int8, exited: z.boolean() }),
      // The selected events first, materialised, then each one's enrollments in the campaign by
      // customer (an index lookup per event): the cost follows the batch, not the campaign's size.
      sql`
        with e as materialized (
          select e.id, e.name, e.customer_id, e.occurred_at from ${selectedEventsSql(narrowed)}
          where e.name = ${name} and e.customer_id is not null and (${matches})),
        hit as (
          select distinct on (x.id) x.id, x.in_window, e.name, e.occurred_at
          from e cross join lateral (
            select en.id, ${inWindow} as in_window from enrollments en
            -- By the customer's enrollments (a handful), the campaign only as a filter: with
            -- statistics taken before a campaign grew, the planner believes it has one enrollment
            -- and would walk all of them for every event, through the (campaign, entered_at) index.
            where en.customer_id = e.customer_id and en.campaign_id || '' = ${campaign.id}
              and (en.status = 'active' or (en.goal_reached_at is null and ${inWindow}))
              -- After the moment that started it (the trigger event's own time when there is one:
              -- billing events can be delivered late, and "paid" must still end "payment failed").
              -- The trigger's time is in the facts it recorded (an event trigger's occurredAt, a
              -- cancel-page visit's visitedAt), not looked up by id: that lookup would probe (and
              -- plan for) every month's partition of events, for every group of events matched.
              and e.occurred_at >= coalesce((en.matched_facts ->> 'occurredAt')::timestamptz,
                (en.matched_facts ->> 'visitedAt')::timestamptz, en.entered_at)
            -- Not flattened into a join: a hash over every enrollment of the campaign is what this avoids.
            offset 0) x
          order by x.id, e.occurred_at)
        update enrollments en set
          status = case when en.status = 'active' then 'exited' else en.status end,
          ended_at = case when en.status = 'active' then ${at} else en.ended_at end,
          end_reason = case when en.status = 'active' then 'goal: ' || hit.name else en.end_reason end,
          goal_reached_at = hit.occurred_at
        from hit
        -- Checked again on the row as it is now: it may have ended since (then only inside the window).
        where en.id = hit.id and (en.status = 'active' or (en.goal_reached_at is null and hit.in_window))
        returning en.id, (en.status = 'exited' and en.ended_at = ${at} and en.end_reason = 'goal: ' || hit.name) as exited`,
    );
    ended += rows.filter((row) => row.exited).length;
  }
  return ended;
}

/** Ends active enrollments whose exit condition now holds (checked by the scan). */
export async function exitOnConditions(db: Db, campaign: LoadedCampaign, now: Date): Promise<number> {
  const goals = campaign.definition.exit.flatMap((goal) => ("condition" in goal ? [goal.condition] : []));
  if (goals.length === 0) return 0;
  const scope = new SqlScope(now);
  const holds = sql.join(goals.map((goal) => conditionSql(goal, scope)), sql` or `);
  const rows = await queryRows(
    db,
    z.object({ id: col.int8 }),
    sql`
      update enrollments en set status = 'exited', ended_at = ${now.toISOString()}::timestamptz,
        end_reason = 'goal: condition', goal_reached_at = ${now.toISOString()}::timestamptz
      from customers c ${scope.joins()}
      where en.campaign_id = ${campaign.id} and en.status = 'active' and c.id = en.customer_id and (${holds})
      returning en.id`,
  );
  return rows.length;
}
