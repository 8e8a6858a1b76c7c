import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { Condition } from "../definition/index.js";
import { attributeSql, conditionSql } from "./condition-sql.js";
import { SqlScope } from "./scope.js";

const NOW = "2026-06-01T12:00:00.000Z";
const dialect = new PgDialect();

/** A condition as a campaign file writes it, compiled and rendered as PostgreSQL receives it. */
function compile(input: unknown) {
  const scope = new SqlScope(new Date(NOW));
  const query = dialect.sqlToQuery(conditionSql(Condition.parse(input), scope));
  return { sql: query.sql.replace(/\s+/g, " "), params: query.params, joins: [...scope.needs].sort() };
}

const refusal = (input: unknown) => {
  const parsed = Condition.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
};

describe("attribute conditions compile to a predicate over the customer", () => {
  it("compares text, numbers and booleans with the value as a typed parameter", () => {
    expect(compile({ attribute: "plan", equals: "pro" })).toEqual({
      sql: "coalesce(coalesce(s.plan, c.plan) = $1::text, false)",
      params: ["pro"],
      joins: ["subscription"],
    });
    expect(compile({ attribute: "subscription.mrr", not_equals: 4900 })).toEqual({
      sql: "coalesce(s.mrr_minor is distinct from $1::numeric, false)",
      params: [4900],
      joins: ["subscription"],
    });
    expect(compile({ attribute: "subscription.cancel_at_period_end", equals: true })).toMatchObject({
      sql: "coalesce(s.cancel_at_period_end = $1::boolean, false)",
      params: [true],
    });
    expect(compile({ attribute: "subscription.mrr", gte: 1000 })).toMatchObject({ sql: "coalesce(s.mrr_minor >= $1::numeric, false)", params: [1000] });
  });

  it("joins the subscription or the card only when the condition asks about them", () => {
    expect(compile({ attribute: "email", contains: "@acme" }).joins).toEqual([]);
    expect(compile({ attribute: "card.brand", exists: true })).toEqual({ sql: "coalesce((pm.brand is not null), false)", params: [], joins: ["card"] });
    expect(compile({ all: [{ attribute: "plan", equals: "pro" }, { attribute: "card.last4", exists: true }] }).joins).toEqual(["card", "subscription"]);
  });

  it("matches `in` and `not_in` against the listed values, a missing value matching neither", () => {
    expect(compile({ attribute: "plan", in: ["pro", "team"] })).toMatchObject({
      sql: "coalesce(coalesce(coalesce(s.plan, c.plan) = any(array(select jsonb_array_elements_text($1::jsonb))), false), false)",
      params: ['["pro","team"]'],
    });
    // A number is compared as text, so 100 in the list matches an MRR of 100.
    expect(compile({ attribute: "subscription.mrr", not_in: [100, 200] })).toMatchObject({
      sql: "coalesce(not coalesce(s.mrr_minor::text = any(array(select jsonb_array_elements_text($1::jsonb))), false), false)",
      params: ['["100","200"]'],
    });
  });

  it("finds text case-insensitively with `contains`", () => {
    expect(compile({ attribute: "email", contains: "@ACME" })).toMatchObject({
      sql: "coalesce(coalesce(position(lower($1::text) in lower(c.email)) > 0, false), false)",
      params: ["@ACME"],
    });
  });

  it("compares timestamps with a date, or with the scan's now and a duration", () => {
    expect(compile({ attribute: "signed_up_at", before: "2026-01-01T00:00:00Z" })).toMatchObject({
      sql: "coalesce(coalesce(c.signed_up_at, c.created_at) < $1::timestamptz, false)",
      params: ["2026-01-01T00:00:00.000Z"],
    });
    expect(compile({ attribute: "signed_up_at", after: "2026-01-01T00:00:00+02:00" })).toMatchObject({
      sql: "coalesce(coalesce(c.signed_up_at, c.created_at) > $1::timestamptz, false)",
      params: ["2025-12-31T22:00:00.000Z"],
    });
    expect(compile({ attribute: "last_seen_at", older_than: "P14D" })).toMatchObject({
      sql: "coalesce((select a.last_seen_at from customer_activity a where a.customer_id = c.id) <= $1::timestamptz - $2::interval, false)",
      params: [NOW, "P14D"],
    });
    expect(compile({ attribute: "subscription.trial_ends_at", within: "P3D" })).toMatchObject({
      sql: "coalesce((s.trial_ends_at > $1::timestamptz - $2::interval and s.trial_ends_at <= $3::timestamptz), false)",
      params: [NOW, "P3D", NOW],
    });
    // A card is valid through the last day of its month: it counts as expiring at the end of that day.
    expect(compile({ attribute: "card.expires_on", within_next: "P30D" })).toMatchObject({
      sql: "coalesce((((pm.expires_on + 1)::timestamp at time zone 'UTC') >= $1::timestamptz and ((pm.expires_on + 1)::timestamp at time zone 'UTC') <= $2::timestamptz + $3::interval), false)",
      params: [NOW, NOW, "P30D"],
    });
  });

  it("measures tenure from the first subscription, else sign-up, else first seen", () => {
    expect(compile({ attribute: "tenure", gt: "P90D" })).toMatchObject({
      sql: "coalesce(($1::timestamptz - coalesce((select min(s1.started_at) from subscriptions s1 where s1.customer_id = c.id), c.signed_up_at, c.created_at)) > $2::interval, false)",
      params: [NOW, "P90D"],
    });
  });
});

