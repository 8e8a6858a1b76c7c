import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../db/index.js";
import type { RenderContext } from "../render/index.js";

export const RecipientRow = z.object({
  customer_id: col.int,
  external_id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  locale: z.string().nullable(),
  timezone: z.string().nullable(),
  plan: z.string().nullable(),
  traits: col.jsonObject,
});
export type RecipientRow = z.infer<typeof RecipientRow>;

const BRANDS: Record<string, string> = {
  visa: "Visa",
  mastercard: "Mastercard",
  amex: "American Express",
  american_express: "American Express",
  discover: "Discover",
  diners: "Diners Club",
  jcb: "JCB",
  unionpay: "UnionPay",
  cartes_bancaires: "Cartes Bancaires",
};

/** Card brands as card networks write them (`visa` → `Visa`). */
export function brandName(brand: string | null): string | null {
  return brand ? (BRANDS[brand.toLowerCase().replace(/\s+/g, "_")] ?? brand) : null;
}

/**
 * Intl formatters are costly to build (tens of microseconds) and cheap to use: one per locale and
 * currency or time zone. Locales come from customer profiles, so the cache is bounded.
 */
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => F): F {
  let formatter = formatters.get(key) as F | undefined;
  if (!formatter) {
    if (formatters.size >= 1_000) formatters.clear();
    formatter = make();
    formatters.set(key, formatter);
  }
  return formatter;
}

/** An amount in minor units (`30000` EUR) as a reader of `locale` writes it: `€300.00` in `en`, `300,00 €` in `sv`. */
export function formatMoney(minor: number, currency: string, locale: string): string {
  try {
    const format = cached(`n:${locale}:${currency}`, () => new Intl.NumberFormat(locale, { style: "currency", currency }));
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minor / 10 ** digits);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

/** A day as a reader of `locale` writes it, in `timeZone`: `December 18, 2026` in `en`, `18 december 2026` in `sv`. */
export function formatDay(value: string | Date | null, locale: string, timeZone: string): string | null {
  if (!value) return null;
  try {
    return cached(`d:${locale}:${timeZone}`, () => new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone })).format(new Date(value));
  } catch {
    return new Date(value).toISOString().slice(0, 10);
  }
}

/**
 * The locale money and dates are written in: that of the email actually sent, so that no English
 * sentence carries German numbers. `language` is the variant's (`sv` for `first-notice.sv.mjml`,
 * DEFAULT_LOCALE for the default one); the customer's own locale refines it when it is of that
 * language (`sv-FI` reading the `sv` email, `en-GB` reading the English one), and is ignored when
 * it is not (`de-DE` reading the English email gets English).
 */
export function formattingLocale(language: string, customerLocale: string | null): string {
  if (!customerLocale) return language;
  const customer = customerLocale.toLowerCase();
  const wanted = language.toLowerCase();
  return customer === wanted || customer.startsWith(`${wanted}-`) ? customerLocale : language;
}

/**
 * What a template sees for one recipient: the profile, their live subscription and default card
 * (null when there is none), the campaign, the facts that made them enter, and the links, with
 * money and dates formatted in the email's language and the customer's time zone.
 */
/** `SUBSCRIPTION_JSON`: built by `to_jsonb`, so its moments are ISO text and its bigint a JSON number. */
export const SubscriptionRow = z.object({
  status: z.string(),
  plan: z.string().nullable(),
  mrr_minor: col.int8,
  currency: z.string(),
  current_period_end: z.string().nullable(),
});
export type SubscriptionRow = z.infer<typeof SubscriptionRow>;

export const CardRow = z.object({
  brand: z.string().nullable(),
  last4: z.string().nullable(),
  exp_month: col.int,
  exp_year: col.int,
});
export type CardRow = z.infer<typeof CardRow>;

type Extra = {
  campaign: RenderContext["campaign"];
  facts: Record<string, unknown>;
  company: RenderContext["company"];
  links: RenderContext["links"];
  defaultTimeZone: string;
  /** What money and dates are written in: `formattingLocale` of the variant sent and the customer. */
  formatLocale: string;
};

/** The live subscription and default card, as the render context needs them (a SQL fragment per customer `c`). */
export const SUBSCRIPTION_JSON = sql`(select to_jsonb(x) from (select status::text, plan, mrr_minor, currency::text, current_period_end from subscriptions
  where customer_id = c.id order by (status <> 'canceled') desc, updated_at desc, id desc limit 1) x)`;
export const CARD_JSON = sql`(select to_jsonb(x) from (select brand, last4, exp_month, exp_year from payment_methods
  where customer_id = c.id and is_default and detached_at is null order by updated_at desc, id desc limit 1) x)`;

/** A recipient's live subscription and default card, for a preview (the send path reads them with the message, in one query). */
export async function readSubscriptionAndCard(db: Db, recipient: RecipientRow): Promise<{ subscription: SubscriptionRow | null; card: CardRow | null }> {
  const [row] = await queryRows(
    db,
    z.object({ subscription: SubscriptionRow.nullable(), card: CardRow.nullable() }),
    sql`select ${SUBSCRIPTION_JSON} as subscription, ${CARD_JSON} as card from customers c where c.id = ${recipient.customer_id}`,
  );
  return { subscription: row?.subscription ?? null, card: row?.card ?? null };
}

/** The render context from a recipient's rows (composeEmail's, for sends and previews alike). */
export function renderContextOf(recipient: RecipientRow, subscription: SubscriptionRow | null, card: CardRow | null, extra: Extra): RenderContext {
  const locale = extra.formatLocale;
  const timeZone = recipient.timezone ?? extra.defaultTimeZone;
  const name = recipient.name?.trim() || null;
  return {
    customer: {
      id: recipient.external_id,
      email: recipient.email ?? "",
      name,
      firstName: name ? (name.split(/\s+/, 1)[0] ?? null) : null,
      locale: recipient.locale,
      timezone: recipient.timezone,
      plan: subscription?.plan ?? recipient.plan,
      traits: recipient.traits,
    },
    subscription: subscription
      ? {
          status: subscription.status,
          plan: subscription.plan,
          mrr: formatMoney(subscription.mrr_minor, subscription.currency.trim(), locale),
          currency: subscription.currency.trim(),
          currentPeriodEnd: formatDay(subscription.current_period_end, locale, timeZone),
        }
      : null,
    card: card
      ? {
          brand: brandName(card.brand),
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
