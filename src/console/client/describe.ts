import { duration, percent, value } from "./format.js";
import type { CampaignDefinition, Condition, Json, Step } from "../../api/index.js";

const str = (v: Json | undefined) => (typeof v === "string" ? v : value(v));
const dur = (v: Json | undefined) => (typeof v === "string" ? duration(v) : value(v));
const list = (v: Json | undefined) => (Array.isArray(v) ? v.map(str).join(", ") : str(v));

const OPERATORS: Record<string, (operand: Json) => string> = {
  equals: (v) => `is ${value(v)}`,
  not_equals: (v) => `is not ${value(v)}`,
  in: (v) => `is one of ${list(v)}`,
  not_in: (v) => `is none of ${list(v)}`,
  exists: (v) => (v ? "is set" : "is not set"),
  contains: (v) => `contains “${str(v)}”`,
  gt: (v) => `is over ${typeof v === "string" ? duration(v) : value(v)}`,
  gte: (v) => `is at least ${typeof v === "string" ? duration(v) : value(v)}`,
  lt: (v) => `is under ${typeof v === "string" ? duration(v) : value(v)}`,
  lte: (v) => `is at most ${typeof v === "string" ? duration(v) : value(v)}`,
  before: (v) => `is before ${str(v).slice(0, 10)}`,
  after: (v) => `is after ${str(v).slice(0, 10)}`,
  older_than: (v) => `was more than ${dur(v)} ago`,
  within: (v) => `was within the last ${dur(v)}`,
  within_next: (v) => `is within the next ${dur(v)}`,
};

/** `{ property: plan, equals: pro }` → "plan is pro". */
function comparison(subject: string, test: Condition): string {
  for (const [name, words] of Object.entries(OPERATORS)) {
    const operand = test[name];
    if (operand !== undefined) return `${subject} ${words(operand)}`;
  }
  return subject;
}

function countWords(count: Json | undefined): string {
  if (!count || typeof count !== "object" || Array.isArray(count)) return "at least once";
  const [op, n]: [string, Json] = Object.entries(count)[0] ?? ["gte", 1];
  const times = (k: Json) => `${value(k)} time${k === 1 ? "" : "s"}`;
  switch (op) {
    case "equals":
      return `exactly ${times(n)}`;
    case "gt":
      return `more than ${times(n)}`;
    case "lte":
      return `at most ${times(n)}`;
    case "lt":
      return `fewer than ${times(n)}`;
    default:
      return n === 1 ? "at least once" : `at least ${times(n)}`;
  }
}

/** A condition tree in words, one line per leaf: what the campaign file says, readable by a marketer. */
export function condition(c: Condition): string {
  switch (c.type) {
    case "all":
      return (c.all as Condition[]).map((x) => wrap(condition(x))).join(" and ");
    case "any":
      return (c.any as Condition[]).map((x) => wrap(condition(x))).join(" or ");
    case "not":
      return `not ${wrap(condition(c.not as Condition))}`;
    case "attribute":
      return comparison(str(c.attribute), c);
    case "event": {
      const where = Array.isArray(c.where) && c.where.length > 0 ? ` where ${(c.where as Condition[]).map((w) => comparison(str(w.property), w)).join(" and ")}` : "";
      const within = c.within ? ` in the last ${dur(c.within)}` : "";
      return `did “${str(c.event)}”${where} ${countWords(c.count)}${within}`;
    }
    default:
      return JSON.stringify(c);
  }
}

const wrap = (text: string) => (/ (and|or) /.test(text) ? `(${text})` : text);

