import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../db/index.js";

export interface GroupFigures {
  entered: number;
  converted: number;
  /** converted / entered, or null with no one in the group. */
  rate: number | null;
}

/** One campaign's effect over a period: who entered, what was sent, and how many more reached the goal because of it. */
export interface CampaignReport {
  campaign: string;
  from: string;
  to: string;
  conversionWindow: string;
  entered: number;
  emailsSent: number;
  treated: GroupFigures;
  holdout: GroupFigures;
  /** Treated rate minus holdout rate (absolute, in points of 1), relative to the holdout, and the 95% interval of the absolute difference. */
  uplift: Uplift | null;
  verdict: string;
}

/** Treated rate minus holdout rate (in points of 1), relative to the holdout rate, and the 95% interval of the difference. */
export interface Uplift {
  absolute: number;
  /** null when the holdout rate is 0. */
  relative: number | null;
  ci95: [number, number];
}

/**
 * How a verdict names what is measured, so one comparison speaks of a campaign or of an offer:
 * "<subject> works: 30.0% <treated> vs 20.0% <held>", "<subject> <worse>: …".
 */
export interface UpliftWords {
  subject: string;
  treated: string;
  held: string;
  worse: string;
  /** What each group counts, in "need at least 30 <unit> each". */
  unit: string;
  /** The whole verdict when nobody was held out. */
  noHoldout: string;
}

/** The campaign report's words (the default). */
export const CAMPAIGN_WORDS: UpliftWords = {
  subject: "The campaign",
  treated: "of emailed customers reached the goal",
  held: "of those held out",
  worse: "does worse than sending nothing",
  unit: "customers",
  noHoldout: "No holdout group: set `holdout:` in the campaign (e.g. 0.1) to measure what it changes.",
};

/** Below this many customers in either group, a difference means little; the verdict says so. */
export const MIN_GROUP = 30;

const group = (entered: number, converted: number): GroupFigures => ({ entered, converted, rate: entered > 0 ? converted / entered : null });
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} points`;

/**
 * Uplift of treated over holdout with a 95% confidence interval for the difference of two
 * proportions (normal approximation: d ± 1.96·√(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂)), and a verdict in words.
 */
export function upliftOf(treated: GroupFigures, holdout: GroupFigures, words: UpliftWords = CAMPAIGN_WORDS): { uplift: Uplift | null; verdict: string } {
  if (holdout.entered === 0) return { uplift: null, verdict: words.noHoldout };
  if (treated.entered < MIN_GROUP || holdout.entered < MIN_GROUP) {
    return { uplift: null, verdict: `Too early to say: the treated and holdout groups need at least ${MIN_GROUP} ${words.unit} each (now ${treated.entered} and ${holdout.entered}).` };
  }
  // Both groups are past MIN_GROUP here, so neither rate divides by zero.
  const p1 = treated.converted / treated.entered;
  const p2 = holdout.converted / holdout.entered;
  const difference = p1 - p2;
  const half = 1.96 * Math.sqrt((p1 * (1 - p1)) / treated.entered + (p2 * (1 - p2)) / holdout.entered);
  const ci95: [number, number] = [difference - half, difference + half];
  const relative = p2 > 0 ? difference / p2 : null;
  const interval = `95% CI ${pts(ci95[0])} to ${pts(ci95[1])}`;
  const rates = `${pct(p1)} ${words.treated} vs ${pct(p2)} ${words.held}`;
  const verdict =
    ci95[0] > 0
      ? `${words.subject} works: ${rates} (${pts(difference)}, ${interval}).`
      : ci95[1] < 0
        ? `${words.subject} ${words.worse}: ${rates} (${pts(difference)}, ${interval}).`
        : `No measurable difference yet: ${rates}; the ${interval} includes zero.`;
  return { uplift: { absolute: difference, relative, ci95 }, verdict };
}

/** The report for one campaign over enrollments that entered in [from, to). */
export async function campaignReport(
  db: Db,
  campaign: string,
  conversionWindow: string,
  from: Date,
  to: Date,
  options: { retentionGoal?: string; now?: Date } = {},
): Promise<CampaignReport> {
  const period = sql`en.campaign_id = ${campaign} and en.entered_at >= ${from.toISOString()}::timestamptz and en.entered_at < ${to.toISOString()}::timestamptz`;
  const now = sql`${(options.now ?? new Date()).toISOString()}::timestamptz`;
  // Retention: converted = not cancelled within the goal's time, counted only once that time has passed.
  const rows = options.retentionGoal
    ? await queryRows(
        db,
        z.object({ holdout: z.boolean(), entered: col.int, converted: col.int }),
        sql`select en.holdout, count(*)::int as entered,
                   count(*) filter (where not exists (select 1 from events ev where ev.customer_id = en.customer_id and ev.name = 'subscription_canceled'
                     and ev.occurred_at >= en.entered_at and ev.occurred_at < en.entered_at + ${options.retentionGoal}::interval))::int as converted
            from enrollments en where ${period} and en.entered_at + ${options.retentionGoal}::interval <= ${now} group by en.holdout`,
      )
    : await queryRows(
        db,
        z.object({ holdout: z.boolean(), entered: col.int, converted: col.int }),
        sql`select en.holdout, count(*)::int as entered,
                   count(*) filter (where en.goal_reached_at is not null and en.goal_reached_at <= en.entered_at + ${conversionWindow}::interval)::int as converted
            from enrollments en where ${period} group by en.holdout`,
      );
  const [sent] = await queryRows(
    db,
    z.object({ n: col.int }),
    sql`select count(*)::int as n from messages m join enrollments en on en.id = m.enrollment_id where ${period} and m.status = 'sent' and m.kind = 'email'`,
  );
  const treated = rows.find((r) => !r.holdout);
  const holdout = rows.find((r) => r.holdout);
  const t = group(treated?.entered ?? 0, treated?.converted ?? 0);
  const h = group(holdout?.entered ?? 0, holdout?.converted ?? 0);
  return {
    campaign,
    from: from.toISOString(),
    to: to.toISOString(),
    conversionWindow: options.retentionGoal ? `not cancelled within ${options.retentionGoal}` : conversionWindow,
    entered: t.entered + h.entered,
    emailsSent: sent?.n ?? 0,
    treated: t,
    holdout: h,
    ...upliftOf(t, h),
  };
}
