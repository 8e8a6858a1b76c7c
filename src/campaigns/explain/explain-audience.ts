import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { type Db, queryRows } from "../../db/index.js";
import { subtractDuration, addDuration } from "../../time/index.js";
import { attributeSql, conditionSql, countedEventsSql, SqlScope } from "../compile/index.js";
import { attributeKind, type AttributeCondition, type Condition, type CountComparison, type EventCountCondition, operatorOf, type PropertyCondition } from "../definition/index.js";
import type { ConditionResult, EntryCheck } from "./explanation.js";
import { durationWords, moment, times, valueWords, wantedWords } from "./words.js";

/** A timestamp as `YYYY-MM-DD HH24:MI` in UTC, as text (so the database session's time zone does not matter). */
const utcText = (expr: SQL) => sql`to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD HH24:MI')`;

/** The customer's value of an attribute, as JSON a sentence can show. */
function valueSql(condition: AttributeCondition, scope: SqlScope): SQL {
  const expr = attributeSql(condition.attribute, scope);
  // Compared as the end of its last day; shown as the day on the card.
  if (condition.attribute === "card.expires_on") return sql`to_jsonb(to_char(pm.expires_on, 'YYYY-MM-DD'))`;
  switch (attributeKind(condition.attribute)) {
    case "json":
      return expr;
    case "timestamp":
      return sql`to_jsonb(${utcText(expr)} || ' UTC')`;
    case "duration":
      return sql`to_jsonb(floor(extract(epoch from ${expr}) / 86400)::int || ' days')`;
    default:
      return sql`to_jsonb(${expr})`;
  }
}

/** The concrete moment a relative time test stands for now, e.g. older_than P14D → "on or before 2026-11-14 10:00 UTC". */
function boundWords(condition: AttributeCondition, now: Date): string {
  const op = operatorOf(condition);
  const operand = String(condition[op]);
  if (op === "older_than") return ` (on or before ${moment(subtractDuration(now, operand))})`;
  if (op === "within") return ` (after ${moment(subtractDuration(now, operand))})`;
  if (op === "within_next") return ` (by ${moment(addDuration(now, operand))})`;
  return "";
}

export function propertyWords(conditions: readonly PropertyCondition[]): string {
  return conditions.map(({ property, ...comparison }) => `${property} ${wantedWords(operatorOf(comparison), comparison[operatorOf(comparison)])}`).join(" and ");
}

function countWords(count: CountComparison): string {
  if (count.equals !== undefined) return count.equals === 0 ? "never" : `exactly ${times(count.equals)}`;
  if (count.gte !== undefined) return count.gte === 1 ? "at least once" : `at least ${times(count.gte)}`;
  if (count.gt !== undefined) return `more than ${times(count.gt)}`;
  if (count.lte !== undefined) return `at most ${times(count.lte)}`;
  if (count.lt !== undefined) return `fewer than ${times(count.lt)}`;
  throw new Error("a count comparison without equals, gte, gt, lte or lt got past validation");
}

function eventWords(condition: EventCountCondition, count: number, latest: string | null, should: string): string {
  const what = `“${condition.event}”${condition.where.length > 0 ? ` with ${propertyWords(condition.where)}` : ""}`;
  const when = condition.within ? ` in the last ${durationWords(condition.within)}` : "";
  const last = latest ? `, last on ${latest} UTC` : "";
  return `${what} ${should} happen ${countWords(condition.count)}${when} (it happened ${times(count)}${last})`;
}

type Node = { index: number; condition: Condition; children: Node[] };

function number(condition: Condition, nodes: Node[]): Node {
  const node: Node = { index: nodes.length, condition, children: [] };
  nodes.push(node);
  const kids = condition.type === "all" ? condition.all : condition.type === "any" ? condition.any : condition.type === "not" ? [condition.not] : [];
  node.children = kids.map((child) => number(child, nodes));
  return node;
}

/**
 * Every test of an audience tree against one customer, each leaf evaluated on its own with the
 * compiled SQL the scan uses (so a leaf's result here is the result there), with the customer's value.
 */
