import type Stripe from "stripe";

/**
 * A link to Stripe's billing portal that opens on "update your payment method" and, once the card
 * is saved, goes back to the app (`returnUrl`) rather than to the portal's home page, where the
 * customer could also cancel or change plans: the email promised a card update, nothing more.
 * A short timeout and one retry, since a customer is waiting on a blank tab; the caller falls back
 * to BILLING_URL when Stripe does not answer.
 */
export async function portalSessionUrl(stripe: Stripe, stripeCustomerId: string, returnUrl: string): Promise<string> {
  const params: Stripe.BillingPortal.SessionCreateParams = {
    customer: stripeCustomerId,
    return_url: returnUrl,
    flow_data: { type: "payment_method_update", after_completion: { type: "redirect", redirect: { return_url: returnUrl } } },
  };
  const session = await stripe.billingPortal.sessions.create(params, { timeout: 5_000, maxNetworkRetries: 1 });
  return session.url;
}
