import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/index.js";
import type { RenderContext } from "../render/index.js";

export interface RecipientRow {
  customer_id: number;
  external_id: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  timezone: string | null;
  plan: string | null;
  traits: Record<string, unknown>;
}

function money(minor: number, currency: string, locale: string): string {
  try {
    const format = new Intl.NumberFormat(locale, { style: "currency", currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minor / 10 ** digits);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

function day(value: string | Date | null, locale: string, timeZone: string): string | null {
  if (!value) return null;
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone }).format(new Date(value));
  } catch {
    return new Date(value).toISOString().slice(0, 10);
  }
}

/**
 * What a template sees for one recipient: the profile, their live subscription and default card
 * (null when there is none), the campaign, the facts that made them enter, and the links, with
 * money and dates formatted for their locale and time zone.
 */
export async function buildRenderContext(
  db: Db,
  recipient: RecipientRow,
  extra: { campaign: RenderContext["campaign"]; facts: Record<string, unknown>; company: RenderContext["company"]; links: RenderContext["links"]; defaultTimeZone: string },
): Promise<RenderContext> {
  const locale = recipient.locale ?? "en";
  const timeZone = recipient.timezone ?? extra.defaultTimeZone;
  const [subscription] = await queryRows<{ status: string; plan: string | null; mrr_minor: string | number; currency: string; current_period_end: string | null }>(
    db,
    sql`select status::text, plan, mrr_minor, currency::text, current_period_end from subscriptions
        where customer_id = ${recipient.customer_id} order by (status <> 'canceled') desc, updated_at desc, id desc limit 1`,
  );
  const [card] = await queryRows<{ brand: string | null; last4: string | null; exp_month: number; exp_year: number }>(
    db,
    sql`select brand, last4, exp_month, exp_year from payment_methods
        where customer_id = ${recipient.customer_id} and is_default and detached_at is null order by updated_at desc, id desc limit 1`,
  );
  const name = recipient.name?.trim() || null;
  return {
    customer: {
      id: recipient.external_id,
      email: recipient.email ?? "",
      name,
      firstName: name ? name.split(/\s+/)[0]! : null,
      locale: recipient.locale,
      timezone: recipient.timezone,
      plan: subscription?.plan ?? recipient.plan,
      traits: recipient.traits,
    },
    subscription: subscription
      ? {
          status: subscription.status,
          plan: subscription.plan,
          mrr: money(Number(subscription.mrr_minor), subscription.currency.trim(), locale),
          currency: subscription.currency.trim(),
          currentPeriodEnd: day(subscription.current_period_end, locale, timeZone),
        }
      : null,
    card: card
      ? {
          brand: card.brand,
          last4: card.last4,
          expMonth: card.exp_month,
          expYear: card.exp_year,
          expiry: `${String(card.exp_month).padStart(2, "0")}/${card.exp_year}`,
        }
      : null,
    campaign: extra.campaign,
    facts: extra.facts,
    company: extra.company,
    links: extra.links,
  };
}