describe("traits compile to JSON comparisons", () => {
  it("compare as JSON values, so the string \"1\" is not the number 1", () => {
    expect(compile({ attribute: "traits.role", equals: "admin" })).toEqual({ sql: "coalesce((c.traits -> $1) = $2::jsonb, false)", params: ["role", '"admin"'], joins: [] });
    expect(compile({ attribute: "traits.seats", equals: 1 }).params).toEqual(["seats", "1"]);
    expect(compile({ attribute: "traits.role", not_equals: "admin" })).toMatchObject({ sql: "coalesce((c.traits -> $1) is distinct from $2::jsonb, false)" });
    expect(compile({ attribute: "traits.seats", in: [1, "two"] })).toMatchObject({
      sql: "coalesce(coalesce(exists (select 1 from jsonb_array_elements($1::jsonb) v where v = (c.traits -> $2)), false), false)",
      params: ['[1,"two"]', "seats"],
    });
  });

  it("order only numbers: a trait holding text is not less than 5", () => {
    expect(compile({ attribute: "traits.seats", lt: 5 })).toMatchObject({
      sql: "coalesce((case when jsonb_typeof((c.traits -> $1)) = 'number' then ((c.traits -> $2))::numeric end) < $3::numeric, false)",
      params: ["seats", "seats", 5],
    });
  });

  it("treat a JSON null as absent", () => {
    expect(compile({ attribute: "traits.company", exists: false })).toMatchObject({
      sql: "coalesce(not ((c.traits -> $1) is not null and (c.traits -> $2) <> 'null'::jsonb), false)",
      params: ["company", "company"],
    });
  });
});

describe("event counts", () => {
  it("ask whether the customer did it at least once, or never, as existence tests", () => {
    expect(compile({ event: "login" })).toEqual({
      sql: "exists (select 1 from events ev where ev.customer_id = c.id and ev.name = $1 and true)",
      params: ["login"],
      joins: [],
    });
    expect(compile({ event: "login", count: { equals: 0 } })).toMatchObject({
      sql: "not exists (select 1 from events ev where ev.customer_id = c.id and ev.name = $1 and true)",
    });
  });

  it("count within a window before now, filtered by the event's properties", () => {
    expect(compile({ event: "login", within: "P30D", count: { gte: 3 }, where: [{ property: "device", equals: "ios" }] })).toMatchObject({
      sql:
        "(select count(*) from events ev where ev.customer_id = c.id and ev.name = $1 and ev.occurred_at > $2::timestamptz - $3::interval " +
        "and ev.occurred_at <= $4::timestamptz and (ev.properties -> $5) = $6::jsonb) >= $7",
      params: ["login", NOW, "P30D", NOW, "device", '"ios"', 3],
    });
    for (const [op, symbol] of [["gt", ">"], ["lte", "<="], ["lt", "<"], ["equals", "="]] as const) {
      expect(compile({ event: "login", count: { [op]: 2 } })).toMatchObject({
        sql: `(select count(*) from events ev where ev.customer_id = c.id and ev.name = $1 and true) ${symbol} $2`,
        params: ["login", 2],
      });
    }
  });
});