export async function evaluateCondition(db: Db, condition: Condition, customerId: number, now: Date): Promise<{ result: ConditionResult; negated: Map<ConditionResult, string> }> {
  const scope = new SqlScope(now);
  const nodes: Node[] = [];
  const root = number(condition, nodes);
  const columns: SQL[] = [];
  for (const node of nodes) {
    const c = node.condition;
    columns.push(sql`coalesce(${conditionSql(c, scope)}, false) as ${sql.raw(`n${node.index}`)}`);
    if (c.type === "attribute") columns.push(sql`${valueSql(c, scope)} as ${sql.raw(`v${node.index}`)}`);
    if (c.type === "event") {
      const from = countedEventsSql(c, scope);
      columns.push(sql`(select count(*)::int ${from}) as ${sql.raw(`v${node.index}`)}`);
      columns.push(sql`(select ${utcText(sql`max(ev.occurred_at)`)} ${from}) as ${sql.raw(`l${node.index}`)}`);
    }
  }
  // The joins are known once every test has been compiled.
  // The columns are the compiled tests (`n0`, `v0`, `l0`…): each leaf reads its own below.
  const [row] = await queryRows(db, z.record(z.string(), z.unknown()), sql`select ${sql.join(columns, sql`, `)} from customers c ${scope.joins()} where c.id = ${customerId}`);
  if (!row) throw new Error(`customer ${customerId} vanished while being explained`);
  // Each leaf's sentence the other way round, for the tests under a `not`.
  const negated = new Map<ConditionResult, string>();
  const leaf = (passed: boolean, kind: "attribute" | "event", words: (should: string) => string): ConditionResult => {
    const result = { kind, passed, text: words("should") };
    negated.set(result, words("should not"));
    return result;
  };
  const build = (node: Node): ConditionResult => {
    const c = node.condition;
    const passed = row[`n${node.index}`] === true;
    switch (c.type) {
      case "all":
        return { kind: "all", passed, text: "all of these", children: node.children.map(build) };
      case "any":
        return { kind: "any", passed, text: "any of these", children: node.children.map(build) };
      case "not":
        return { kind: "not", passed, text: "not this", children: node.children.map(build) };
      case "attribute": {
        const op = operatorOf(c);
        return leaf(passed, "attribute", (should) => `${c.attribute} ${should} be ${wantedWords(op, c[op])}${boundWords(c, now)} (it is ${valueWords(row[`v${node.index}`])})`);
      }
      case "event":
        return leaf(passed, "event", (should) => eventWords(c, Number(row[`v${node.index}`] ?? 0), (row[`l${node.index}`] as string | null) ?? null, should));
    }
  };
  return { result: build(root), negated };
}

/** A leaf said the other way round (every leaf has its negation in `negated`). */
function said(leaf: ConditionResult, negated: Map<ConditionResult, string>): string {
  return negated.get(leaf) ?? `not (${leaf.text})`;
}

/**
 * The leaves that made a tree fail (`blame`) or pass (`credit`), as sentences; under a `not` one
 * turns into the other, and the leaf is said the other way round.
 */
function blame(result: ConditionResult, negated: Map<ConditionResult, string>, flip = false): string[] {
  if (!result.children) return [flip ? said(result, negated) : result.text];
  const [inner] = result.children;
  if (result.kind === "not" && inner) return credit(inner, negated, !flip);
  return result.children.filter((child) => !child.passed).flatMap((child) => blame(child, negated, flip));
}
function credit(result: ConditionResult, negated: Map<ConditionResult, string>, flip = false): string[] {
  if (!result.children) return [flip ? said(result, negated) : result.text];
  const [inner] = result.children;
  if (result.kind === "not" && inner) return blame(inner, negated, !flip);
  return result.children.filter((child) => child.passed).flatMap((child) => credit(child, negated, flip));
}

/** The audience check: the tree with each test's result, and the tests that fail in words. */
export async function explainAudience(db: Db, audience: Condition | undefined, customerId: number, now: Date): Promise<EntryCheck> {
  const title = "Audience";
  if (!audience) return { test: "audience", title, passed: true, stops: "entry", detail: "no audience: everyone the trigger finds qualifies" };
  const { result: conditions, negated } = await evaluateCondition(db, audience, customerId, now);
  const detail = conditions.passed ? `every test passes${conditions.children ? "" : `: ${conditions.text}`}` : `fails: ${blame(conditions, negated).join("; ")}`;
  return {
    test: "audience",
    title,
    passed: conditions.passed,
    stops: "entry",
    detail,
    conditions,
    ...(!conditions.passed && { next: { text: "enters once the audience's failing tests pass (at the next scan or event)" } }),
  };
}
