import { type SQL, sql } from "drizzle-orm";
import {
  type AttributeCondition,
  attributeKind,
  type AttributeKind,
  type Condition,
  type CountComparison,
  type EventCountCondition,
  operatorOf,
  type PropertyCondition,
  TRAIT_PREFIX,
} from "../definition/index.js";
import { duration, jsonValue, type SqlScope, textList } from "./scope.js";

/** The customer's start: first subscription, else sign-up, else when Rekindle first saw them. */
export const CUSTOMER_SINCE = sql`coalesce((select min(s1.started_at) from subscriptions s1 where s1.customer_id = c.id), c.signed_up_at, c.created_at)`;

/** A customer attribute as a SQL expression over `c` (asking `scope` for the joins it needs). */
export function attributeSql(attribute: string, scope: SqlScope): SQL {
  if (attribute.startsWith(TRAIT_PREFIX)) return sql`(c.traits -> ${attribute.slice(TRAIT_PREFIX.length)})`;
  if (attribute.startsWith("subscription.") || attribute === "plan") scope.needs.add("subscription");
  if (attribute.startsWith("card.")) scope.needs.add("card");
  switch (attribute) {
    case "email":
      return sql`c.email`;
    case "name":
      return sql`c.name`;
    case "locale":
      return sql`c.locale`;
    case "timezone":
      return sql`c.timezone`;
    case "plan":
      return sql`coalesce(s.plan, c.plan)`;
    case "signed_up_at":
      return sql`coalesce(c.signed_up_at, c.created_at)`;
    case "last_seen_at":
      return sql`(select a.last_seen_at from customer_activity a where a.customer_id = c.id)`;
    case "tenure":
      return sql`(${scope.nowSql()} - ${CUSTOMER_SINCE})`;
    case "subscription.status":
      return sql`s.status::text`;
    case "subscription.plan":
      return sql`s.plan`;
    case "subscription.mrr":
      return sql`s.mrr_minor`;
    case "subscription.currency":
      return sql`s.currency::text`;
    case "subscription.cancel_at_period_end":
      return sql`s.cancel_at_period_end`;
    case "subscription.current_period_end":
      return sql`s.current_period_end`;
    case "subscription.trial_ends_at":
      return sql`s.trial_ends_at`;
    case "subscription.started_at":
      return sql`s.started_at`;
    case "subscription.paused_at":
      return sql`s.paused_at`;
    case "subscription.canceled_at":
      return sql`s.canceled_at`;
    case "card.brand":
      return sql`pm.brand`;
    case "card.last4":
      return sql`pm.last4`;
    case "card.expires_on":
      // Valid through the last day of the month: it expires at the end of that day, UTC.
      return sql`((pm.expires_on + 1)::timestamp at time zone 'UTC')`;
    default:
      throw new Error(`attribute ${attribute} has no SQL`);
  }
}

type Comparison = Omit<AttributeCondition, "type" | "attribute">;

const castFor = (kind: AttributeKind) => (kind === "number" ? sql`numeric` : kind === "boolean" ? sql`boolean` : sql`text`);

