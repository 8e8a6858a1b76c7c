import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../../db/index.js";
import { addDuration, subtractDuration } from "../../time/index.js";
import { ACTIVITY_TYPES } from "../catalog.js";
import { CUSTOMER_SINCE, duration, likePattern, scanCandidatesSql, SqlScope, textList } from "../compile/index.js";
import type { ScanTrigger } from "../definition/index.js";
import type { TriggerWords } from "./explanation.js";
import { dateSql, isoSql } from "./sql-text.js";
import { day, durationWords, moment, times } from "./words.js";

type Facts = Record<string, unknown>;

const quoted = (names: readonly string[]) => names.map((name) => `“${name}”`).join(", ");

/** The first day a scan finds a card expiring on `expiresOn` with `within`: the day from which today + within reaches it. */
function cardEntersOn(expiresOn: string, within: string): Date {
  let at = subtractDuration(new Date(`${expiresOn}T00:00:00Z`), within);
  while (day(addDuration(at, within)) < expiresOn) at = new Date(at.getTime() + 86_400_000);
  return at;
}

async function cardExpiring(db: Db, trigger: Extract<ScanTrigger, { type: "card_expiring" }>, customerId: number, scope: SqlScope, matched: boolean): Promise<TriggerWords> {
  const now = scope.nowSql();
  const [row] = await queryRows(
    db,
    z.object({ brand: z.string().nullable(), last4: z.string().nullable(), expires_on: z.string().nullable(), today: z.string(), until: z.string() }),
    sql`select pm.brand, pm.last4, ${dateSql(sql`pm.expires_on`)} as expires_on,
               ${dateSql(sql`(${now} at time zone 'UTC')::date`)} as today,
               ${dateSql(sql`((${now} + ${duration(trigger.within)}) at time zone 'UTC')::date`)} as until
        from (select 1) one left join lateral (
          select * from payment_methods p0 where p0.customer_id = ${customerId} and p0.is_default and p0.detached_at is null
          order by p0.updated_at desc, p0.id desc limit 1) pm on true`,
  );
  if (!row) throw new Error("the explanation's query returned no row");
  const { today, until } = row;
  const looksFor = `the trigger looks for a default card expiring between ${today} and ${until} (within ${durationWords(trigger.within)})`;
  if (!row.expires_on) return { detail: `no default card on file; ${looksFor}`, next: { text: "enters once a default card that expires within the window is on file" } };
  const expires = row.expires_on;
  const card = `${row.brand ?? "card"} ending ${row.last4 ?? "????"} expires ${expires}`;
  if (matched) return { detail: `${card}; ${looksFor}: it does` };
  if (expires < today) return { detail: `${card}; ${looksFor}: it has already expired`, next: { text: "enters when a new default card comes near its expiry" } };
  if (expires > until) {
    const at = cardEntersOn(expires, trigger.within);
    return { detail: `${card}; ${looksFor}: not yet`, next: { text: `enters on ${day(at)}, when the card is within ${durationWords(trigger.within)} of expiring`, at: at.toISOString() } };
  }
  return { detail: `${card}; ${looksFor}: it is in the window, but the trigger's query does not find it` };
}

