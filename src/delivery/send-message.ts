import { following, type LoadedCampaign } from "../campaigns/index.js";
import { cardLinkUrl } from "../card-link/index.js";
import { retryTransient } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { classifySmtpError } from "../mail/index.js";
import type { JobAttempt } from "../queue/index.js";
import { type Claim, claimMessages } from "./claim-messages.js";
import { composeEmail, mailDomain } from "./compose-email.js";
import { MicroBatcher } from "../db/index.js";
import { RetryableSendError, type SendOutcome } from "./outcome.js";
import { recordResults, retryLater, type SendRecord, suppressBounce } from "./outbox.js";
import { sendWebhook } from "./send-webhook.js";
import { unsubscribeToken } from "./unsubscribe-token.js";

/** A result waiting to be written, with what schedules its next step. */
interface PendingResult {
  record: SendRecord;
  campaign: LoadedCampaign;
  nextStep: string;
}

/** What a send writes besides its row, claim and next step. */
export type ResultFields = Pick<SendRecord, "status" | "outcome" | "subject" | "smtpMessageId" | "smtpResponse" | "sentAt" | "locale">;

/** How many claims or results one database round trip carries at most. */
const BATCH_ITEMS = 100;

/**
 * The sender of one worker process: carries out one outbox row at its time. Concurrent jobs share
 * their database work — claims in one transaction, results in one statement per batch — so the
 * round trips per email fall as the load rises; SMTP is still one email at a time per connection.
 *
 * What SMTP said and recording it are kept apart: once SMTP has accepted (or refused) an email,
 * only the recording is retried — through a PostgreSQL restart, for up to RESULT_RETRY — and
 * nothing can put the row back in the queue to be sent again.
 */
export function createSender(deps: Deps): (messageId: number, attempt: JobAttempt) => Promise<SendOutcome> {
  const tz = deps.config.delivery.defaultTimeZone;
  const claims = new MicroBatcher((ids: number[]) => claimMessages(deps, ids), { maxItems: BATCH_ITEMS, maxInFlight: 2 });
  const results = new MicroBatcher(
    async (batch: PendingResult[]): Promise<void[]> => {
      await retryTransient(() => recordResults(deps.db, batch, deps.clock.now(), tz), {
        forMs: deps.config.delivery.resultRetryMs,
        onRetry: (error, attempt) => deps.logger.warn({ err: error, attempt, messages: batch.length }, "recording send results failed on a database fault; trying again"),
      });
      return batch.map(() => undefined);
    },
    { maxItems: BATCH_ITEMS, maxInFlight: 2 },
  );
  return (messageId, attempt) => sendMessage(deps, messageId, attempt, claims, results);
}

