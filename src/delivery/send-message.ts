import { createHmac } from "node:crypto";
import { type SQL, sql } from "drizzle-orm";
import {
  type ActionStep,
  conditionSql,
  following,
  type LoadedCampaign,
  planFrom,
  scheduleCtes,
  SqlScope,
} from "../campaigns/index.js";
import { type Db, queryRows, type Tx } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { classifySmtpError } from "../mail/index.js";
import { DestinationRefusedError } from "../webhooks/index.js";
import type { JobAttempt } from "../queue/index.js";
import { chooseLocale, RenderError, renderTemplate } from "../render/index.js";
import { applyPolicy, loadPolicyFacts, noteClaimed, type PolicyFacts } from "./apply-policy.js";
import { MicroBatcher } from "./micro-batcher.js";
import { CARD_JSON, type CardRow, type RecipientRow, renderContextOf, SUBSCRIPTION_JSON, type SubscriptionRow } from "./build-render-context.js";
import { unsubscribeToken } from "./unsubscribe-token.js";

/** What became of a message: expected outcomes are values; infrastructure faults are thrown. */
export type SendOutcome =
  | { type: "sent"; smtpMessageId: string }
  | { type: "done"; next: string }
  | { type: "skipped"; reason: string }
  | { type: "deferred"; until: Date; reason: string }
  | { type: "failed"; reason: string; detail?: string }
  | { type: "not-ready"; status: string };

/** Thrown for a transient failure so that the queue retries the job with backoff. */
export class RetryableSendError extends Error {
  override readonly name = "RetryableSendError";
}

const UNAVAILABLE_RETRY_MS = 15 * 60_000;

interface MessageRow extends RecipientRow {
  holdout: boolean;
  subscription: SubscriptionRow | null;
  card: CardRow | null;
  pause: { id: number; until: string | null } | null;
  suppression: string | null;
  id: number;
  status: string;
  kind: string;
  step_id: string;
  due_at: string;
  attempts: number;
  enrollment_id: number;
  enrollment_status: string;
  campaign_id: string;
  matched_facts: Record<string, unknown>;
}

const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;

/**
 * The messages, locked (in id order), with everything the checks and the email need, in one round
 * trip: their enrollment, the customer, an active pause, a suppression for the campaign's category,
 * and the live subscription and default card for the render context.
 */
async function lockMessages(tx: Tx, ids: readonly number[], now: Date): Promise<Map<number, MessageRow>> {
  const rows = await queryRows<MessageRow>(
    tx,
    sql`select m.id::int, m.status::text, m.kind, m.step_id, m.due_at, m.attempts, m.enrollment_id::int, m.customer_id::int,
               en.status::text as enrollment_status, en.campaign_id, en.matched_facts, en.holdout,
               c.external_id, c.email, c.name, c.locale, c.timezone, c.plan, c.traits,
               ${SUBSCRIPTION_JSON} as subscription, ${CARD_JSON} as card,
               (select jsonb_build_object('id', p.id, 'until', p.until) from pauses p
                 where p.lifted_at is null and (p.until is null or p.until > ${at(now)})
                   and (p.scope = 'global' or (p.scope = 'customer' and p.customer_id = c.id) or (p.scope = 'campaign' and p.campaign_id = en.campaign_id))
                 order by p.until desc nulls first limit 1) as pause,
               (select s.reason::text || coalesce(' (' || s.category || ')', '') from suppressions s
                 where s.lifted_at is null and s.email = lower(c.email)
                   and (s.category is null or s.category = cv.definition ->> 'category')
                   -- A notice customers cannot opt out of (billing) ignores unsubscribes, never bounces or complaints.
                   and not (s.reason = 'unsubscribe' and coalesce((cv.definition -> 'delivery' ->> 'unsubscribable')::boolean, true) = false)
                 limit 1) as suppression
        from messages m join enrollments en on en.id = m.enrollment_id join customers c on c.id = m.customer_id
          join campaign_versions cv on cv.id = m.campaign_version_id
        where m.id = any(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::bigint))
        order by m.id for update of m`,
  );
  return new Map(rows.map((row) => [row.id, row]));
}

async function finish(tx: Tx, id: number, status: "sent" | "failed" | "skipped" | "done", now: Date, outcome: Record<string, unknown>, extra: SQL = sql``): Promise<void> {
  await tx.execute(sql`update messages set status = ${status}, lease_until = null, updated_at = ${at(now)},
                         outcome = ${JSON.stringify(outcome)}::jsonb ${extra}
                       where id = ${id}`);
}

