import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, enrollmentStatus, eventType, MessageOutcome, messageStatus, pauseScope, queryRows, suppressionReason } from "../db/index.js";
import { timeWords } from "../words/index.js";
import { becauseWords, endedSummary, eventSummary, messageSummary, suppressionReasonWords } from "./timeline-words.js";

/** One thing that happened to a customer, in words support can read. */
export interface TimelineEntry {
  at: string;
  kind: "event" | "entered" | "enrollment_ended" | "message" | "pause" | "pause_lifted" | "suppression";
  summary: string;
  detail: Record<string, unknown>;
}

export interface Timeline {
  customer: { id: string; email: string | null; name: string | null; timezone: string | null };
  entries: TimelineEntry[];
  /** What is scheduled to happen next, soonest first; `held` when a pause deferred it. */
  next: { due: string; campaign: string; step: string; status: string; held?: "paused" }[];
  /** What holds the customer's email now: pauses that apply, suppressions of their address, a block on new sequences. */
  holds: {
    pauses: { scope: string; campaign: string | null; by: string; reason: string | null; until: string | null; since: string }[];
    suppressions: { category: string; reason: string; by: string; since: string }[];
    blockedUntil: string | null;
  };
}

const iso = (value: string | Date) => new Date(value).toISOString();

export interface TimelineOptions {
  /** How many of the newest events to include. Default 200. */
  events?: number;
  /** What "now" is, for the holds in force. Default: the system clock. */
  now?: Date;
  /** The IANA zone the summaries write moments in: the reader's. Default `UTC`. */
  timeZone?: string;
}

/**
 * "Why did this customer get that email, and what is coming next?": events received, enrollments
 * with their campaign version and the facts that matched, every message with its status and
 * reason, pauses and suppressions with who set them — in order — and the scheduled next steps.
 * Each entry's summary says it in words; its detail keeps the raw values.
 */
