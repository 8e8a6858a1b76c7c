import { durationWords, type TimeWords, valueWords } from "../words/index.js";

/**
 * The timeline's summaries: what happened, in words support reads aloud to a customer. No
 * internal keys (a trigger key, an outcome's tag), no JSON, no ISO stamps; the raw values stay
 * in each entry's `detail` for programs.
 */

/** Where an event came from. */
const SOURCES: Record<string, string> = { segment: "Segment", api: "the API", stripe: "Stripe", rekindle: "Rekindle" };

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const count = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : typeof value === "string" && value !== "" && Number.isFinite(Number(value)) ? Number(value) : undefined);
const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;
const quote = (value: string) => `“${value}”`;

/** The cancel flow's events say their reason and offer in the summary: what support looks for. */
function cancelFlowDetail(name: string, p: Record<string, unknown>): string {
  switch (name) {
    case "cancel_reason_given":
      return `: ${text(p.reason) ?? "?"}${text(p.comment) ? ` “${String(p.comment).slice(0, 120)}”` : ""}${p.holdout === true ? " (holdout: no offer shown)" : ""}`;
    case "offer_shown":
    case "offer_accepted":
      return `: ${text(p.offer) ?? "?"}${text(p.offerType) ? ` (${String(p.offerType)})` : ""}`;
    case "cancel_confirmed":
      return `: reason ${text(p.reason) ?? "?"}${text(p.offer) ? `, declined ${String(p.offer)}` : ""}${p.at === "immediately" ? ", at once" : ", at the period's end"}`;
    case "cancel_flow_abandoned":
      return p.how === "kept" ? ": kept the subscription" : ": left without finishing";
    default:
      return "";
  }
}

/** "Went Quiet (Segment)", "profile updated (the API)", "viewed page /pricing (Segment)". */
export function eventSummary(event: { type: string; name: string; source: string; properties: Record<string, unknown> }): string {
  const p = event.properties;
  const from = ` (${SOURCES[event.source] ?? event.source})`;
  const named = (kind: string) => (event.name !== "" && event.name !== kind ? ` ${event.name}` : "");
  switch (event.type) {
    case "identify":
      return `profile updated${from}`;
    case "page":
      return `viewed ${text(p.path) ? `page ${String(p.path)}` : named("page") ? `page${named("page")}` : "a page"}${from}`;
    case "screen":
      return `viewed ${named("screen") ? `screen${named("screen")}` : "a screen"}${from}`;
    case "group":
      return `joined ${text(p.groupId) ? `group ${String(p.groupId)}` : "a group"}${from}`;
    case "alias":
      return `linked to the earlier id ${text(p.previousId) ?? "?"}${from}`;
    default:
      return `${event.name}${cancelFlowDetail(event.name, p)}${from}`;
  }
}

/**
 * Why a customer entered a campaign, from its trigger type and the facts that matched:
 * "because the card ending 4242 expires on 30 Nov 2026", "because of the event “Went Quiet” on
 * 28 Nov 2026, 12:00". Facts an older version wrote differently fall back to the facts in words.
 */
