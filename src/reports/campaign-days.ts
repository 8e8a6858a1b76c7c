import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../db/index.js";
import type { GroupFigures } from "./uplift.js";
import { lastDays, periodsJson } from "./periods.js";

/** One day of a campaign, in the reader's time zone. */
export interface CampaignDay {
  /** The calendar date (`2026-11-30`) in the time zone asked for. */
  day: string;
  /** Its first moment (local midnight), ISO. */
  from: string;
  /** Emails sent that day, whenever their customers entered. */
  emailsSent: number;
  /** Customers who entered that day, held out ones included. */
  entered: number;
  /**
   * That day's emailed (not held out) entrants who reached the goal, counted as the campaign report
   * counts them: an exit goal within the conversion window, or for a retention goal, not cancelled
   * within it (only entrants whose goal time has passed are counted, so recent days have none).
   */
  goal: GroupFigures;
}

/** A campaign day by day: what the campaign screen draws as bars (emails sent) and a line (goal rate). */
export interface CampaignDays {
  campaign: string;
  timeZone: string;
  days: CampaignDay[];
}

export interface CampaignDaysOptions {
  /** How many days back, today included. */
  days: number;
  now: Date;
  /** The IANA zone whose midnights divide the days. */
  timeZone: string;
  conversionWindow: string;
  retentionGoal?: string;
}

/**
 * Emails sent, entrants and goal rate per day over the last `days` days. Each count is an index
 * range per day: sends by `messages_sent_at_idx`, entrants by `enrollments_campaign_entered_idx`.
 */
export async function campaignDays(db: Db, campaign: string, options: CampaignDaysOptions): Promise<CampaignDays> {
  const periods = lastDays(options.now, options.days, options.timeZone);
  const days = sql`jsonb_to_recordset(${periodsJson(periods)}::jsonb) as p(i int, start_at timestamptz, end_at timestamptz)`;
  const now = sql`${options.now.toISOString()}::timestamptz`;
  const sent = await queryRows(
    db,
    z.object({ i: col.int, n: col.int }),
    sql`select p.i, (select count(*)::int from messages m
                     where m.status = 'sent' and m.sent_at >= p.start_at and m.sent_at < p.end_at and m.kind = 'email'
                       and m.campaign_version_id in (select id from campaign_versions where campaign_id = ${campaign})) as n
        from ${days}`,
  );
  const converted = options.retentionGoal
    ? sql`en.entered_at + ${options.retentionGoal}::interval <= ${now} and not exists (select 1 from events ev where ev.customer_id = en.customer_id and ev.name = 'subscription_canceled'
            and ev.occurred_at >= en.entered_at and ev.occurred_at < en.entered_at + ${options.retentionGoal}::interval)`
    : sql`en.goal_reached_at is not null and en.goal_reached_at <= en.entered_at + ${options.conversionWindow}::interval`;
  const measured = options.retentionGoal ? sql`en.entered_at + ${options.retentionGoal}::interval <= ${now}` : sql`true`;
  const entrants = await queryRows(
    db,
    z.object({ i: col.int, entered: col.int, measured: col.int, converted: col.int }),
    sql`select p.i, count(en.id)::int as entered,
               count(en.id) filter (where not en.holdout and ${measured})::int as measured,
               count(en.id) filter (where not en.holdout and ${converted})::int as converted
        from ${days}
        left join enrollments en on en.campaign_id = ${campaign} and en.entered_at >= p.start_at and en.entered_at < p.end_at
        group by p.i`,
  );
  return {
    campaign,
    timeZone: options.timeZone,
    days: periods.map((period, i) => {
      const people = entrants.find((row) => row.i === i);
      const measuredCount = people?.measured ?? 0;
      const convertedCount = people?.converted ?? 0;
      return {
        day: period.day,
        from: period.start.toISOString(),
        emailsSent: sent.find((row) => row.i === i)?.n ?? 0,
        entered: people?.entered ?? 0,
        goal: { entered: measuredCount, converted: convertedCount, rate: measuredCount > 0 ? convertedCount / measuredCount : null },
      };
    }),
  };
}