export async function customerTimeline(db: Db, externalId: string, options: TimelineOptions = {}): Promise<Timeline | undefined> {
  const now = options.now ?? new Date();
  const time = timeWords(options.timeZone);
  const [customer] = await queryRows(
    db,
    z.object({ id: col.int, external_id: z.string(), email: z.string().nullable(), name: z.string().nullable(), timezone: z.string().nullable(), enrollment_blocked_until: col.timestamp.nullable() }),
    sql`select id::int, external_id, email, name, timezone, enrollment_blocked_until from customers where external_id = ${externalId}`,
  );
  if (!customer) return undefined;
  const entries: TimelineEntry[] = [];

  const events = await queryRows(
    db,
    z.object({ occurred_at: col.timestamp, name: z.string(), type: z.enum(eventType.enumValues), source: z.string(), properties: col.jsonObject }),
    sql`select occurred_at, name, type::text, source, properties from events where customer_id = ${customer.id} order by occurred_at desc, id desc limit ${options.events ?? 200}`,
  );
  for (const e of events) {
    entries.push({ at: iso(e.occurred_at), kind: "event", summary: eventSummary(e), detail: { properties: e.properties } });
  }

  // The trigger type of the version they entered by: it says what the matched facts mean.
  const enrollments = await queryRows(
    db,
    z.object({ id: col.int, campaign_id: z.string(), content_hash: z.string(), trigger_type: z.string().nullable(), entered_at: col.timestamp, ended_at: col.timestamp.nullable(), status: z.enum(enrollmentStatus.enumValues), end_reason: z.string().nullable(), matched_facts: col.jsonObject, trigger_key: z.string(), holdout: z.boolean() }),
    sql`select en.id::int, en.campaign_id, cv.content_hash, cv.definition -> 'trigger' ->> 'type' as trigger_type, en.entered_at, en.ended_at, en.status::text, en.end_reason, en.matched_facts, en.trigger_key, en.holdout
        from enrollments en join campaign_versions cv on cv.id = en.campaign_version_id where en.customer_id = ${customer.id}`,
  );
  const because = new Map(enrollments.map((en) => [en.id, becauseWords(en.trigger_type ?? undefined, en.matched_facts, time)]));
  for (const en of enrollments) {
    entries.push({
      at: iso(en.entered_at),
      kind: "entered",
      summary: `entered ${en.campaign_id} ${because.get(en.id)}${en.holdout ? "; held out: sent nothing, to measure what the campaign changes" : ""}`,
      detail: { campaign: en.campaign_id, version: en.content_hash, trigger: en.trigger_type, moment: en.trigger_key, facts: en.matched_facts, holdout: en.holdout },
    });
    if (en.ended_at) entries.push({ at: iso(en.ended_at), kind: "enrollment_ended", summary: endedSummary(en.campaign_id, en.status, en.end_reason), detail: { campaign: en.campaign_id, status: en.status, reason: en.end_reason } });
  }

  const messages = await queryRows(
    db,
    z.object({ enrollment_id: col.int, campaign_id: z.string(), step_id: z.string(), kind: z.string(), status: z.enum(messageStatus.enumValues), due_at: col.timestamp, sent_at: col.timestamp.nullable(), updated_at: col.timestamp, subject: z.string().nullable(), to_address: z.string().nullable(), smtp_response: z.string().nullable(), outcome: MessageOutcome.nullable(), attempts: col.int, trigger_key: z.string(), matched_facts: col.jsonObject, entered_at: col.timestamp, enrollment_status: z.enum(enrollmentStatus.enumValues) }),
    sql`select m.enrollment_id::int, en.campaign_id, m.step_id, m.kind, m.status::text, m.due_at, m.sent_at, m.updated_at, m.subject, m.to_address, m.smtp_response, m.outcome, m.attempts,
               en.trigger_key, en.matched_facts, en.entered_at, en.status::text as enrollment_status
        from messages m join enrollments en on en.id = m.enrollment_id where m.customer_id = ${customer.id}`,
  );
  for (const m of messages) {
    if (m.status === "scheduled" || m.status === "queued") continue;
    entries.push({
      at: iso(m.sent_at ?? m.updated_at),
      kind: "message",
      summary: messageSummary({ kind: m.kind, status: m.status, campaign: m.campaign_id, step: m.step_id, subject: m.subject, outcome: m.outcome }, time),
      detail: {
        campaign: m.campaign_id,
        step: m.step_id,
        status: m.status,
        to: m.to_address,
        subject: m.subject,
        smtpResponse: m.smtp_response,
        outcome: m.outcome,
        due: iso(m.due_at),
        attempts: m.attempts,
        // Why this customer got it: the moment that enrolled them and the facts that matched.
        because: { moment: m.trigger_key, words: because.get(m.enrollment_id) ?? null, enteredAt: iso(m.entered_at), facts: m.matched_facts },
      },
    });
  }

  const holds = await queryRows(
    db,
    z.object({ scope: z.enum(pauseScope.enumValues), campaign_id: z.string().nullable(), until: z.string().nullable(), reason: z.string().nullable(), created_by: z.string(), created_at: z.string(), lifted_at: z.string().nullable(), lifted_by: z.string().nullable() }),
    sql`select scope::text, campaign_id, until, reason, created_by, created_at, lifted_at, lifted_by from pauses
        where customer_id = ${customer.id} or scope = 'global'
           or (scope = 'campaign' and campaign_id in (select campaign_id from enrollments where customer_id = ${customer.id}))`,
  );
  for (const p of holds) {
    const what = p.scope === "customer" ? "customer paused" : p.scope === "campaign" ? `campaign ${p.campaign_id} paused` : "all sending paused";
    entries.push({ at: iso(p.created_at), kind: "pause", summary: `${what} by ${p.created_by}${p.until ? ` until ${time.moment(p.until)}` : ""}: ${p.reason ?? ""}`, detail: { scope: p.scope, until: p.until, reason: p.reason, by: p.created_by } });
    if (p.lifted_at) entries.push({ at: iso(p.lifted_at), kind: "pause_lifted", summary: `${what.replace("paused", "resumed")} by ${p.lifted_by}`, detail: { scope: p.scope, by: p.lifted_by } });
  }

  const suppressions: { category: string | null; reason: string; created_by: string; created_at: string; lifted_at: string | null; detail: string | null }[] = [];
  if (customer.email) {
    suppressions.push(...(await queryRows(
      db,
      z.object({ category: z.string().nullable(), reason: z.enum(suppressionReason.enumValues), created_by: z.string(), created_at: z.string(), lifted_at: z.string().nullable(), detail: z.string().nullable() }),
      sql`select category, reason::text, created_by, created_at, lifted_at, detail from suppressions where email = lower(${customer.email})`,
    )));
    for (const s of suppressions) {
      entries.push({ at: iso(s.created_at), kind: "suppression", summary: `${customer.email} suppressed for ${s.category ? `${s.category} emails` : "all mail"} (${suppressionReasonWords(s.reason)}) by ${s.created_by}${s.lifted_at ? `; lifted ${time.moment(s.lifted_at)}` : ""}`, detail: { ...s } });
    }
  }

  entries.sort((a, b) => a.at.localeCompare(b.at));
  // A step of an enrollment that has ended is skipped when its time comes: it is not next.
  const next = messages
    .filter((m) => (m.status === "scheduled" || m.status === "queued") && m.enrollment_status === "active")
    .map((m) => ({ due: iso(m.due_at), campaign: m.campaign_id, step: m.step_id, status: m.status, ...(m.outcome?.type === "paused" && { held: "paused" as const }) }))
    .sort((a, b) => a.due.localeCompare(b.due));
  const inForce = (p: (typeof holds)[number]) => p.lifted_at === null && (p.until === null || new Date(p.until) > now);
  const blockedUntil = customer.enrollment_blocked_until && customer.enrollment_blocked_until > now ? customer.enrollment_blocked_until.toISOString() : null;
  return {
    customer: { id: customer.external_id, email: customer.email, name: customer.name, timezone: customer.timezone },
    entries,
    next,
    holds: {
      pauses: holds.filter(inForce).map((p) => ({ scope: p.scope, campaign: p.campaign_id, by: p.created_by, reason: p.reason, until: p.until && iso(p.until), since: iso(p.created_at) })),
      suppressions: suppressions.filter((s) => s.lifted_at === null).map((s) => ({ category: s.category ?? "all", reason: s.reason, by: s.created_by, since: iso(s.created_at) })),
      blockedUntil,
    },
  };
}