export function becauseWords(triggerType: string | undefined, facts: Record<string, unknown>, time: TimeWords): string {
  const f = facts;
  const event = text(f.event);
  const atEvent = event ? `the event ${quote(event)}${text(f.occurredAt) ? ` on ${time.moment(String(f.occurredAt))}` : ""}` : undefined;
  switch (triggerType) {
    case "card_expiring":
      if (text(f.cardExpiresOn)) return `because the card ${text(f.last4) ? `ending ${String(f.last4)}` : "on file"} expires on ${time.day(String(f.cardExpiresOn))}`;
      break;
    case "inactive": {
      const days = count(f.inactiveDays);
      const what = Array.isArray(f.activity) && f.activity.length > 0 ? `done ${f.activity.map((a) => quote(String(a))).join(" or ")}` : "been active";
      if (f.lastActivityAt === null && days !== undefined) return `because they have not ${what} since signing up, ${days} day${days === 1 ? "" : "s"} ago`;
      if (text(f.lastActivityAt) && days !== undefined) return `because they have not ${what} for ${days} day${days === 1 ? "" : "s"} (last on ${time.day(String(f.lastActivityAt))})`;
      break;
    }
    case "usage_drop": {
      const before = count(f.countBefore);
      const after = count(f.countAfter);
      if (event && before !== undefined && after !== undefined && text(f.window)) {
        const drop = count(f.drop);
        const window = durationWords(String(f.window));
        return `because ${quote(event)} fell from ${before} to ${after} time${after === 1 ? "" : "s"}${drop === undefined ? "" : ` (−${percent(drop)})`} over ${window}, against the ${window} before`;
      }
      break;
    }
    case "cancel_page_visited":
      if (text(f.visitedAt)) return `because they visited ${text(f.path) ?? "the cancel page"} on ${time.moment(String(f.visitedAt))}${text(f.grace) ? ` and had not cancelled ${durationWords(String(f.grace))} later` : ""}`;
      break;
    case "not_activated":
      if (text(f.signedUpAt) && text(f.activationEvent)) return `because they signed up on ${time.day(String(f.signedUpAt))} and never did ${quote(String(f.activationEvent))}`;
      break;
    case "tenure":
      if (text(f.tenure)) return `because they have been a customer for ${durationWords(String(f.tenure))}${text(f.customerSince) ? ` (since ${time.day(String(f.customerSince))})` : ""}`;
      break;
    case "low_engagement": {
      const score = count(f.activityCount);
      const percentile = count(f.percentile);
      if (score !== undefined && percentile !== undefined && text(f.window)) {
        return `because their activity, ${score} event${score === 1 ? "" : "s"} over ${durationWords(String(f.window))}, puts them in the bottom ${percent(percentile)} of paying customers`;
      }
      break;
    }
    case "returned_after_pause":
      if (atEvent && text(f.minPause)) return `because they came back after at least ${durationWords(String(f.minPause))} away (${atEvent})`;
      break;
  }
  if (atEvent) return `because of ${atEvent}`;
  const shown = Object.fromEntries(Object.entries(f).filter(([k]) => k !== "eventId"));
  return Object.keys(shown).length > 0 ? `because these facts matched: ${valueWords(shown, time)}` : "when its trigger matched";
}

/** A suppression's reason, as `suppressions.reason` and the outbox's `suppression` ("unsubscribe (winback)") write it. */
const SUPPRESSED: Record<string, string> = { unsubscribe: "they unsubscribed", bounce: "the address bounced", complaint: "they complained of spam", manual: "set by hand" };

export const suppressionReasonWords = (reason: string): string => SUPPRESSED[reason] ?? reason;

/** Why a transient failure was retried until Rekindle gave up. */
const GAVE_UP: Record<string, string> = {
  smtp_transient: "the mail server kept answering with a temporary error",
  webhook_unreachable: "the endpoint could not be reached",
  webhook_transient: "the endpoint kept answering with an error",
};

const ENDED: Record<string, string> = { completed: "had finished", exited: "had ended (the goal was reached)", stopped: "had been stopped" };

