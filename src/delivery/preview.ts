import { sql } from "drizzle-orm";
import type { LoadedCampaign } from "../campaigns/index.js";
import { cardLinkPreviewUrl } from "../card-link/index.js";
import type { Config } from "../config/index.js";
import { type Db, queryRows } from "../db/index.js";
import type { Mailer } from "../mail/index.js";
import { chooseLocale, type RenderContext, RenderError, type RenderedEmail, renderTemplate, sampleContext } from "../render/index.js";
import { buildRenderContext, formatDay, formatMoney, formattingLocale, type RecipientRow } from "./build-render-context.js";

export type PreviewResult =
  | { type: "ok"; email: RenderedEmail; locale: string | null; customer: string }
  | { type: "not_found"; what: string }
  | { type: "render_failed"; what: string };

export interface PreviewDeps {
  db: Db;
  config: Config;
}

/**
 * Renders one email step exactly as a customer would get it: for a real customer (their data, their
 * locale, the facts of their latest enrollment in the campaign) or for the sample customer.
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
  const variants = campaign.templates.get(step.template);
  if (!variants) return { type: "not_found", what: `no email ${step.template} in ${campaign.id}` };
  const links = {
    unsubscribe: `${deps.config.http.publicUrl}/unsubscribe/preview`,
    billing: deps.config.delivery.links.billing,
    updateCard: cardLinkPreviewUrl(deps.config),
    app: deps.config.delivery.links.app,
  };
  const company = { name: deps.config.delivery.companyName, url: deps.config.delivery.links.app };
  const campaignInfo = { id: campaign.id, name: campaign.definition.name, category: campaign.definition.category };
  let context: RenderContext;
  let label: string;
  let recipient: RecipientRow | undefined;
  if (options.customerId) {
    [recipient] = await queryRows<RecipientRow>(
      deps.db,
      sql`select id::int as customer_id, external_id, email, name, locale, timezone, plan, traits from customers where external_id = ${options.customerId}`,
    );
    if (!recipient) return { type: "not_found", what: `no customer ${options.customerId}` };
  }
  const sample = sampleContext({ campaign: campaignInfo, company });
  const locale = options.locale ?? (recipient ? recipient.locale : sample.customer.locale);
  const template = chooseLocale(variants, locale);
  if (!template) return { type: "not_found", what: `no variant of ${step.template} in ${campaign.id} for ${locale ?? "the default language"}` };
  const chosen = [...variants].find(([, t]) => t === template)?.[0] ?? null;
  // Money and dates as in the email sent: in the language of the variant chosen.
  const formatLocale = formattingLocale(template.locale ?? deps.config.delivery.defaultLocale, locale);
  if (recipient) {
    const [enrollment] = await queryRows<{ matched_facts: Record<string, unknown> }>(
      deps.db,
      sql`select matched_facts from enrollments where campaign_id = ${campaign.id} and customer_id = ${recipient.customer_id} order by entered_at desc limit 1`,
    );
    context = await buildRenderContext(deps.db, recipient, {
      campaign: campaignInfo,
      facts: enrollment?.matched_facts ?? sample.facts,
      company,
      links,
      defaultTimeZone: deps.config.delivery.defaultTimeZone,
      formatLocale,
    });
    label = recipient.external_id;
  } else {
    const timeZone = sample.customer.timezone ?? deps.config.delivery.defaultTimeZone;
    const subscription = sample.subscription && { ...sample.subscription, mrr: formatMoney(4900, "USD", formatLocale), currentPeriodEnd: formatDay("2026-12-22T12:00:00Z", formatLocale, timeZone) };
    context = { ...sample, subscription, links };
    label = "sample";
  }
  try {
    return { type: "ok", email: renderTemplate(template, { ...context, customer: { ...context.customer, locale } }), locale: chosen, customer: label };
  } catch (error) {
    if (error instanceof RenderError) return { type: "render_failed", what: `this email cannot be rendered for ${label}: ${error.message}` };
    throw error;
  }
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
    messageId: `<rekindle.test.${Date.now()}.${Math.random().toString(36).slice(2)}@${deps.config.mail.from.match(/@([^>\s]+)/)?.[1] ?? "rekindle.local"}>`,
    headers: { "X-Rekindle-Test": `${campaign.id}/${stepId}` },
  });
  return { type: "sent", ...accepted, subject };
}