/** One comparison on an expression of a known kind. */
function compare(expr: SQL, kind: AttributeKind, comparison: Comparison, scope: SqlScope): SQL {
  const op = operatorOf(comparison);
  const operand = comparison[op];
  const now = scope.nowSql();
  // Traits and event properties are jsonb: compared as JSON values, numbers only when they are numbers.
  const text = kind === "json" ? sql`(${expr} #>> '{}')` : kind === "text" ? expr : sql`${expr}::text`;
  const number = kind === "json" ? sql`(case when jsonb_typeof(${expr}) = 'number' then (${expr})::numeric end)` : expr;
  switch (op) {
    case "equals":
      return kind === "json" ? sql`${expr} = ${jsonValue(operand)}` : sql`${expr} = ${operand}::${castFor(kind)}`;
    case "not_equals":
      return kind === "json" ? sql`${expr} is distinct from ${jsonValue(operand)}` : sql`${expr} is distinct from ${operand}::${castFor(kind)}`;
    case "in":
    case "not_in": {
      const values = operand as (string | number | boolean)[];
      const inList =
        kind === "json"
          ? sql`exists (select 1 from jsonb_array_elements(${jsonValue(values)}) v where v = ${expr})`
          : sql`${text} = any(${textList(values.map(String))})`;
      return op === "in" ? sql`coalesce(${inList}, false)` : sql`not coalesce(${inList}, false)`;
    }
    case "exists": {
      const present = kind === "json" ? sql`(${expr} is not null and ${expr} <> 'null'::jsonb)` : sql`(${expr} is not null)`;
      return operand ? present : sql`not ${present}`;
    }
    case "contains":
      return sql`coalesce(position(lower(${operand}::text) in lower(${text})) > 0, false)`;
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const symbol = sql.raw({ gt: ">", gte: ">=", lt: "<", lte: "<=" }[op]);
      return kind === "duration" ? sql`${expr} ${symbol} ${duration(String(operand))}` : sql`${number} ${symbol} ${operand}::numeric`;
    }
    case "before":
      return sql`${expr} < ${(operand as Date).toISOString()}::timestamptz`;
    case "after":
      return sql`${expr} > ${(operand as Date).toISOString()}::timestamptz`;
    case "older_than":
      return sql`${expr} <= ${now} - ${duration(String(operand))}`;
    case "within":
      return sql`(${expr} > ${now} - ${duration(String(operand))} and ${expr} <= ${now})`;
    case "within_next":
      return sql`(${expr} >= ${now} and ${expr} <= ${now} + ${duration(String(operand))})`;
  }
}

/** Tests on an event's properties (`column` is its jsonb, e.g. `e.properties`). */
export function propertiesSql(conditions: readonly PropertyCondition[], column: SQL, scope: SqlScope): SQL {
  if (conditions.length === 0) return sql`true`;
  return sql.join(
    conditions.map(({ property, ...comparison }) => compare(sql`(${column} -> ${property})`, "json", comparison, scope)),
    sql` and `,
  );
}

function countSql(count: CountComparison, total: SQL): SQL {
  if (count.equals !== undefined) return sql`${total} = ${count.equals}`;
  if (count.gte !== undefined) return sql`${total} >= ${count.gte}`;
  if (count.gt !== undefined) return sql`${total} > ${count.gt}`;
  if (count.lte !== undefined) return sql`${total} <= ${count.lte}`;
  if (count.lt !== undefined) return sql`${total} < ${count.lt}`;
  throw new Error("a count comparison without equals, gte, gt, lte or lt got past validation");
}

/** `from events ev where …`: the customer's events an event count counts (its name, window and property tests). */
export function countedEventsSql(condition: EventCountCondition, scope: SqlScope): SQL {
  const window = condition.within
    ? sql` and ev.occurred_at > ${scope.nowSql()} - ${duration(condition.within)} and ev.occurred_at <= ${scope.nowSql()}`
    : sql``;
  return sql`from events ev where ev.customer_id = c.id and ev.name = ${condition.event}${window} and ${propertiesSql(condition.where, sql`ev.properties`, scope)}`;
}

function eventCountSql(condition: EventCountCondition, scope: SqlScope): SQL {
  const from = countedEventsSql(condition, scope);
  // "did it at least once" and "never did it" are existence tests: they stop at the first row.
  if (condition.count.gte === 1 && Object.keys(condition.count).length === 1) return sql`exists (select 1 ${from})`;
  if (condition.count.equals === 0) return sql`not exists (select 1 ${from})`;
  return countSql(condition.count, sql`(select count(*) ${from})`);
}

/** Compiles a condition tree into a SQL predicate over `c` (and `s`, `pm` as needed). */
export function conditionSql(condition: Condition, scope: SqlScope): SQL {
  switch (condition.type) {
    case "all":
      return sql`(${sql.join(condition.all.map((c) => conditionSql(c, scope)), sql` and `)})`;
    case "any":
      return sql`(${sql.join(condition.any.map((c) => conditionSql(c, scope)), sql` or `)})`;
    case "not":
      return sql`not coalesce(${conditionSql(condition.not, scope)}, false)`;
    case "event":
      return eventCountSql(condition, scope);
    case "attribute": {
      const { type: _type, attribute, ...comparison } = condition;
      const kind = attributeKind(attribute);
      if (kind === undefined) throw new Error(`attribute ${attribute} has no kind`);
      return sql`coalesce(${compare(attributeSql(attribute, scope), kind, comparison, scope)}, false)`;
    }
  }
}
