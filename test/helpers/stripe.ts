import Stripe from "stripe";

export const STRIPE_SECRET = "whsec_test_0123456789abcdefghijklmnopqrstuv";
let counter = 0;

/** A Stripe event as the API sends it (API version 2025), around one object. */
export function stripeEvent(type: string, object: Record<string, unknown>, created: Date, extra: Record<string, unknown> = {}) {
  counter++;
  return {
    id: `evt_test_${Date.now().toString(36)}${counter}`,
    object: "event",
    api_version: "2025-03-31.basil",
    created: Math.floor(created.getTime() / 1000),
    data: { object, ...extra },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** The body and the Stripe-Signature header for it, made by the official stripe package's test helper. */
export function signed(event: unknown, options: { secret?: string; timestamp?: number } = {}) {
  const payload = JSON.stringify(event);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? STRIPE_SECRET, ...(options.timestamp && { timestamp: options.timestamp }) });
  return { payload, header };
}

export const stripeCustomer = (id: string, email: string, metadata: Record<string, string> = {}) => ({
  id,
  object: "customer",
  email,
  name: "Grace Hopper",
  preferred_locales: ["sv-SE"],
  metadata,
  invoice_settings: { default_payment_method: null },
  created: 1_700_000_000,
});

export const stripeSubscription = (id: string, customer: string, options: { status?: string; unitAmount?: number; interval?: "month" | "year"; nickname?: string; pause?: boolean } = {}) => ({
  id,
  object: "subscription",
  customer,
  status: options.status ?? "active",
  currency: "eur",
  start_date: 1_760_000_000,
  cancel_at_period_end: false,
  canceled_at: null,
  ended_at: null,
  trial_end: null,
  pause_collection: options.pause ? { behavior: "void", resumes_at: null } : null,
  items: {
    object: "list",
    data: [
      {
        id: `si_${id}`,
        object: "subscription_item",
        quantity: 1,
        current_period_end: 1_800_000_000,
        price: {
          id: "price_pro",
          object: "price",
          currency: "eur",
          nickname: options.nickname ?? "Pro",
          unit_amount: options.unitAmount ?? 4900,
          recurring: { interval: options.interval ?? "month", interval_count: 1 },
          product: "prod_pro",
        },
      },
    ],
  },
});

export const stripeCard = (id: string, customer: string | null, expMonth: number, expYear: number) => ({
  id,
  object: "payment_method",
  type: "card",
  customer,
  card: { brand: "visa", last4: "4242", exp_month: expMonth, exp_year: expYear, country: "SE" },
  created: 1_760_000_000,
});

export const stripeInvoice = (id: string, customer: string, amount: number) => ({
  id,
  object: "invoice",
  customer,
  customer_email: null,
  currency: "eur",
  amount_due: amount,
  amount_paid: 0,
  attempt_count: 1,
  next_payment_attempt: 1_800_000_000,
  hosted_invoice_url: "https://invoice.stripe.com/i/acct_test/test",
  status: "open",
});
