import Stripe from "stripe";

export type Verified = { type: "ok"; event: Stripe.Event } | { type: "invalid"; reason: string };

/**
 * Checks a delivery's `Stripe-Signature` against the raw body with each configured secret (more
 * than one while rotating), within the timestamp tolerance, using Stripe's own verifier.
 */
export function verifyStripeDelivery(rawBody: Buffer, header: string | undefined, secrets: readonly string[], toleranceSeconds: number): Verified {
  if (!header) return { type: "invalid", reason: "missing Stripe-Signature header" };
  let reason = "no signing secret configured";
  for (const secret of secrets) {
    try {
      return { type: "ok", event: Stripe.webhooks.constructEvent(rawBody, header, secret, toleranceSeconds) };
    } catch (error) {
      reason = (error as Error).message.split("\n")[0] ?? "signature does not match";
    }
  }
  return { type: "invalid", reason };
}
