import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../../db/index.js";
import { propertiesSql, SqlScope } from "../compile/index.js";
import { type EventTrigger, operatorOf, type PropertyCondition } from "../definition/index.js";
import { propertyWords } from "./explain-audience.js";
import type { TriggerWords } from "./explanation.js";
import { isoSql } from "./sql-text.js";
import { durationWords, moment, valueWords, wantedWords } from "./words.js";

type Facts = Record<string, unknown>;

/** `3600000` → "the last hour", `900000` → "the last 15 minutes". */
export function windowWords(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? "the last hour" : `the last ${ms / 3_600_000} hours`;
  return `the last ${Math.round(ms / 60_000)} minutes`;
}

const propertiesWords = (properties: unknown) => (properties && typeof properties === "object" && Object.keys(properties).length > 0 ? ` with properties ${JSON.stringify(properties)}` : "");

/** Moments as `isoSql` writes them; `f0`, `f1`… are the property tests' results. */
const EventRow = z.object({ occurred: z.string(), received: z.string(), properties: col.jsonObject, total: col.int }).catchall(z.boolean());
type EventRow = z.infer<typeof EventRow>;

/** The customer's latest event of `name` (with each property test's result on it), and the latest one passing all of them. */
async function latestEvents(db: Db, customerId: number, name: string, where: readonly PropertyCondition[], now: Date): Promise<{ latest?: EventRow; matching?: EventRow }> {
  const scope = new SqlScope(now);
  const columns = sql`${isoSql(sql`e.occurred_at`)} as occurred, ${isoSql(sql`e.received_at`)} as received, e.properties,
    (select count(*)::int from events x where x.customer_id = ${customerId} and x.name = ${name}) as total`;
  const filters: SQL[] = where.map((condition, i) => sql`, coalesce(${propertiesSql([condition], sql`e.properties`, scope)}, false) as ${sql.raw(`f${i}`)}`);
  const from = sql`from events e where e.customer_id = ${customerId} and e.name = ${name}`;
  const order = sql`order by e.occurred_at desc, e.id desc limit 1`;
  const [latest] = await queryRows(db, EventRow, sql`select ${columns}${sql.join(filters, sql``)} ${from} ${order}`);
  const [matching] = where.length > 0 ? await queryRows(db, EventRow, sql`select ${columns} ${from} and ${propertiesSql(where, sql`e.properties`, scope)} ${order}`) : [latest];
  return { ...(latest && { latest }), ...(matching && { matching }) };
}

async function namedEvent(db: Db, name: string, where: readonly PropertyCondition[], customerId: number, now: Date, windowMs: number, matched: boolean, facts: Facts | undefined): Promise<TriggerWords> {
  const event = `“${name}” event${where.length > 0 ? ` with ${propertyWords(where)}` : ""}`;
  const basis = `the dry run looks at the events received in ${windowWords(windowMs)}`;
  const next = { text: `enters on their next ${event}` };
  if (matched) return { detail: `“${name}” happened ${moment(String(facts?.occurredAt))}${propertiesWords(facts?.properties)}; ${basis}: it matches` };
  const { latest, matching } = await latestEvents(db, customerId, name, where, now);
  if (!latest) return { detail: `no “${name}” event from this customer on record`, next };
  if (!matching) {
    const failing = where.flatMap((condition, i) => {
      if (latest[`f${i}`]) return [];
      const op = operatorOf(condition);
      return [`${condition.property} should be ${wantedWords(op, condition[op])} (it is ${valueWords(latest.properties[condition.property])})`];
    });
    const others = latest.total === 1 ? "it is their only one" : `none of their ${latest.total} “${name}” events matches`;
    return {
      detail: `their latest “${name}” (${moment(latest.occurred)})${propertiesWords(latest.properties)} fails: ${failing.join("; ")}; ${others}`,
      next,
    };
  }
  return {
    detail: `their last ${event} happened ${moment(matching.occurred)} and was received ${moment(matching.received)}${propertiesWords(matching.properties)}; an event trigger enrolls as each event arrives, and ${basis}: none since`,
    next,
  };
}

async function returnedAfterPause(db: Db, trigger: Extract<EventTrigger, { type: "returned_after_pause" }>, customerId: number, windowMs: number, matched: boolean, facts: Facts | undefined): Promise<TriggerWords> {
  const away = durationWords(trigger.min_pause);
  if (matched) return { detail: `came back on ${moment(String(facts?.occurredAt))} (“${String(facts?.event)}”) after at least ${away} away: it matches` };
  const [resumed] = await queryRows(
    db,
    z.object({ occurred: z.string(), paused_seconds: col.int.nullable() }),
    sql`select ${isoSql(sql`e.occurred_at`)} as occurred, (e.properties ->> 'pausedSeconds')::numeric as paused_seconds
        from events e where e.customer_id = ${customerId} and e.name = 'subscription_resumed' order by e.occurred_at desc, e.id desc limit 1`,
  );
  const last = resumed ? `; their last subscription_resumed (${moment(resumed.occurred)}) came after a pause of ${Math.floor(Number(resumed.paused_seconds ?? 0) / 86_400)} day(s)` : "";
  return {
    detail: `no return after at least ${away} away (a resumed subscription, or activity after that long a silence) among the events received in ${windowWords(windowMs)}${last}`,
    next: { text: `enters on their next return after at least ${away} away` },
  };
}

/** What an event trigger sees of the customer: the latest such event, its properties against the filters, and the dry run's window. */
export function describeEventTrigger(db: Db, trigger: EventTrigger, customerId: number, now: Date, windowMs: number, matched: boolean, facts: Facts | undefined): Promise<TriggerWords> {
  switch (trigger.type) {
    case "event":
      return namedEvent(db, trigger.name, trigger.where, customerId, now, windowMs, matched, facts);
    case "payment_failed":
    case "data_exported":
    case "downgraded":
      return namedEvent(db, trigger.event, [], customerId, now, windowMs, matched, facts);
    case "returned_after_pause":
      return returnedAfterPause(db, trigger, customerId, windowMs, matched, facts);
  }
}
