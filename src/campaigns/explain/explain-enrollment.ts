import { sql } from "drizzle-orm";
import { z } from "zod";
import { type Db, enrollmentStatus, queryRows } from "../../db/index.js";
import { addDuration } from "../../time/index.js";
import type { LoadedCampaign } from "../catalog.js";
import { reentrySql, SqlScope, textList } from "../compile/index.js";
import type { Moment } from "./explain-trigger.js";
import type { EntryCheck } from "./explanation.js";
import { isoSql } from "./sql-text.js";
import { durationWords, moment } from "./words.js";

/** Moments as `isoSql` writes them. */
const EnrollmentRow = z.object({
  status: z.enum(enrollmentStatus.enumValues),
  entered_at: z.string(),
  ended_at: z.string().nullable(),
  end_reason: z.string().nullable(),
  trigger_key: z.string(),
  current_step_id: z.string().nullable(),
});
type EnrollmentRow = z.infer<typeof EnrollmentRow>;

const ended = (row: EnrollmentRow) => (row.status === "active" ? "still active" : `${row.status}${row.ended_at ? ` ${moment(row.ended_at)}` : ""}${row.end_reason ? `: ${row.end_reason}` : ""}`);

/**
 * The re-entry check, with the compiled predicate the scan uses (`reentrySql`) for each moment the
 * trigger offers: passes when one may be entered. Returns that moment (else the first), which the
 * exit-goal check compares with.
 */
export async function explainReentry(db: Db, campaign: LoadedCampaign, customerId: number, now: Date, moments: Moment[]): Promise<{ check: EntryCheck; moment?: Moment }> {
  const { reentry } = campaign.definition;
  const scope = new SqlScope(now);
  const history = await queryRows(
    db,
    EnrollmentRow,
    sql`select en.status::text as status, ${isoSql(sql`en.entered_at`)} as entered_at, ${isoSql(sql`en.ended_at`)} as ended_at, en.end_reason, en.trigger_key, en.current_step_id
        from enrollments en where en.campaign_id = ${campaign.id} and en.customer_id = ${customerId} order by en.entered_at desc, en.id desc`,
  );
  const may = async (key: string | null) => {
    const [row] = await queryRows(
      db,
      z.object({ may: z.boolean() }),
      sql`select coalesce(${reentrySql(campaign.id, reentry, scope)}, false) as may from (select ${customerId}::bigint as customer_id, ${key}::text as trigger_key) m`,
    );
    if (!row) throw new Error("the re-entry check returned no row");
    return row.may;
  };
  let chosen: Moment | undefined;
  let passed = false;
  for (const candidate of moments) {
    if (await may(candidate.triggerKey)) {
      chosen = candidate;
      passed = true;
      break;
    }
  }
  if (moments.length === 0) passed = await may(null);
  chosen ??= moments[0];

  const policy = reentry === "never" ? "re-entry is never (once per customer)" : reentry === "always" ? "re-entry is always" : `re-entry after ${durationWords(reentry.after)}`;
  const title = "Re-entry";
  const check = (passedNow: boolean, detail: string, next?: EntryCheck["next"]): EntryCheck => ({ test: "reentry", title, passed: passedNow, stops: "entry", detail, ...(!passedNow && next && { next }) });
  const last = history[0];
  if (!last) return { check: check(passed, `never entered this campaign; ${policy}`), ...(chosen && { moment: chosen }) };
  const active = history.find((row) => row.status === "active");
  const same = chosen && history.find((row) => row.trigger_key === chosen.triggerKey);
  let result: EntryCheck;
  if (active) {
    result = check(passed, `in an active enrollment since ${moment(active.entered_at)}${active.current_step_id ? ` (at step ${active.current_step_id})` : ""}: a customer walks a campaign once at a time`, {
      text: "may enter again once that enrollment ends",
    });
  } else if (same) {
    result = check(passed, `already entered for this moment (${same.trigger_key}) on ${moment(same.entered_at)}, ${ended(same)}: never twice for the same moment`, {
      text: "enters at their next moment",
    });
  } else if (reentry === "never") {
    result = check(passed, `entered on ${moment(last.entered_at)} (${ended(last)}); ${policy}`);
  } else if (reentry !== "always" && !passed) {
    const at = addDuration(new Date(last.entered_at), reentry.after);
    result = check(passed, `last entered ${moment(last.entered_at)} (${ended(last)}); ${policy}: not before ${moment(at)}`, { text: `may enter again from ${moment(at)}`, at: at.toISOString() });
  } else {
    result = check(passed, `last entered ${moment(last.entered_at)} (${ended(last)}); ${policy}: may enter again`);
  }
  return { check: result, ...(chosen && { moment: chosen }) };
}

/** An exit goal reached after the moment (a card added since it was found expiring) leaves nothing to do: the scan skips them. */
export async function explainGoal(db: Db, campaign: LoadedCampaign, customerId: number, at: Moment | undefined): Promise<EntryCheck | undefined> {
  const goals = campaign.definition.exit.flatMap((goal) => ("event" in goal ? [goal.event] : []));
  if (goals.length === 0) return undefined;
  const title = "Exit goal";
  const names = goals.map((goal) => `“${goal}”`).join(" or ");
  if (!at) return { test: "goal", title, passed: true, stops: "entry", detail: `no moment yet to compare ${names} with` };
  const [reached] = await queryRows(
    db,
    z.object({ name: z.string(), occurred_at: z.string() }),
    sql`select g.name, ${isoSql(sql`g.occurred_at`)} as occurred_at from events g
        where g.customer_id = ${customerId} and g.name = any(${textList(goals)}) and g.occurred_at >= ${at.sortAt}::timestamptz
        order by g.occurred_at desc limit 1`,
  );
  return reached
    ? { test: "goal", title, passed: false, stops: "entry", detail: `“${reached.name}” happened ${moment(reached.occurred_at)}, after the moment (${moment(at.sortAt)}): its goal is met, nothing to do` }
    : { test: "goal", title, passed: true, stops: "entry", detail: `no ${names} since the moment (${moment(at.sortAt)})` };
}

/** Support's stop with a block keeps a customer out of every campaign for a while. */
export async function explainBlock(db: Db, customer: { id: number; externalId: string }, now: Date): Promise<EntryCheck> {
  const [row] = await queryRows(
    db,
    z.object({ until: z.string().nullable(), actor: z.string().nullable(), reason: z.string().nullable() }),
    sql`select ${isoSql(sql`c.enrollment_blocked_until`)} as until, a.actor, a.after ->> 'reason' as reason
        from customers c left join lateral (
          select actor, after from audit_log where action = 'customer.stop' and target_type = 'customer' and target_id = c.external_id order by at desc limit 1) a on true
        where c.id = ${customer.id}`,
  );
  const title = "Support block";
  if (!row?.until || new Date(row.until) <= now) return { test: "block", title, passed: true, stops: "entry", detail: "no block on new sequences" };
  return {
    test: "block",
    title,
    passed: false,
    stops: "entry",
    detail: `support stopped them and blocked new sequences until ${moment(row.until)}${row.actor ? ` (${row.actor}${row.reason ? `: ${row.reason}` : ""})` : ""}`,
    next: { text: `may enter from ${moment(row.until)}`, at: row.until },
  };
}