async function defer(tx: Tx, id: number, until: Date, now: Date, outcome: Record<string, unknown>): Promise<void> {
  await tx.execute(sql`update messages set status = 'scheduled', due_at = ${at(until)}, lease_until = null, updated_at = ${at(now)},
                         outcome = ${JSON.stringify(outcome)}::jsonb
                       where id = ${id}`);
}

/** Schedules what comes after a finished step (or completes the enrollment), in the caller's transaction. */
async function advance(tx: Tx, campaign: LoadedCampaign, enrollmentId: number, nextStepId: string, now: Date, defaultTimeZone: string): Promise<void> {
  const plan = planFrom(campaign.definition, nextStepId);
  await tx.execute(sql`
    with enrolled as (select id, customer_id from enrollments where id = ${enrollmentId} and status = 'active'),
    ${scheduleCtes(campaign, plan, at(now), defaultTimeZone, { updateEnrollments: true })}
    select 1`);
}

async function holds(db: Db, customerId: number, condition: Parameters<typeof conditionSql>[0], now: Date): Promise<boolean> {
  const scope = new SqlScope(now);
  const predicate = conditionSql(condition, scope);
  const [row] = await queryRows<{ holds: boolean }>(db, sql`select coalesce((select ${predicate} from customers c ${scope.joins()} where c.id = ${customerId}), false) as holds`);
  return row?.holds === true;
}

function mailDomain(from: string): string {
  return from.match(/@([^>\s]+)/)?.[1] ?? "rekindle.local";
}

type Sendable = Extract<ActionStep, { type: "email" | "webhook" }>;
type Claim = { done: SendOutcome } | { row: MessageRow; campaign: LoadedCampaign; step: Sendable };

/**
 * Everything is checked again against the current state — enrollment still active, no exit goal
 * met, no pause, address not suppressed, the delivery policy — because the row may have waited
 * days and its job minutes. Outcomes other than "send it" are written here, in the batch's
 * transaction; a row to send is returned for the batch's claim.
 */
async function check(tx: Tx, deps: Deps, row: MessageRow, facts: PolicyFacts, now: Date): Promise<Claim> {
  const tz = deps.config.delivery.defaultTimeZone;
  if (row.status !== "queued" && row.status !== "scheduled") return { done: { type: "not-ready", status: row.status } };
  if (row.enrollment_status !== "active") {
    await finish(tx, row.id, "skipped", now, { type: "enrollment_ended", status: row.enrollment_status });
    return { done: { type: "skipped", reason: `enrollment ${row.enrollment_status}` } };
  }
  const campaign = deps.campaigns.get(row.campaign_id);
  const step = campaign?.definition.steps.find((s) => s.id === row.step_id);
  if (!campaign || !campaign.definition.enabled) {
    // Invalid after an edit, or disabled: hold, do not drop.
    const until = new Date(now.getTime() + UNAVAILABLE_RETRY_MS);
    await defer(tx, row.id, until, now, { type: "campaign_unavailable", campaignId: row.campaign_id });
    return { done: { type: "deferred", until, reason: "campaign unavailable" } };
  }
  if (!step || step.type === "wait") {
    // The live version no longer has this step: the sequence ends here.
    await finish(tx, row.id, "skipped", now, { type: "step_removed", stepId: row.step_id });
    await tx.execute(sql`update enrollments set status = 'completed', ended_at = ${at(now)}, end_reason = 'step removed from campaign' where id = ${row.enrollment_id} and status = 'active'`);
    return { done: { type: "skipped", reason: "step removed" } };
  }
  for (const goal of campaign.definition.exit) {
    if ("condition" in goal && (await holds(tx, row.customer_id, goal.condition, now))) {
      await tx.execute(sql`update enrollments set status = 'exited', ended_at = ${at(now)}, end_reason = 'goal: condition', goal_reached_at = ${at(now)}
                           where id = ${row.enrollment_id} and status = 'active'`);
      await finish(tx, row.id, "skipped", now, { type: "goal_reached" });
      return { done: { type: "skipped", reason: "exit goal reached" } };
    }
  }
  const pause = row.pause;
  if (pause) {
    const until = pause.until ? new Date(pause.until) : new Date(now.getTime() + UNAVAILABLE_RETRY_MS);
    await defer(tx, row.id, until, now, { type: "paused", pauseId: pause.id });
    return { done: { type: "deferred", until, reason: "paused" } };
  }
  if (row.holdout && step.type !== "branch") {
    // Held out to measure the campaign: walked like everyone else, sent nothing.
    await finish(tx, row.id, "skipped", now, { type: "holdout" });
    await advance(tx, campaign, row.enrollment_id, following(campaign.definition, step.id), now, tz);
    return { done: { type: "skipped", reason: "holdout" } };
  }
  if (step.type === "branch") {
    const next = (await holds(tx, row.customer_id, step.if, now)) ? step.then : (step.else ?? following(campaign.definition, step.id));
    await finish(tx, row.id, "done", now, { type: "branched", to: next });
    await advance(tx, campaign, row.enrollment_id, next, now, tz);
    return { done: { type: "done", next } };
  }
  if (step.type === "email") {
    if (!row.email) {
      await finish(tx, row.id, "skipped", now, { type: "no_address" });
      await advance(tx, campaign, row.enrollment_id, following(campaign.definition, step.id), now, tz);
      return { done: { type: "skipped", reason: "no email address" } };
    }
    const suppressed = row.suppression;
    if (suppressed) {
      await finish(tx, row.id, "skipped", now, { type: "suppressed", detail: suppressed });
      await advance(tx, campaign, row.enrollment_id, following(campaign.definition, step.id), now, tz);
      return { done: { type: "skipped", reason: `suppressed: ${suppressed}` } };
    }
  }
  if (step.type === "email") {
    const policy = applyPolicy(deps, facts, row, campaign, now);
    if (policy.type === "skip") {
      await finish(tx, row.id, "skipped", now, policy.outcome);
      await advance(tx, campaign, row.enrollment_id, following(campaign.definition, step.id), now, tz);
      return { done: { type: "skipped", reason: String(policy.outcome.type) } };
    }
    if (policy.type === "defer") {
      await defer(tx, row.id, policy.until, now, policy.outcome);
      return { done: { type: "deferred", until: policy.until, reason: String(policy.outcome.type) } };
    }
  }
  if (step.type === "email") noteClaimed(facts, row, now);
  return { row, campaign, step };
}

