import Stripe from "stripe";

export type Verified = { type: "ok"; event: Stripe.Event } | { type: "invalid"; reason: string };

/**
 * Checks a delivery's `Stripe-Signature` against the raw body with each configured secret (more
 * than one while rotating), using Stripe's own verifier, and its timestamp against our clock:
 * no older than the tolerance, and no further in the future either (Stripe's verifier alone
 * accepts any future time, so a leaked signed body would stay replayable for ever).
 */
export function verifyStripeDelivery(rawBody: Buffer, header: string | undefined, secrets: readonly string[], toleranceSeconds: number, now: Date): Verified {
  if (!header) return { type: "invalid", reason: "missing Stripe-Signature header" };
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const signedAt = Number(header.match(/(?:^|,)\s*t=(\d{1,12})(?:,|$)/)?.[1]);
  if (Number.isFinite(signedAt) && signedAt > nowSeconds + toleranceSeconds) {
    return { type: "invalid", reason: `the signature's timestamp is ${signedAt - nowSeconds} s in the future (the tolerance is ${toleranceSeconds} s)` };
  }
  let reason = "no signing secret configured";
  for (const secret of secrets) {
    try {
      return { type: "ok", event: Stripe.webhooks.constructEvent(rawBody, header, secret, toleranceSeconds, undefined, now.getTime()) };
    } catch (error) {
      reason = (error as Error).message.split("\n")[0] ?? "signature does not match";
    }
  }
  return { type: "invalid", reason };
}
