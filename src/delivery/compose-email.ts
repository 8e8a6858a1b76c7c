import type { LoadedCampaign } from "../campaigns/index.js";
import type { Config } from "../config/index.js";
import { chooseLocale, type RenderContext, RenderError, type RenderedEmail, renderTemplate, sampleContext } from "../render/index.js";
import { type CardRow, formatDay, formatMoney, formattingLocale, type RecipientRow, renderContextOf, type SubscriptionRow } from "./build-render-context.js";

/** Whom an email is composed for: a customer from their rows (a send, or a preview for them), or the sample customer. */
export type Addressee =
  | { type: "customer"; recipient: RecipientRow; subscription: SubscriptionRow | null; card: CardRow | null; facts: Record<string, unknown> }
  | { type: "sample" };

export interface ComposeOptions {
  /** The locale that picks the variant and writes money and dates. Default: the addressee's. */
  locale?: string | null;
  /** The links that belong to one message: signed ones for a send, placeholders for a preview. */
  links: Pick<RenderContext["links"], "unsubscribe" | "updateCard">;
}

export type Composed =
  | {
      type: "ok";
      email: RenderedEmail;
      /** The variant's key in the campaign's templates (`sv`), null for the default one. */
      variant: string | null;
      /** The language the email is written in: the variant's, or DEFAULT_LOCALE for the default templates. */
      language: string;
    }
  | { type: "render_failed"; detail: string };

/** The domain of MAIL_FROM, for the Message-IDs of sends and test sends. */
export function mailDomain(from: string): string {
  return from.match(/@([^>\s]+)/)?.[1] ?? "rekindle.local";
}

/**
 * One email step as its addressee reads it: the variant for their locale, the render context
 * (profile, subscription, card, the campaign, the facts that made them enter, the company and the
 * links, money and dates in the email's language and their time zone) and the rendered subject,
 * HTML and text. The send path, previews, Studio and test sends all compose here, so a preview is
 * the email the customer gets, but for the message's own links.
 */
export function composeEmail(config: Config, campaign: LoadedCampaign, step: { template: string }, to: Addressee, options: ComposeOptions): Composed {
  const extra = { campaign: campaignInfo(campaign), company: companyOf(config) };
  const sample = to.type === "sample" ? sampleContext(extra) : undefined;
  const locale = options.locale ?? (to.type === "customer" ? to.recipient.locale : (sample?.customer.locale ?? null));
  const variants = campaign.templates.get(step.template);
  const template = variants ? chooseLocale(variants, locale) : undefined;
  if (!variants || !template) return { type: "render_failed", detail: `no template ${step.template}` };
  const variant = [...variants].find(([, t]) => t === template)?.[0] ?? null;
  const language = template.locale ?? config.delivery.defaultLocale;
  // Money and dates as the email is written: in its variant's language, refined by the reader's locale.
  const formatLocale = formattingLocale(language, locale);
  const links = { unsubscribe: options.links.unsubscribe, billing: config.delivery.links.billing, updateCard: options.links.updateCard, app: config.delivery.links.app };
  let context: RenderContext;
  if (to.type === "customer") {
    context = renderContextOf(to.recipient, to.subscription, to.card, { ...extra, facts: to.facts, links, defaultTimeZone: config.delivery.defaultTimeZone, formatLocale });
  } else {
    const base = sample ?? sampleContext(extra);
    const timeZone = base.customer.timezone ?? config.delivery.defaultTimeZone;
    // The sample's subscription with its money and day written as the chosen variant writes them.
    const subscription = base.subscription && { ...base.subscription, mrr: formatMoney(4900, "USD", formatLocale), currentPeriodEnd: formatDay("2026-12-22T12:00:00Z", formatLocale, timeZone) };
    context = { ...base, subscription, links };
  }
  try {
    return { type: "ok", email: renderTemplate(template, { ...context, customer: { ...context.customer, locale } }), variant, language };
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    return { type: "render_failed", detail: error.message };
  }
}

const campaignInfo = (campaign: LoadedCampaign): RenderContext["campaign"] => ({ id: campaign.id, name: campaign.definition.name, category: campaign.definition.category });
const companyOf = (config: Config): RenderContext["company"] => ({ name: config.delivery.companyName, url: config.delivery.links.app });
