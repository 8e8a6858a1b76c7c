import type Stripe from "stripe";
import type { CustomerInput } from "../customers/index.js";
import { inTimeRange } from "../validation/index.js";
import { monthlyRecurringMinor } from "./mrr.js";

/** What a Stripe event means for Rekindle: whose it is, which state it sets, which events it records. */
export interface StripeChange {
  /** The Stripe customer id, and what can link it to a Rekindle customer. */
  stripeCustomerId: string | null;
  link: { metadataUserId?: string; email?: string };
  /** A profile change from customer.* (applied only when newer than the last one applied). */
  profile?: Pick<CustomerInput, "email" | "name" | "locale">;
  subscription?: NonNullable<CustomerInput["subscription"]>;
  paymentMethod?: NonNullable<CustomerInput["paymentMethod"]>;
  /** A payment method to detach, looked up by its id (the detached object no longer names its customer). */
  detachPaymentMethod?: string;
  /** Events to record for triggers and exit goals (payment_failed, invoice_paid, trial_will_end…). */
  events: { name: string; properties: Record<string, unknown> }[];
}

/** A Stripe time (Unix seconds); a value outside 1970–2099 counts as none. */
const at = (seconds: number | null | undefined) => {
  const date = typeof seconds === "number" && seconds ? new Date(seconds * 1000) : null;
  return date && inTimeRange(date) ? date : null;
};
const customerIdOf = (value: string | { id: string } | null | undefined) => (typeof value === "string" ? value : (value?.id ?? null));

function money(minor: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() });
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${minor} ${currency}`;
  }
}

const STATUS: Record<string, NonNullable<CustomerInput["subscription"]>["status"]> = {
  trialing: "trialing",
  active: "active",
  past_due: "past_due",
  unpaid: "unpaid",
  incomplete: "incomplete",
  incomplete_expired: "canceled",
  canceled: "canceled",
  paused: "paused",
};

function subscriptionChange(subscription: Stripe.Subscription, asOf: Date): NonNullable<CustomerInput["subscription"]> {
  const items = subscription.items?.data ?? [];
  const first = items[0];
  // Newer API versions keep the period on the items; older ones on the subscription.
  const periodEnd = (subscription as unknown as { current_period_end?: number }).current_period_end ?? first?.current_period_end;
  const paused = subscription.status === "paused" || subscription.pause_collection != null;
  const currency = first?.price?.currency ?? subscription.currency ?? "usd";
  return {
    id: subscription.id,
    status: paused && subscription.status !== "canceled" ? "paused" : (STATUS[subscription.status] ?? "active"),
    plan: first?.price?.nickname ?? first?.price?.lookup_key ?? (typeof first?.price?.product === "string" ? first.price.product : null) ?? first?.price?.id ?? null,
    mrrMinor: subscription.status === "canceled" ? 0 : monthlyRecurringMinor(items as never),
    currency: currency.toUpperCase(),
    startedAt: at(subscription.start_date),
    trialEndsAt: at(subscription.trial_end),
    currentPeriodEnd: at(periodEnd),
    cancelAtPeriodEnd: subscription.cancel_at_period_end ?? false,
    canceledAt: at(subscription.canceled_at ?? subscription.ended_at),
    asOf,
  };
}

function card(id: string, value: { brand?: string | null; last4?: string | null; exp_month: number; exp_year: number }, asOf: Date) {
  return { id, brand: value.brand ?? null, last4: value.last4 ?? null, expMonth: value.exp_month, expYear: value.exp_year, isDefault: true, detached: false, asOf };
}

/** Maps the Stripe events Rekindle understands; others come back as undefined (acknowledged, ignored). */
export function mapStripeEvent(event: Stripe.Event, metadataKey: string): StripeChange | undefined {
  const asOf = new Date(event.created * 1000);
  switch (event.type) {
    case "customer.created":
    case "customer.updated": {
      const customer = event.data.object;
      return {
        stripeCustomerId: customer.id,
        link: { ...(customer.metadata?.[metadataKey] && { metadataUserId: customer.metadata[metadataKey] }), ...(customer.email && { email: customer.email }) },
        profile: {
          ...(customer.email && { email: customer.email }),
          ...(customer.name && { name: customer.name }),
          ...(customer.preferred_locales?.[0] && { locale: customer.preferred_locales[0] }),
        },
        events: [],
      };
    }
    case "customer.deleted": {
      const customer = event.data.object;
      return { stripeCustomerId: customer.id, link: {}, events: [{ name: "customer_deleted", properties: { stripeCustomerId: customer.id } }] };
    }
    case "payment_method.attached":
    case "payment_method.updated":
    case "payment_method.automatically_updated": {
      const method = event.data.object;
      if (!method.card) return undefined;
      return { stripeCustomerId: customerIdOf(method.customer), link: {}, paymentMethod: card(method.id, method.card, asOf), events: [] };
    }
    case "payment_method.detached":
      return { stripeCustomerId: null, link: {}, detachPaymentMethod: event.data.object.id, events: [] };
    case "customer.source.expiring": {
      const source = event.data.object as unknown as { id: string; customer?: string | null; brand?: string; last4?: string; exp_month?: number; exp_year?: number };
      if (!source.exp_month || !source.exp_year) return undefined;
      return {
        stripeCustomerId: source.customer ?? null,
        link: {},
        paymentMethod: card(source.id, { brand: source.brand?.toLowerCase() ?? null, last4: source.last4 ?? null, exp_month: source.exp_month, exp_year: source.exp_year }, asOf),
        events: [],
      };
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
    case "customer.subscription.paused":
    case "customer.subscription.resumed": {
      const subscription = event.data.object;
      return { stripeCustomerId: customerIdOf(subscription.customer), link: {}, subscription: subscriptionChange(subscription, asOf), events: [] };
    }
    case "customer.subscription.trial_will_end": {
      const subscription = event.data.object;
      return {
        stripeCustomerId: customerIdOf(subscription.customer),
        link: {},
        subscription: subscriptionChange(subscription, asOf),
        events: [{ name: "trial_will_end", properties: { subscriptionId: subscription.id, trialEndsAt: at(subscription.trial_end) } }],
      };
    }
    case "invoice.payment_failed":
    case "invoice.paid": {
      const invoice = event.data.object;
      const amount = event.type === "invoice.paid" ? invoice.amount_paid : invoice.amount_due;
      return {
        stripeCustomerId: customerIdOf(invoice.customer),
        link: { ...(invoice.customer_email && { email: invoice.customer_email }) },
        events: [
          {
            name: event.type === "invoice.paid" ? "invoice_paid" : "payment_failed",
            properties: {
              invoiceId: invoice.id,
              amountMinor: amount,
              currency: invoice.currency?.toUpperCase(),
              amount: money(amount, invoice.currency ?? "usd"),
              attemptCount: invoice.attempt_count,
              nextPaymentAttempt: at(invoice.next_payment_attempt),
              hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
            },
          },
        ],
      };
    }
    default:
      return undefined;
  }
}