async function inactive(db: Db, trigger: Extract<ScanTrigger, { type: "inactive" }>, customerId: number, scope: SqlScope, matched: boolean): Promise<TriggerWords> {
  const now = scope.nowSql();
  const threshold = sql`(${now} - ${duration(trigger.for)})`;
  const last = trigger.activity
    ? sql`(select max(ev.occurred_at) from events ev where ev.customer_id = c.id and ev.name = any(${textList(trigger.activity)}))`
    : sql`(select a.last_seen_at from customer_activity a where a.customer_id = c.id)`;
  const [row] = await queryRows(
    db,
    z.object({ last: z.string().nullable(), signed_up: z.string(), threshold: z.string(), earliest: z.string() }),
    sql`select ${isoSql(last)} as last, ${isoSql(sql`coalesce(c.signed_up_at, c.created_at)`)} as signed_up,
               ${isoSql(threshold)} as threshold, ${isoSql(sql`${threshold} - ${duration(trigger.lookback)}`)} as earliest
        from customers c where c.id = ${customerId}`,
  );
  if (!row) throw new Error("the explanation's query returned no row");
  const { threshold: to, earliest: from } = row;
  const activity = trigger.activity ? `any of ${quoted(trigger.activity)}` : "activity";
  const quiet = `${durationWords(trigger.for)} without ${activity}`;
  if (row.last) {
    const looksFor = `the trigger looks for ${quiet}, the last ${trigger.activity ? "of them" : "activity"} between ${moment(from)} and ${moment(to)}`;
    const said = `${trigger.activity ? `last did ${activity}` : "last active"} ${moment(row.last)}; ${looksFor}`;
    if (matched) return { detail: `${said}: it does` };
    if (row.last > to) {
      const at = addDuration(new Date(row.last), trigger.for);
      return { detail: `${said}: active too recently`, next: { text: `enters on ${day(at)} if there is no ${activity} before then`, at: at.toISOString() } };
    }
    if (row.last <= from) {
      return {
        detail: `${said}: quiet for longer than that, so the moment has passed (the trigger does not write to customers gone longer than ${durationWords(trigger.for)} + ${durationWords(trigger.lookback)})`,
        next: { text: `enters if they are active again and then quiet for ${durationWords(trigger.for)}` },
      };
    }
    return { detail: `${said}: in the window, but the trigger's query does not find them` };
  }
  const never = trigger.activity ? `never did ${activity}` : "never active";
  const said = `${never}; signed up ${moment(row.signed_up)}; the trigger takes customers who signed up between ${moment(from)} and ${moment(to)} and were ${never}`;
  if (matched) return { detail: `${said}: it does` };
  if (row.signed_up > to) {
    const at = addDuration(new Date(row.signed_up), trigger.for);
    return { detail: `${said}: signed up too recently`, next: { text: `enters on ${day(at)} if there is no ${activity} before then`, at: at.toISOString() } };
  }
  return { detail: `${said}: signed up too long ago, the moment has passed` };
}

async function notActivated(db: Db, trigger: Extract<ScanTrigger, { type: "not_activated" }>, customerId: number, scope: SqlScope, matched: boolean): Promise<TriggerWords> {
  const latest = sql`(${scope.nowSql()} - ${duration(trigger.after)})`;
  const [row] = await queryRows(
    db,
    z.object({ signed_up: z.string(), activated: z.string().nullable(), latest: z.string(), earliest: z.string() }),
    sql`select ${isoSql(sql`coalesce(c.signed_up_at, c.created_at)`)} as signed_up,
               ${isoSql(sql`(select max(ev.occurred_at) from events ev where ev.customer_id = c.id and ev.name = ${trigger.activation_event})`)} as activated,
               ${isoSql(latest)} as latest, ${isoSql(sql`${latest} - ${duration(trigger.lookback)}`)} as earliest
        from customers c where c.id = ${customerId}`,
  );
  if (!row) throw new Error("the explanation's query returned no row");
  const event = `“${trigger.activation_event}”`;
  const looksFor = `the trigger looks for sign-ups between ${moment(row.earliest)} and ${moment(row.latest)} (${durationWords(trigger.after)} ago) that never did ${event}`;
  if (row.activated) return { detail: `signed up ${moment(row.signed_up)} and did ${event} on ${moment(row.activated)}; ${looksFor}: already activated` };
  const said = `signed up ${moment(row.signed_up)}, never did ${event}; ${looksFor}`;
  if (matched) return { detail: `${said}: it does` };
  if (row.signed_up > row.latest) {
    const at = addDuration(new Date(row.signed_up), trigger.after);
    return { detail: `${said}: signed up too recently`, next: { text: `enters on ${day(at)} if they have not done ${event} by then`, at: at.toISOString() } };
  }
  return { detail: `${said}: signed up too long ago, the moment has passed` };
}

