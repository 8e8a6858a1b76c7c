import { type SQL, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/index.js";

/** One month's churn, as the literature defines it. MRR figures are in minor units, per currency. */
export interface MonthChurn {
  month: string;
  customersAtStart: number;
  customersLost: number;
  /** lost ÷ at start. */
  customerChurnRate: number | null;
  /** Lost customers whose cancellation followed a failed payment (within 30 days): involuntary. */
  lostInvoluntary: number;
  lostVoluntary: number;
  mrr: Record<
    string,
    {
      starting: number;
      lost: number;
      contraction: number;
      expansion: number;
      /** (lost + contraction) ÷ starting. */
      grossChurnRate: number | null;
      /** (lost + contraction − expansion) ÷ starting. */
      netChurnRate: number | null;
    }
  >;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/**
 * The subscription's MRR at a moment, from the events that record every change
 * (subscription_started, upgraded, downgraded carry `mrrMinor`), else its current MRR.
 */
function mrrAt(at: SQL): SQL {
  return sql`coalesce((select (ev.properties ->> 'mrrMinor')::bigint from events ev
      where ev.customer_id = s.customer_id and ev.name in ('subscription_started', 'upgraded', 'downgraded')
        and ev.properties ->> 'subscriptionId' = s.external_id and ev.occurred_at < ${at}
      order by ev.occurred_at desc, ev.id desc limit 1), case when s.status = 'canceled' then 0 else s.mrr_minor end)`;
}

/**
 * Customer churn, gross and net MRR churn, and the voluntary/involuntary split, per calendar
 * month (UTC) from `from` to `to`. `cohort` restricts to customers who entered a campaign (`in`)
 * or never did (`out`), to compare the two.
 */
export async function churnByMonth(db: Db, from: Date, to: Date, cohort?: { campaign: string; entered: boolean }): Promise<MonthChurn[]> {
  const months: MonthChurn[] = [];
  const who = cohort
    ? sql` and ${cohort.entered ? sql`` : sql`not`} exists (select 1 from enrollments en where en.customer_id = s.customer_id and en.campaign_id = ${cohort.campaign})`
    : sql``;
  for (let start = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1)); start < to; start = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))) {
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    const S = ts(start);
    const E = ts(end);
    // Subscriptions live at the start of the month: the base everything is divided by.
    const live = sql`s.started_at < ${S} and (s.canceled_at is null or s.canceled_at >= ${S})${who}`;
    const [counts] = await queryRows<{ at_start: number; lost: number; involuntary: number }>(
      db,
      sql`with base as (
            select s.customer_id, bool_and(s.canceled_at is not null and s.canceled_at < ${E}) as lost,
                   max(s.canceled_at) filter (where s.canceled_at < ${E}) as lost_at
            from subscriptions s where ${live} group by s.customer_id)
          select count(*)::int as at_start, count(*) filter (where lost)::int as lost,
                 count(*) filter (where lost and exists (select 1 from events pf where pf.customer_id = base.customer_id and pf.name = 'payment_failed'
                   and pf.occurred_at <= base.lost_at and pf.occurred_at > base.lost_at - interval '30 days'))::int as involuntary
          from base`,
    );
    const money = await queryRows<{ currency: string; starting: string; lost: string; contraction: string; expansion: string }>(
      db,
      sql`select s.currency::text as currency,
                 sum(${mrrAt(S)})::bigint as starting,
                 coalesce(sum(${mrrAt(sql`s.canceled_at`)}) filter (where s.canceled_at < ${E}), 0)::bigint as lost,
                 coalesce(sum((select sum(-(ev.properties ->> 'mrrChangeMinor')::bigint) from events ev where ev.customer_id = s.customer_id and ev.name = 'downgraded'
                   and ev.properties ->> 'subscriptionId' = s.external_id and ev.occurred_at >= ${S} and ev.occurred_at < ${E}))
                   filter (where s.canceled_at is null or s.canceled_at >= ${E}), 0)::bigint as contraction,
                 coalesce(sum((select sum((ev.properties ->> 'mrrChangeMinor')::bigint) from events ev where ev.customer_id = s.customer_id and ev.name = 'upgraded'
                   and ev.properties ->> 'subscriptionId' = s.external_id and ev.occurred_at >= ${S} and ev.occurred_at < ${E}))
                   filter (where s.canceled_at is null or s.canceled_at >= ${E}), 0)::bigint as expansion
          from subscriptions s where ${live} group by s.currency`,
    );
    const c = counts!;
    months.push({
      month: start.toISOString().slice(0, 7),
      customersAtStart: c.at_start,
      customersLost: c.lost,
      customerChurnRate: c.at_start > 0 ? c.lost / c.at_start : null,
      lostInvoluntary: c.involuntary,
      lostVoluntary: c.lost - c.involuntary,
      mrr: Object.fromEntries(
        money.map((m) => {
          const [starting, lost, contraction, expansion] = [m.starting, m.lost, m.contraction, m.expansion].map(Number) as [number, number, number, number];
          return [
            m.currency.trim(),
            {
              starting,
              lost,
              contraction,
              expansion,
              grossChurnRate: starting > 0 ? (lost + contraction) / starting : null,
              netChurnRate: starting > 0 ? (lost + contraction - expansion) / starting : null,
            },
          ];
        }),
      ),
    });
  }
  return months;
}
