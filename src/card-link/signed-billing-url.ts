import { createHmac } from "node:crypto";

/**
 * BILLING_URL, with what lets the app recognise a customer Rekindle sent there without a login:
 * `rekindle_customer` (their external id), `rekindle_expires` (unix seconds) and
 * `rekindle_signature`, the hex HMAC-SHA256 of `<customer>.<expires>` under APP_SIGNING_SECRET.
 * Without that secret the app could trust nothing, so the customer gets the plain BILLING_URL
 * (where they log in as usual). The app must check the signature in constant time, that
 * `rekindle_expires` is all digits, and that it has not passed.
 */
export function signedBillingUrl(billingUrl: string, secret: string | undefined, externalId: string, expiresAt: Date): string {
  if (!secret) return billingUrl;
  const expires = String(Math.floor(expiresAt.getTime() / 1000));
  const url = new URL(billingUrl);
  url.searchParams.set("rekindle_customer", externalId);
  url.searchParams.set("rekindle_expires", expires);
  url.searchParams.set("rekindle_signature", createHmac("sha256", secret).update(`${externalId}.${expires}`).digest("hex"));
  return url.toString();
}