async function sendMessage(
  deps: Deps,
  messageId: number,
  attempt: JobAttempt,
  claims: MicroBatcher<number, Claim>,
  results: MicroBatcher<PendingResult, void>,
): Promise<SendOutcome> {
  const claimed = await claims.submit(messageId);
  if ("done" in claimed) return claimed.done;
  const { row, campaign, step, token } = claimed;
  const nextStep = following(campaign.definition, step.id);
  const retryDb = <T>(operation: () => Promise<T>, what: string) =>
    retryTransient(operation, {
      forMs: deps.config.delivery.resultRetryMs,
      onRetry: (error, n) => deps.logger.warn({ err: error, attempt: n, messageId: row.id }, `${what} failed on a database fault; trying again`),
    });

  // The result and the next step together, in the worker's next batch of results. If it cannot be
  // written within RESULT_RETRY, the row stays `sending` and becomes `uncertain` when its lease
  // runs out: reported, never sent again.
  const record = async (result: ResultFields): Promise<SendOutcome | undefined> => {
    try {
      await results.submit({ record: { id: row.id, token, enrollmentId: row.enrollment_id, ...result }, campaign, nextStep });
      return undefined;
    } catch (error) {
      deps.logger.error({ err: error, messageId: row.id, result: result.status }, "could not record the result of a send; the message will be reported uncertain, not sent again");
      return { type: "not-recorded", status: result.status, detail: (error as Error).message };
    }
  };
  const retryOrFail = async (reason: string, detail: string): Promise<SendOutcome> => {
    if (attempt.attempt < attempt.maxAttempts) {
      // Nothing was delivered: back to `queued` until the queue's next try (the lease covers the
      // backoff and QUEUE_LEASE more, should the job be lost meanwhile).
      const now = deps.clock.now();
      const backoffMs = deps.config.delivery.sendBackoffMs * 2 ** (attempt.attempt - 1);
      const leaseUntil = new Date(now.getTime() + backoffMs + deps.config.delivery.queueLeaseMs);
      await retryDb(() => retryLater(deps.db, row.id, token, now, leaseUntil, { type: "retrying", reason, detail, attempt: attempt.attempt }), "putting a message back for another try");
      throw new RetryableSendError(`${reason}: ${detail}`);
    }
    return (await record({ status: "failed", outcome: { type: "failed", reason, detail, attempts: attempt.attempt } })) ?? { type: "failed", reason, detail };
  };

  if (step.type === "webhook") return sendWebhook(deps, row, campaign, step, record, retryOrFail);

  // step.type === "email". Claiming skips one whose customer has no address, so this only fails
  // if the two drift apart.
  const address = row.email;
  if (!address) {
    const detail = "the customer has no email address";
    return (await record({ status: "failed", outcome: { type: "failed", reason: "no_address", detail, attempts: attempt.attempt } })) ?? { type: "failed", reason: "no_address", detail };
  }
  const unsubscribe = unsubscribeToken(deps.secretKey, row.id);
  const unsubscribeUrl = `${deps.config.http.publicUrl}/unsubscribe/${unsubscribe}`;
  const composed = composeEmail(deps.config, campaign, step, { type: "customer", recipient: row, subscription: row.subscription, card: row.card, facts: row.matched_facts }, {
    links: { unsubscribe: unsubscribeUrl, updateCard: cardLinkUrl(deps.secretKey, deps.config, row.customer_id, deps.clock.now()) },
  });
  if (composed.type === "render_failed") {
    return (await record({ status: "failed", outcome: { type: "render_failed", detail: composed.detail } })) ?? { type: "failed", reason: "render_failed", detail: composed.detail };
  }
  const { email: rendered, language } = composed;

  // What SMTP says, and only that, decides between sent, retried and refused.
  let accepted;
  try {
    accepted = await deps.mailer.send({
      from: deps.config.mail.from,
      to: { name: row.name, address },
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      messageId: `<rekindle.${row.id}@${mailDomain(deps.config.mail.from)}>`,
      headers: {
        // Billing notices a customer cannot opt out of carry no unsubscribe headers.
        ...(campaign.definition.delivery.unsubscribable && {
          "List-Unsubscribe": `<${unsubscribeUrl}>${deps.config.mail.unsubscribeMailto ? `, <mailto:${deps.config.mail.unsubscribeMailto}?subject=unsubscribe-${unsubscribe}>` : ""}`,
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }),
        "X-Rekindle-Message": String(row.id),
        "X-Rekindle-Campaign": campaign.id,
      },
    });
  } catch (error) {
    const failure = classifySmtpError(error);
    if (failure.type === "transient") return retryOrFail("smtp_transient", failure.message);
    // Refused for good. Only a refused recipient is a bounce that suppresses the address; a
    // message refused for its content (at DATA: policy, spam) fails alone and is reported.
    if (failure.recipientRejected) await retryDb(() => suppressBounce(deps.db, address, failure.message, deps.clock.now()), "suppressing a bounced address");
    const refused = await record({
      status: "failed",
      outcome: { type: "rejected", code: failure.code, detail: failure.message, bounce: failure.recipientRejected },
      smtpResponse: failure.message,
    });
    return refused ?? { type: "failed", reason: failure.recipientRejected ? "bounced" : "rejected", detail: failure.message };
  }
  const recorded = await record({
    status: "sent",
    outcome: { type: "sent" },
    subject: rendered.subject,
    smtpMessageId: accepted.messageId,
    smtpResponse: accepted.response,
    sentAt: deps.clock.now(),
    locale: language,
  });
  return recorded ?? { type: "sent", smtpMessageId: accepted.messageId };
}