/**
 * Claims a batch of messages in one transaction: locks them, checks each, and marks the ones to
 * send `sending` with a lease — committed before SMTP is called, so whatever happens next, no row
 * is sent twice (a crash leaves it to the lease reclaimer, which marks it uncertain).
 */
async function claimMessages(deps: Deps, ids: readonly number[]): Promise<Claim[]> {
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    const rows = await lockMessages(tx, ids, now);
    const emails = [...rows.values()].flatMap((row) => {
      const campaign = deps.campaigns.get(row.campaign_id);
      return row.kind === "email" && campaign ? [{ customer_id: row.customer_id, campaign }] : [];
    });
    const facts = await loadPolicyFacts(tx, deps, emails, now);
    const claims: Claim[] = [];
    const seen = new Set<number>();
    for (const id of ids) {
      const row = rows.get(id);
      if (!row) claims.push({ done: { type: "not-ready", status: "missing" } });
      // The same message twice in one batch (a job delivered again): the first one has it.
      else if (seen.has(id)) claims.push({ done: { type: "not-ready", status: "sending" } });
      else claims.push(await check(tx, deps, row, facts, now));
      seen.add(id);
    }
    const claimed = claims.flatMap((claim) => ("row" in claim ? [{ id: claim.row.id, email: claim.row.email }] : []));
    if (claimed.length > 0) {
      await tx.execute(sql`update messages m set status = 'sending', attempts = m.attempts + 1, lease_until = ${at(now)} + ${deps.config.delivery.sendLease}::interval,
                             to_address = v.email, updated_at = ${at(now)}
                           from jsonb_to_recordset(${JSON.stringify(claimed)}::jsonb) as v(id bigint, email text)
                           where m.id = v.id`);
    }
    return claims;
  });
}

interface SentEmail {
  row: MessageRow;
  campaign: LoadedCampaign;
  nextStep: string;
  subject: string;
  smtpMessageId: string;
  smtpResponse: string;
  sentAt: Date;
}

/**
 * Writes sent emails and schedules their next steps: one statement per campaign and next step in
 * the batch (atomic for each email, as its result and its next step go together).
 */
