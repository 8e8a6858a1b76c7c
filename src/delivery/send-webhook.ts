import { createHmac } from "node:crypto";
import type { ActionStep, LoadedCampaign } from "../campaigns/index.js";
import type { Deps } from "../deps/index.js";
import { DestinationRefusedError } from "../webhooks/index.js";
import type { SendOutcome } from "./outcome.js";
import type { MessageRow } from "./outbox-row.js";
import type { ResultFields } from "./send-message.js";

/** Writes the webhook's result (and schedules the next step); an outcome when it could not be written. */
type RecordResult = (result: ResultFields) => Promise<SendOutcome | undefined>;

/** POSTs the step's JSON, signed with SECRET_KEY; 5xx, 408, 429 and unreachable are retried, other answers are final. */
export async function sendWebhook(
  deps: Deps,
  row: MessageRow,
  campaign: LoadedCampaign,
  step: Extract<ActionStep, { type: "webhook" }>,
  record: RecordResult,
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
      return (await record({ status: "failed", outcome: { type: "webhook_refused", detail: error.message } })) ?? { type: "failed", reason: "webhook_refused", detail: error.message };
    }
    return retryOrFail("webhook_unreachable", (error as Error).message);
  }
  const detail = `HTTP ${response.status}`;
  if (response.ok) {
    return (await record({ status: "sent", outcome: { type: "sent" }, smtpResponse: detail, sentAt: deps.clock.now() })) ?? { type: "sent", smtpMessageId: detail };
  }
  if (response.status >= 500 || response.status === 408 || response.status === 429) return retryOrFail("webhook_transient", detail);
  return (await record({ status: "failed", outcome: { type: "webhook_rejected", detail }, smtpResponse: detail })) ?? { type: "failed", reason: "webhook_rejected", detail };
}
