import { sql } from "drizzle-orm";
import { z } from "zod";
import type { LoadedCampaign } from "../campaigns/index.js";
import { cardLinkPreviewUrl } from "../card-link/index.js";
import type { Config } from "../config/index.js";
import { col, type Db, queryRows } from "../db/index.js";
import type { Mailer } from "../mail/index.js";
import { type RenderedEmail, sampleContext } from "../render/index.js";
import { readSubscriptionAndCard, RecipientRow } from "./build-render-context.js";
import { type Addressee, composeEmail, mailDomain } from "./compose-email.js";

export type PreviewResult =
  | { type: "ok"; email: RenderedEmail; locale: string | null; customer: string }
  | { type: "not_found"; what: string }
  | { type: "render_failed"; what: string };

export interface PreviewDeps {
  db: Db;
  config: Config;
}

/**
 * Renders one email step exactly as a customer would get it (composeEmail, as a send does, with
 * placeholder unsubscribe and card links): for a real customer (their data, their locale, the facts
 * of their latest enrollment in the campaign) or for the sample customer.
 */
export async function previewStep(
  deps: PreviewDeps,
  campaign: LoadedCampaign,
  stepId: string,
  options: { customerId?: string; locale?: string } = {},
): Promise<PreviewResult> {
  const step = campaign.definition.steps.find((s) => s.id === stepId);
  if (!step || step.type !== "email") {
    const emails = campaign.definition.steps.filter((s) => s.type === "email").map((s) => s.id);
    return { type: "not_found", what: `no email step ${stepId} in ${campaign.id} (its emails: ${emails.join(", ")})` };
  }
  const links = { unsubscribe: `${deps.config.http.publicUrl}/unsubscribe/preview`, updateCard: cardLinkPreviewUrl(deps.config) };
  let to: Addressee = { type: "sample" };
  if (options.customerId) {
    const [recipient] = await queryRows(
      deps.db,
      RecipientRow,
      sql`select id::int as customer_id, external_id, email, name, locale, timezone, plan, traits from customers where external_id = ${options.customerId}`,
    );
    if (!recipient) return { type: "not_found", what: `no customer ${options.customerId}` };
    const [enrollment] = await queryRows(
      deps.db,
      z.object({ matched_facts: col.jsonObject }),
      sql`select matched_facts from enrollments where campaign_id = ${campaign.id} and customer_id = ${recipient.customer_id} order by entered_at desc limit 1`,
    );
    to = { type: "customer", recipient, ...(await readSubscriptionAndCard(deps.db, recipient)), facts: enrollment?.matched_facts ?? sampleContext().facts };
  }
  const label = to.type === "customer" ? to.recipient.external_id : "sample";
  const composed = composeEmail(deps.config, campaign, step, to, { locale: options.locale, links });
  if (composed.type === "render_failed") return { type: "render_failed", what: `this email cannot be rendered for ${label}: ${composed.detail}` };
  return { type: "ok", email: composed.email, locale: composed.variant, customer: label };
}

/** Sends a preview to an address (subject marked as a test); nothing is recorded in the outbox. */
export async function testSend(
  deps: PreviewDeps & { mailer: Mailer },
  campaign: LoadedCampaign,
  stepId: string,
  to: string,
  options: { customerId?: string; locale?: string } = {},
): Promise<{ type: "sent"; messageId: string; response: string; subject: string } | Extract<PreviewResult, { type: "not_found" | "render_failed" }>> {
  const preview = await previewStep(deps, campaign, stepId, options);
  if (preview.type !== "ok") return preview;
  const subject = `[Test] ${preview.email.subject}`;
  const accepted = await deps.mailer.send({
    from: deps.config.mail.from,
    to: { name: null, address: to },
    subject,
    html: preview.email.html,
    text: preview.email.text,
    messageId: `<rekindle.test.${Date.now()}.${Math.random().toString(36).slice(2)}@${mailDomain(deps.config.mail.from)}>`,
    headers: { "X-Rekindle-Test": `${campaign.id}/${stepId}` },
  });
  return { type: "sent", ...accepted, subject };
}