async function tenure(db: Db, trigger: Extract<ScanTrigger, { type: "tenure" }>, customerId: number, scope: SqlScope, matched: boolean): Promise<TriggerWords> {
  const latest = sql`(${scope.nowSql()} - ${duration(trigger.at)})`;
  const [row] = await queryRows(
    db,
    z.object({ since: z.string(), subscribed: z.boolean(), latest: z.string(), earliest: z.string() }),
    sql`select ${isoSql(CUSTOMER_SINCE)} as since,
               exists (select 1 from subscriptions s2 where s2.customer_id = c.id and s2.started_at is not null) as subscribed,
               ${isoSql(latest)} as latest, ${isoSql(sql`${latest} - ${duration(trigger.lookback)}`)} as earliest
        from customers c where c.id = ${customerId}`,
  );
  if (!row) throw new Error("the explanation's query returned no row");
  const said = `a customer since ${moment(row.since)} (${row.subscribed ? "their first subscription" : "sign-up"}); the trigger looks for customers since between ${moment(row.earliest)} and ${moment(row.latest)} (${durationWords(trigger.at)} ago)`;
  if (matched) return { detail: `${said}: it does` };
  if (row.since > row.latest) {
    const at = addDuration(new Date(row.since), trigger.at);
    return { detail: `${said}: not yet`, next: { text: `enters on ${day(at)}, ${durationWords(trigger.at)} after they started`, at: at.toISOString() } };
  }
  return { detail: `${said}: that moment passed more than ${durationWords(trigger.lookback)} ago` };
}

async function usageDrop(db: Db, trigger: Extract<ScanTrigger, { type: "usage_drop" }>, customerId: number, scope: SqlScope, matched: boolean): Promise<TriggerWords> {
  const now = scope.nowSql();
  const middle = sql`(${now} - ${duration(trigger.window)})`;
  const start = sql`(${middle} - ${duration(trigger.window)})`;
  const [row] = await queryRows(
    db,
    z.object({ before: col.int, after: col.int, start: z.string(), middle: z.string() }),
    sql`select (select count(*)::int from events e where e.customer_id = ${customerId} and e.name = ${trigger.event} and e.occurred_at > ${start} and e.occurred_at <= ${middle}) as before,
               (select count(*)::int from events e where e.customer_id = ${customerId} and e.name = ${trigger.event} and e.occurred_at > ${middle} and e.occurred_at <= ${now}) as after,
               ${isoSql(start)} as start, ${isoSql(middle)} as middle`,
  );
  if (!row) throw new Error("the explanation's query returned no row");
  const { before, after } = row;
  const allowed = Math.floor(before * (1 - trigger.drop));
  const said = `“${trigger.event}” ${times(before)} between ${moment(row.start)} and ${moment(row.middle)}, ${times(after)} since; the trigger looks for at least ${times(trigger.min_before)} before and a drop of ${Math.round(trigger.drop * 100)}% (at most ${times(allowed)} since)`;
  if (matched) return { detail: `${said}: it does` };
  if (before < trigger.min_before) return { detail: `${said}: too little use before`, next: { text: `enters at a scan where “${trigger.event}” happened at least ${times(trigger.min_before)} in a window and fell by ${Math.round(trigger.drop * 100)}% in the next` } };
  return { detail: `${said}: their use did not fall enough`, next: { text: `enters at a scan where their use has fallen by ${Math.round(trigger.drop * 100)}%` } };
}