describe("all, any and not", () => {
  it("nest as parenthesised and/or, with a missing value counted as not matching under not", () => {
    expect(
      compile({ all: [{ attribute: "plan", equals: "pro" }, { any: [{ attribute: "locale", equals: "sv" }, { not: { event: "churned" } }] }] }),
    ).toEqual({
      sql:
        "(coalesce(coalesce(s.plan, c.plan) = $1::text, false) and (coalesce(c.locale = $2::text, false) or " +
        "not coalesce(exists (select 1 from events ev where ev.customer_id = c.id and ev.name = $3 and true), false)))",
      params: ["pro", "sv", "churned"],
      joins: ["subscription"],
    });
  });

  it("keep what a marketer typed out of the SQL text", () => {
    const hostile = "x'); drop table customers; --";
    const compiled = compile({ any: [{ attribute: "name", equals: hostile }, { attribute: `traits.${hostile}`, exists: true }, { event: hostile }] });
    expect(compiled.sql).not.toContain("drop table");
    expect(compiled.params).toEqual([hostile, hostile, hostile, hostile]);
  });
});

describe("conditions that are refused before any SQL is made", () => {
  it("an unknown attribute, listing the known ones", () => {
    const [problem] = refusal({ attribute: "subscription.mrrr", gte: 5 });
    expect(problem?.path).toBe("attribute");
    expect(problem?.message).toMatch(/^unknown attribute "subscription\.mrrr"; use one of email, name, .*subscription\.mrr, .* or traits\.<name>$/);
  });

  it("no operator, or two", () => {
    expect(refusal({ attribute: "plan" })).toEqual([{ path: "", message: expect.stringMatching(/^needs one operator: equals, not_equals, in, /) as unknown }]);
    expect(refusal({ attribute: "plan", equals: "pro", contains: "p" })).toEqual([
      { path: "", message: "has 2 operators (equals, contains); use one per condition and combine them with all/any" },
    ]);
  });

  it("an operator that does not fit the attribute's kind, or an operand of the wrong kind", () => {
    expect(refusal({ attribute: "subscription.mrr", older_than: "P3D" })).toEqual([{ path: "older_than", message: "older_than does not apply to subscription.mrr (a number)" }]);
    expect(refusal({ attribute: "tenure", gte: 90 })).toEqual([{ path: "gte", message: "tenure is compared with a duration such as P90D" }]);
    expect(refusal({ attribute: "subscription.mrr", gte: "P3D" })).toEqual([{ path: "gte", message: "gte on subscription.mrr expects a number" }]);
    expect(refusal({ event: "login", where: [{ property: "at", before: "2026-01-01T00:00:00Z" }] })).toEqual([
      { path: "where.0.before", message: "before does not apply to event properties" },
    ]);
  });

  it("an event count with two comparisons, an empty all, or an unknown kind", () => {
    expect(refusal({ event: "login", count: { gte: 1, lt: 3 } })).toEqual([{ path: "count", message: "needs exactly one of equals, gte, gt, lte, lt" }]);
    expect(refusal({ all: [] })).toMatchObject([{ path: "all" }]);
    expect(refusal({ some: [] })).toEqual([{ path: "type", message: "expected a condition: one of all, any, not, attribute, event" }]);
  });

  it("and an attribute that reached the compiler without a SQL form is an error, not a silent true", () => {
    expect(() => attributeSql("subscription.mrrr", new SqlScope(new Date(NOW)))).toThrow("attribute subscription.mrrr has no SQL");
  });
});
