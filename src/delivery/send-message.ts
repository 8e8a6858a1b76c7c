import { sql } from "drizzle-orm";
import { following, type LoadedCampaign, planFrom, scheduleCtes } from "../campaigns/index.js";
import type { Deps } from "../deps/index.js";
import { classifySmtpError } from "../mail/index.js";
import type { JobAttempt } from "../queue/index.js";
import { chooseLocale, RenderError, renderTemplate } from "../render/index.js";
import { renderContextOf } from "./build-render-context.js";
import { type Claim, claimMessages } from "./claim-messages.js";
import { MicroBatcher } from "./micro-batcher.js";
import { groupBy } from "./group-by.js";
import { RetryableSendError, type SendOutcome } from "./outcome.js";
import { advance, at, finish, type MessageRow } from "./outbox-row.js";
import { sendWebhook } from "./send-webhook.js";
import { unsubscribeToken } from "./unsubscribe-token.js";

/** What a finished send writes on its row (optional fields keep what the row has); the next step is scheduled with it. */
export interface SendResult {
  row: MessageRow;
  campaign: LoadedCampaign;
  nextStep: string;
  status: "sent" | "failed";
  outcome: Record<string, unknown>;
  subject?: string;
  smtpMessageId?: string;
  smtpResponse?: string;
  sentAt?: Date;
}

/**
 * Writes results and schedules their next steps: one statement per campaign version and next step
 * in the batch (atomic for each message, as its result and its next step go together).
 */
async function recordResults(deps: Deps, results: readonly SendResult[]): Promise<void[]> {
  const tz = deps.config.delivery.defaultTimeZone;
  const groups = groupBy(results, (result) => `${result.campaign.versionId}\u0000${result.nextStep}`);
  for (const group of groups.values()) {
    const { campaign, nextStep } = group[0]!;
    const now = deps.clock.now();
    const values = group.map((r) => ({
      id: r.row.id,
      status: r.status,
      outcome: r.outcome,
      subject: r.subject ?? null,
      smtp_message_id: r.smtpMessageId ?? null,
      smtp_response: r.smtpResponse ?? null,
      sent_at: r.sentAt?.toISOString() ?? null,
    }));
    await deps.db.execute(sql`
      with finished as (
        update messages m set status = v.status::message_status, lease_until = null, updated_at = ${at(now)}, outcome = v.outcome,
               subject = coalesce(v.subject, m.subject), smtp_message_id = coalesce(v.smtp_message_id, m.smtp_message_id),
               smtp_response = coalesce(v.smtp_response, m.smtp_response), sent_at = coalesce(v.sent_at, m.sent_at)
        from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(
          id bigint, status text, outcome jsonb, subject text, smtp_message_id text, smtp_response text, sent_at timestamptz)
        where m.id = v.id returning m.enrollment_id),
      enrolled as (
        select en.id, en.customer_id from enrollments en join finished f on f.enrollment_id = en.id where en.status = 'active'),
      ${scheduleCtes(campaign, planFrom(campaign.definition, nextStep), at(now), tz, { updateEnrollments: true })}
      select 1`);
  }
  return results.map(() => undefined);
}

function mailDomain(from: string): string {
  return from.match(/@([^>\s]+)/)?.[1] ?? "rekindle.local";
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
  const results = new MicroBatcher((batch: SendResult[]) => recordResults(deps, batch), { maxItems: BATCH_ITEMS, maxInFlight: 2 });
  return (messageId, attempt) => sendMessage(deps, messageId, attempt, claims, results);
}

async function sendMessage(
  deps: Deps,
  messageId: number,
  attempt: JobAttempt,
  claims: MicroBatcher<number, Claim>,
  results: MicroBatcher<SendResult, void>,
): Promise<SendOutcome> {
  const tz = deps.config.delivery.defaultTimeZone;
  const claimed = await claims.submit(messageId);
  if ("done" in claimed) return claimed.done;
  const { row, campaign, step } = claimed;
  const nextStep = following(campaign.definition, step.id);

  // The result and the next step together, in the worker's next batch of results.
  const record = (result: Pick<SendResult, "status" | "outcome" | "subject" | "smtpMessageId" | "smtpResponse" | "sentAt">) =>
    results.submit({ row, campaign, nextStep, ...result });
  const retryOrFail = async (reason: string, detail: string): Promise<SendOutcome> => {
    if (attempt.attempt < attempt.maxAttempts) {
      const backoffMs = deps.config.delivery.sendBackoffMs * 2 ** (attempt.attempt - 1);
      await deps.db.execute(sql`update messages set status = 'queued', lease_until = ${at(new Date(deps.clock.now().getTime() + backoffMs + 600_000))},
                                  outcome = ${JSON.stringify({ type: "retrying", reason, detail, attempt: attempt.attempt })}::jsonb, updated_at = ${at(deps.clock.now())}
                                where id = ${row.id}`);
      throw new RetryableSendError(`${reason}: ${detail}`);
    }
    await record({ status: "failed", outcome: { type: "failed", reason, detail, attempts: attempt.attempt } });
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
    await record({ status: "failed", outcome: { type: "render_failed", detail: error.message } });
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
    await record({ status: "sent", outcome: { type: "sent" }, subject: rendered.subject, smtpMessageId: accepted.messageId, smtpResponse: accepted.response, sentAt: deps.clock.now() });
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