/** Why a message was not sent, or what it waits for, in words; undefined for a plain send. */
export function outcomeWords(outcome: Record<string, unknown> | null, time: TimeWords): string | undefined {
  if (!outcome) return undefined;
  const detail = text(outcome.detail);
  const withDetail = (words: string) => (detail ? `${words}: ${detail}` : words);
  switch (outcome.type) {
    case "sent":
      return undefined;
    case "retrying":
      return withDetail(`trying again (attempt ${count(outcome.attempt) ?? "?"} failed) because ${GAVE_UP[String(outcome.reason)]?.replace(" kept answering", " answered") ?? String(outcome.reason)}`);
    case "failed":
      return withDetail(`gave up after ${count(outcome.attempts) ?? "several"} attempts: ${GAVE_UP[String(outcome.reason)] ?? String(outcome.reason)}`);
    case "render_failed":
      return withDetail("the email could not be made from its template");
    case "rejected": {
      const code = count(outcome.code);
      const said = detail && code !== undefined && !detail.startsWith(String(code)) ? `${code} ${detail}` : (detail ?? (code === undefined ? undefined : String(code)));
      const what = outcome.bounce === true ? "the mail server refused the address, which is now suppressed" : "the mail server refused the email";
      return said ? `${what}: ${said}` : what;
    }
    case "uncertain":
      return "a worker stopped after handing it to the mail server and before recording the answer; it is never resent on its own";
    case "webhook_refused":
      return withDetail("the webhook's address was refused");
    case "webhook_rejected":
      return withDetail("the endpoint refused it");
    case "enrollment_ended":
      return `the sequence ${ENDED[String(outcome.status)] ?? `had ended (${String(outcome.status)})`}`;
    case "campaign_unavailable":
      return "the campaign was no longer running";
    case "step_removed":
      return "the step was removed from the campaign";
    case "goal_reached":
      return "the customer had reached the goal already";
    case "paused":
      return "held by a pause";
    case "holdout":
      return "held out, to measure what the campaign changes";
    case "branched":
      return `went on to ${quote(text(outcome.to) ?? "?")}`;
    case "no_address":
      return "the customer has no email address";
    case "suppressed": {
      const [, reason, category] = (detail ?? "").match(/^(\w+)(?: \((.+)\))?$/) ?? [];
      return reason ? `the address is suppressed${category ? ` for ${category} emails` : ""}: ${suppressionReasonWords(reason)}` : withDetail("the address is suppressed");
    }
    case "capped": {
      const at = text(outcome.allowedAt) ?? text(outcome.until);
      return `over the frequency cap${detail ? ` (${detail})` : ""}${at ? `; may go at ${time.moment(at)}` : ""}`;
    }
    case "quiet_hours": {
      const at = text(outcome.until);
      return `outside the send window${text(outcome.window) ? ` (${String(outcome.window)})` : ""}${at ? `; goes at ${time.moment(at)}` : ""}`;
    }
    case "stopped":
      return `stopped by ${text(outcome.by) ?? "support"}${text(outcome.reason) ? `: ${String(outcome.reason)}` : ""}`;
    default:
      return withDetail(String(outcome.type).replace(/[_-]+/g, " "));
  }
}

/** What became of a step, by its kind: an email is sent, a webhook called, a branch decided. */
const DONE: Record<string, Record<string, string>> = {
  email: { sent: "sent", failed: "not sent", skipped: "skipped", uncertain: "may or may not have been sent", done: "done" },
  webhook: { sent: "called", failed: "failed", skipped: "skipped", uncertain: "may or may not have been called", done: "called" },
  branch: { done: "decided", skipped: "skipped", failed: "failed" },
};

/**
 * `email “Your card expires soon” sent (card-expiring / first-notice)`, and when it was not sent,
 * why: `email not sent (card-expiring / first-notice): the mail server refused the email: 550 …`.
 */
export function messageSummary(m: { kind: string; status: string; campaign: string; step: string; subject: string | null; outcome: Record<string, unknown> | null }, time: TimeWords): string {
  const what = DONE[m.kind]?.[m.status] ?? m.status;
  const why = outcomeWords(m.outcome, time);
  return `${m.kind}${m.subject ? ` ${quote(m.subject)}` : ""} ${what} (${m.campaign} / ${m.step})${why ? `: ${why}` : ""}`;
}

/** `finished nudge: every step done`, `left nudge: reached its goal, the event “Upgraded”`, `nudge stopped by …: why`. */
export function endedSummary(campaign: string, status: string, reason: string | null): string {
  if (status === "completed") return `finished ${campaign}: ${reason === null || reason === "completed" ? "every step done" : reason === "step removed from campaign" ? "its next step was removed from the campaign" : reason}`;
  if (status === "exited" && reason?.startsWith("goal:")) {
    const goal = reason.slice("goal:".length).trim();
    return `left ${campaign}: reached its goal${goal === "condition" ? " (the exit condition matched)" : `, the event ${quote(goal)}`}`;
  }
  if (status === "stopped" && reason?.startsWith("stopped by ")) return `${campaign} ${reason}`;
  return `${campaign} ${status}${reason ? `: ${reason}` : ""}`;
}