async function recordSent(deps: Deps, sent: readonly SentEmail[]): Promise<void[]> {
  const tz = deps.config.delivery.defaultTimeZone;
  const groups = new Map<string, SentEmail[]>();
  for (const email of sent) push(groups, `${email.campaign.id}\u0000${email.campaign.versionId}\u0000${email.nextStep}`, email);
  for (const group of groups.values()) {
    const { campaign, nextStep } = group[0]!;
    const now = deps.clock.now();
    const values = group.map((email) => ({ id: email.row.id, subject: email.subject, smtp_message_id: email.smtpMessageId, smtp_response: email.smtpResponse, sent_at: email.sentAt.toISOString() }));
    await deps.db.execute(sql`
      with finished as (
        update messages m set status = 'sent', lease_until = null, updated_at = ${at(now)}, outcome = '{"type": "sent"}'::jsonb,
               subject = v.subject, smtp_message_id = v.smtp_message_id, smtp_response = v.smtp_response, sent_at = v.sent_at
        from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id bigint, subject text, smtp_message_id text, smtp_response text, sent_at timestamptz)
        where m.id = v.id returning m.enrollment_id),
      enrolled as (
        select en.id, en.customer_id from enrollments en join finished f on f.enrollment_id = en.id where en.status = 'active'),
      ${scheduleCtes(campaign, planFrom(campaign.definition, nextStep), at(now), tz, { updateEnrollments: true })}
      select 1`);
  }
  return sent.map(() => undefined);
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** How many claims or results one database round trip carries at most. */
const BATCH_ITEMS = 100;

/**
 * The sender of one worker process: carries out one outbox row at its time. Concurrent jobs share
 * their database work — claims in one transaction, results in one statement per batch — so the
 * round trips per email fall as the load rises; SMTP is still one email at a time per connection.
 */
export function createSender(deps: Deps): (messageId: number, attempt: JobAttempt) => Promise<SendOutcome> {
  const claims = new MicroBatcher((ids: number[]) => claimMessages(deps, ids), { maxItems: BATCH_ITEMS, maxInFlight: 2 });
  const results = new MicroBatcher((sent: SentEmail[]) => recordSent(deps, sent), { maxItems: BATCH_ITEMS, maxInFlight: 2 });
  return (messageId, attempt) => sendMessage(deps, messageId, attempt, claims, results);
}

async function sendMessage(
  deps: Deps,
  messageId: number,
  attempt: JobAttempt,
  claims: MicroBatcher<number, Claim>,
  results: MicroBatcher<SentEmail, void>,
): Promise<SendOutcome> {
  const tz = deps.config.delivery.defaultTimeZone;
  const claimed = await claims.submit(messageId);
  if ("done" in claimed) return claimed.done;
  const { row, campaign, step } = claimed;
  const nextStep = following(campaign.definition, step.id);

  // The result and the next step in one statement: atomic, and one round trip instead of a transaction's four.
  const record = async (status: "sent" | "failed", outcome: Record<string, unknown>, extra: SQL = sql``) => {
    const now = deps.clock.now();
    await deps.db.execute(sql`
      with finished as (
        update messages set status = ${status}, lease_until = null, updated_at = ${at(now)}, outcome = ${JSON.stringify(outcome)}::jsonb ${extra}
        where id = ${row.id} returning enrollment_id),
      enrolled as (
        select en.id, en.customer_id from enrollments en join finished f on f.enrollment_id = en.id where en.status = 'active'),
      ${scheduleCtes(campaign, planFrom(campaign.definition, nextStep), at(now), tz, { updateEnrollments: true })}
      select 1`);
  };
  const retryOrFail = async (reason: string, detail: string): Promise<SendOutcome> => {
    if (attempt.attempt < attempt.maxAttempts) {
      const backoffMs = deps.config.delivery.sendBackoffMs * 2 ** (attempt.attempt - 1);
      await deps.db.execute(sql`update messages set status = 'queued', lease_until = ${at(new Date(deps.clock.now().getTime() + backoffMs + 600_000))},
                                  outcome = ${JSON.stringify({ type: "retrying", reason, detail, attempt: attempt.attempt })}::jsonb, updated_at = ${at(deps.clock.now())}
                                where id = ${row.id}`);
      throw new RetryableSendError(`${reason}: ${detail}`);
    }
    await record("failed", { type: "failed", reason, detail, attempts: attempt.attempt });
    return { type: "failed", reason, detail };
  };

  if (step.type === "webhook") return sendWebhook(deps, row, campaign, step, record, retryOrFail);

  // step.type === "email"
  const variants = campaign.templates.get(step.template);
  const template = variants ? chooseLocale(variants, row.locale) : undefined;
  const publicUrl = deps.config.http.publicUrl;
  const token = unsubscribeToken(deps.secretKey, row.id);
  const unsubscribeUrl = `${publicUrl}/unsubscribe/${token}`;
  let rendered;
  try {
    if (!template) throw new RenderError(`no template ${step.template}`);
    const context = renderContextOf(row, row.subscription, row.card, {
      campaign: { id: campaign.id, name: campaign.definition.name, category: campaign.definition.category },
      facts: row.matched_facts,
      company: { name: deps.config.delivery.companyName, url: deps.config.delivery.links.app },
      links: { unsubscribe: unsubscribeUrl, billing: deps.config.delivery.links.billing, app: deps.config.delivery.links.app },
      defaultTimeZone: tz,
    });
    rendered = renderTemplate(template, context);
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    await record("failed", { type: "render_failed", detail: error.message });
    return { type: "failed", reason: "render_failed", detail: error.message };
  }

  try {
    const accepted = await deps.mailer.send({
      from: deps.config.mail.from,
      to: { name: row.name, address: row.email! },
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      messageId: `<rekindle.${row.id}@${mailDomain(deps.config.mail.from)}>`,
      headers: {
        // Billing notices a customer cannot opt out of carry no unsubscribe headers.
        ...(campaign.definition.delivery.unsubscribable && {
          "List-Unsubscribe": `<${unsubscribeUrl}>${deps.config.mail.unsubscribeMailto ? `, <mailto:${deps.config.mail.unsubscribeMailto}?subject=unsubscribe-${token}>` : ""}`,
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }),
        "X-Rekindle-Message": String(row.id),
        "X-Rekindle-Campaign": campaign.id,
      },
    });
    await results.submit({ row, campaign, nextStep, subject: rendered.subject, smtpMessageId: accepted.messageId, smtpResponse: accepted.response, sentAt: deps.clock.now() });
    return { type: "sent", smtpMessageId: accepted.messageId };
  } catch (error) {
    if (error instanceof RetryableSendError) throw error;
    const failure = classifySmtpError(error);
    if (failure.type === "transient") return retryOrFail("smtp_transient", failure.message);
    await deps.db.transaction(async (tx) => {
      await finish(tx, row.id, "failed", deps.clock.now(), { type: "rejected", code: failure.code, detail: failure.message }, sql`, smtp_response = ${failure.message}`);
      if (failure.recipientRejected) {
        await tx.execute(sql`insert into suppressions (email, category, reason, detail, created_by, created_at)
                             values (${row.email!.toLowerCase()}, null, 'bounce', ${failure.message.slice(0, 500)}, 'smtp', ${at(deps.clock.now())})
                             on conflict do nothing`);
      }
      await advance(tx, campaign, row.enrollment_id, nextStep, deps.clock.now(), tz);
    });
    return { type: "failed", reason: "rejected", detail: failure.message };
  }
}

async function sendWebhook(
  deps: Deps,
  row: MessageRow,
  campaign: LoadedCampaign,
  step: Extract<ActionStep, { type: "webhook" }>,
  record: (status: "sent" | "failed", outcome: Record<string, unknown>, extra?: SQL) => Promise<void>,
  retryOrFail: (reason: string, detail: string) => Promise<SendOutcome>,
): Promise<SendOutcome> {
  const body = JSON.stringify({
    ...step.body,
    campaign: { id: campaign.id, name: campaign.definition.name },
    step: step.id,
    customer: { id: row.external_id, email: row.email, name: row.name, plan: row.plan },
    facts: row.matched_facts,
    messageId: row.id,
  });
  const signature = createHmac("sha256", deps.secretKey).update(body).digest("hex");
  let response: Awaited<ReturnType<Deps["webhookFetch"]>>;
  try {
    response = await deps.webhookFetch(step.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-rekindle-signature": `sha256=${signature}`, "x-rekindle-message": String(row.id) },
      body,
      timeoutMs: 10_000,
    });
    await response.body?.cancel();
  } catch (error) {
    if (error instanceof DestinationRefusedError) {
      await record("failed", { type: "webhook_refused", detail: error.message });
      return { type: "failed", reason: "webhook_refused", detail: error.message };
    }
    return retryOrFail("webhook_unreachable", (error as Error).message);
  }
  const detail = `HTTP ${response.status}`;
  if (response.ok) {
    await record("sent", { type: "sent" }, sql`, smtp_response = ${detail}, sent_at = ${at(deps.clock.now())}`);
    return { type: "sent", smtpMessageId: detail };
  }
  if (response.status >= 500 || response.status === 408 || response.status === 429) return retryOrFail("webhook_transient", detail);
  await record("failed", { type: "webhook_rejected", detail }, sql`, smtp_response = ${detail}`);
  return { type: "failed", reason: "webhook_rejected", detail };
}