async function cancelPageVisited(db: Db, trigger: Extract<ScanTrigger, { type: "cancel_page_visited" }>, customerId: number, scope: SqlScope, matched: boolean, facts: Facts | undefined): Promise<TriggerWords> {
  const latest = sql`(${scope.nowSql()} - ${duration(trigger.grace)})`;
  const [row] = await queryRows(
    db,
    z.object({ latest: z.string(), earliest: z.string(), visited: z.string().nullable(), path: z.string().nullable(), cancelled: z.boolean().nullable() }),
    sql`select ${isoSql(latest)} as latest, ${isoSql(sql`${latest} - ${duration(trigger.lookback)}`)} as earliest, v.visited, v.path, v.cancelled
        from (select 1) one left join lateral (
          select ${isoSql(sql`e.occurred_at`)} as visited, e.properties ->> 'path' as path,
                 (exists (select 1 from events x where x.customer_id = e.customer_id and x.name = 'subscription_canceled' and x.occurred_at >= e.occurred_at)
                  or exists (select 1 from subscriptions sx where sx.customer_id = e.customer_id and sx.status = 'canceled' and sx.canceled_at >= e.occurred_at)) as cancelled
          from events e where e.customer_id = ${customerId} and e.type = 'page' and (e.properties ->> 'path') like ${likePattern(trigger.path)}
          order by e.occurred_at desc, e.id desc limit 1) v on true`,
  );
  if (!row) throw new Error("the explanation's query returned no row");
  const looksFor = `the trigger looks for a visit to ${trigger.path} between ${moment(row.earliest)} and ${moment(row.latest)} (${durationWords(trigger.grace)} ago) with no cancellation since`;
  if (matched) return { detail: `visited ${typeof facts?.path === "string" ? facts.path : trigger.path} on ${moment(typeof facts?.visitedAt === "string" ? facts.visitedAt : String(row.visited))}; ${looksFor}: it does` };
  if (!row.visited) return { detail: `no visit to ${trigger.path} on record; ${looksFor}`, next: { text: `enters ${durationWords(trigger.grace)} after a visit to ${trigger.path}, if they do not cancel` } };
  const said = `last visited ${row.path ?? trigger.path} on ${moment(row.visited)}; ${looksFor}`;
  if (row.cancelled) return { detail: `${said}: they cancelled since` };
  if (row.visited > row.latest) {
    const at = addDuration(new Date(row.visited), trigger.grace);
    return { detail: `${said}: too recent, the grace has not passed`, next: { text: `enters on ${moment(at)} unless they cancel first`, at: at.toISOString() } };
  }
  return { detail: `${said}: too long ago, the moment has passed`, next: { text: `enters ${durationWords(trigger.grace)} after their next visit to ${trigger.path}` } };
}

async function lowEngagement(db: Db, trigger: Extract<ScanTrigger, { type: "low_engagement" }>, customerId: number, now: Date, matched: boolean, facts: Facts | undefined): Promise<TriggerWords> {
  // The trigger's own statement with no percentile cut: every paying customer, with their count and rank.
  const scope = new SqlScope(now);
  const everyone = scanCandidatesSql({ ...trigger, percentile: 2 }, scope);
  const [row] = await queryRows(db, z.object({ facts: col.jsonObject }), sql`select m.facts from (${everyone}) m where m.customer_id = ${customerId}`);
  const share = `${Math.round(trigger.percentile * 100)}%`;
  const activity = trigger.activity ? quoted(trigger.activity) : `activity (${ACTIVITY_TYPES.join(", ")})`;
  if (!row) return { detail: `no active, trialing or past-due subscription; the trigger looks at paying customers only`, next: { text: "enters only while they pay" } };
  const { activityCount, percentRank } = (facts ?? row.facts) as { activityCount: number; percentRank: number };
  const said = `${times(Number(activityCount))} ${activity} over the last ${durationWords(trigger.window)}, percent rank ${percentRank} among paying customers; the trigger looks for the bottom ${share}`;
  return matched ? { detail: `${said}: it does` } : { detail: `${said}: engaged enough`, next: { text: `enters at a scan where they fall into the bottom ${share}` } };
}

/** What a scan trigger sees of the customer now: their values against its window. */
export function describeScanTrigger(db: Db, trigger: ScanTrigger, customerId: number, now: Date, matched: boolean, facts: Facts | undefined): Promise<TriggerWords> {
  const scope = new SqlScope(now);
  switch (trigger.type) {
    case "card_expiring":
      return cardExpiring(db, trigger, customerId, scope, matched);
    case "inactive":
      return inactive(db, trigger, customerId, scope, matched);
    case "not_activated":
      return notActivated(db, trigger, customerId, scope, matched);
    case "tenure":
      return tenure(db, trigger, customerId, scope, matched);
    case "usage_drop":
      return usageDrop(db, trigger, customerId, scope, matched);
    case "cancel_page_visited":
      return cancelPageVisited(db, trigger, customerId, scope, matched, facts);
    case "low_engagement":
      return lowEngagement(db, trigger, customerId, now, matched, facts);
  }
}