/** The trigger in words: the moment the campaign starts at. */
export function trigger(t: CampaignDefinition["trigger"]): string {
  switch (t.type) {
    case "card_expiring":
      return `The default card expires within ${dur(t.within)}`;
    case "payment_failed":
      return `A payment failed (event “${str(t.event)}”)`;
    case "inactive":
      return `No activity${t.activity ? ` (${list(t.activity)})` : ""} for ${dur(t.for)}`;
    case "usage_drop":
      return `“${str(t.event)}” fell by ${percent(typeof t.drop === "number" ? t.drop : null)} or more over ${dur(t.window)} vs the ${dur(t.window)} before`;
    case "cancel_page_visited":
      return `Visited ${str(t.path)} and has not cancelled ${dur(t.grace)} later`;
    case "returned_after_pause":
      return `Came back after at least ${dur(t.min_pause)} away`;
    case "not_activated":
      return `Signed up ${dur(t.after)} ago and never did “${str(t.activation_event)}”`;
    case "data_exported":
      return `Exported their data (event “${str(t.event)}”)`;
    case "downgraded":
      return `Moved to a cheaper plan (event “${str(t.event)}”)`;
    case "tenure":
      return `Has been a customer for ${dur(t.at)}`;
    case "low_engagement":
      return `A paying customer in the bottom ${percent(typeof t.percentile === "number" ? t.percentile : null)} by activity over ${dur(t.window)}`;
    case "event": {
      const where = Array.isArray(t.where) && t.where.length > 0 ? ` where ${(t.where as Condition[]).map((w) => comparison(str(w.property), w)).join(" and ")}` : "";
      return `The event “${str(t.name)}”${where}`;
    }
    default:
      return t.type;
  }
}

export function reentry(r: CampaignDefinition["reentry"]): string {
  if (r === "never") return "Never enters twice";
  if (r === "always") return "May enter again at each new moment";
  return `May enter again ${duration(r.after)} after the last entry`;
}

export function exitGoal(goal: CampaignDefinition["exit"][number]): string {
  if ("event" in goal) {
    const where = goal.where && goal.where.length > 0 ? ` where ${goal.where.map((w) => comparison(str(w.property), w)).join(" and ")}` : "";
    return `The event “${goal.event}”${where}`;
  }
  return `When ${condition(goal.condition)}`;
}

/** Where a step goes after it: the step below, another step, or the end. */
export function nextOf(steps: Step[], index: number, target: string | undefined): string {
  if (target === "end") return "the end";
  if (target) return `“${target}”`;
  const below = steps[index + 1];
  return below ? `“${below.id}”` : "the end";
}

/** What one step does, in words. */
export function step(s: Step, steps: Step[], index: number): { kind: string; text: string; then?: string } {
  switch (s.type) {
    case "email":
      return { kind: "Email", text: `Send the email “${s.template}”`, ...(s.next && { then: `then ${nextOf(steps, index, s.next)}` }) };
    case "wait": {
      const parts = [s.duration ? duration(s.duration) : null, s.until ? `until ${s.until} in the customer's time zone` : null].filter(Boolean);
      return { kind: "Wait", text: `Wait ${parts.join(", then ")}`, ...(s.next && { then: `then ${nextOf(steps, index, s.next)}` }) };
    }
    case "webhook":
      return { kind: "Webhook", text: `Call ${s.url}`, ...(s.next && { then: `then ${nextOf(steps, index, s.next)}` }) };
    case "branch":
      // The server refuses a campaign file whose branch has no `if`; the API type leaves it optional.
      if (!s.if) throw new Error(`The branch step “${s.id}” has no condition.`);
      return { kind: "Branch", text: `If ${condition(s.if)}, go to ${nextOf(steps, index, s.then)}; otherwise ${nextOf(steps, index, s.else)}` };
  }
}

/** What each audited action did (the same words as `rekindle audit`, src/support/audit-words.ts). */
const ACTIONS: Record<string, string> = {
  "customer.pause": "Paused the customer's emails",
  "customer.resume": "Resumed the customer's emails",
  "customer.stop": "Stopped the customer's sequences",
  "campaign.pause": "Paused the campaign",
  "campaign.resume": "Resumed the campaign",
  "global.pause": "Paused all sending",
  "global.resume": "Resumed all sending",
  "suppression.manual": "Suppressed the address",
  "suppression.complaint": "Recorded a spam complaint",
  "suppression.bounce": "Suppressed the address after a bounce",
  "suppression.unsubscribe": "Unsubscribed the address",
  "suppression.lifted": "Let the address be emailed again",
  "campaign.test_send": "Sent a test email",
  "key.create": "Created an API key",
  "key.revoke": "Revoked an API key",
  "cancel_session.resolve": "Applied a cancel-flow decision by hand",
};

/** `customer.pause` → "Paused the customer's emails"; an action this list does not know, in words of its own. */
export function auditAction(action: string): string {
  const words = ACTIONS[action] ?? action.replace(/[._]+/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
