import { createHash } from "node:crypto";
import type Stripe from "stripe";
import type { CancelDecision } from "../db/index.js";

/**
 * What each decision asks of Stripe. The parameters are typed with the SDK's own types, so a call
 * that does not match Stripe's API does not compile. Every write carries an idempotency key
 * derived from the session: retried after a timeout, a crash or a lost answer, it is applied once.
 */
export const pauseParams = (resumesAt: Date): Stripe.SubscriptionUpdateParams => ({
  pause_collection: { behavior: "void", resumes_at: Math.floor(resumesAt.getTime() / 1000) },
});

export const discountParams = (coupon: string): Stripe.SubscriptionUpdateParams => ({ discounts: [{ coupon }] });

export const downgradeParams = (itemId: string, price: string): Stripe.SubscriptionUpdateParams => ({
  items: [{ id: itemId, price }],
  proration_behavior: "create_prorations",
});

export const cancelAtPeriodEndParams = (): Stripe.SubscriptionUpdateParams => ({ cancel_at_period_end: true });

/** The coupon an offer's discount is: one per offer definition, so editing the offer makes a new one. */
export function couponParams(details: Record<string, unknown>): Stripe.CouponCreateParams & { id: string } {
  const spec = { percent_off: details.percent_off, amount_off: details.amount_off, currency: details.currency, months: details.months };
  const id = `rekindle-${String(details.offer)}-${createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 8)}`;
  return {
    id,
    name: `Rekindle: ${String(details.offer)}`.slice(0, 40),
    duration: "repeating",
    duration_in_months: Number(details.months),
    ...(typeof details.percent_off === "number" ? { percent_off: details.percent_off } : { amount_off: Number(details.amount_off), currency: String(details.currency).toLowerCase() }),
  };
}

/** Stripe errors that retrying will not fix (a bad request, a missing object, a refused key). */
export function isPermanentStripeError(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 409 && status !== 429;
}

/**
 * Applies a decision to a Stripe subscription and says what was done, in words for the record.
 * `key` is the idempotency key's stem (the session id).
 */
export async function applyStripeDecision(stripe: Stripe, subscriptionId: string, decision: CancelDecision, key: string): Promise<string> {
  const options = (suffix: string): Stripe.RequestOptions => ({ idempotencyKey: `rekindle-cancel-${key}-${suffix}` });
  const { details } = decision;
  switch (decision.action) {
    case "pause": {
      const resumesAt = new Date(String(details.resumesAt));
      await stripe.subscriptions.update(subscriptionId, pauseParams(resumesAt), options("pause"));
      return `collection paused until ${resumesAt.toISOString().slice(0, 10)}`;
    }
    case "discount": {
      let coupon = typeof details.coupon === "string" ? details.coupon : undefined;
      if (!coupon) {
        const params = couponParams(details);
        try {
          await stripe.coupons.create(params, { idempotencyKey: `rekindle-coupon-${params.id}` });
        } catch (error) {
          // Made by an earlier session with this offer: the same coupon is meant.
          if ((error as { code?: string }).code !== "resource_already_exists") throw error;
        }
        coupon = params.id;
      }
      await stripe.subscriptions.update(subscriptionId, discountParams(coupon), options("discount"));
      return `coupon ${coupon} applied`;
    }
    case "downgrade": {
      const subscription = await stripe.subscriptions.retrieve(subscriptionId);
      const item = subscription.items.data[0];
      if (!item) throw Object.assign(new Error(`subscription ${subscriptionId} has no item to change`), { statusCode: 400 });
      await stripe.subscriptionItems.update(item.id, { price: String(details.price), proration_behavior: "create_prorations" }, options("downgrade"));
      return `moved to ${String(details.plan)} (${String(details.price)})`;
    }
    case "cancel":
      if (details.at === "immediately") {
        await stripe.subscriptions.cancel(subscriptionId, {}, options("cancel"));
        return "subscription cancelled now";
      }
      await stripe.subscriptions.update(subscriptionId, cancelAtPeriodEndParams(), options("cancel"));
      return "subscription set to cancel at the end of its period";
  }
}
