import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { stripeClient } from "../billing/index.js";
import { matchAfterCommit } from "../campaigns/index.js";
import type { Deps } from "../deps/index.js";
import { insertEvents } from "../events/index.js";
import { verifyToken } from "../tokens/index.js";
import { cardLinkCustomer } from "./card-link-customer.js";
import { portalSessionUrl } from "./portal-session.js";
import { signedBillingUrl } from "./signed-billing-url.js";

/** The event recorded each time a card link is opened; campaigns may start or exit on it. */
export const CARD_LINK_OPENED = "card_update_link_opened";

/**
 * How long the signed BILLING_URL redirect stays good. The browser follows it at once; past that
 * it is only a URL in a history or a log, so it is kept short (and never outlives the link itself).
 */
const BILLING_REDIRECT_TTL_MS = 15 * 60_000;

/**
 * What opening a card link came to. `redirect` is where the customer goes: Stripe's portal (`via:
 * "stripe"`) or BILLING_URL (`"billing_url"`). `gone`: the link was ours but its customer has since
 * been deleted.
 */
export type CardLinkOutcome =
  | { type: "invalid" }
  | { type: "expired" }
  | { type: "gone" }
  | { type: "redirect"; location: string; via: "stripe" | "billing_url" };

/**
 * Opens card links: checks the token, finds where the customer can update their card, and records
 * `card_update_link_opened` (then matches it to campaigns, as ingestion does). Stripe is only a
 * better destination, never a requirement: when it refuses or fails, the customer goes to
 * BILLING_URL, so nobody who clicked "update my card" meets an error page.
 */
export function createCardLinkOpener(deps: Deps): (token: string) => Promise<CardLinkOutcome> {
  const stripe = stripeClient(deps.config);
  const { app, billing } = deps.config.delivery.links;

  const portal = async (customerId: number, stripeId: string | null): Promise<string | undefined> => {
    if (!stripe || !stripeId) return undefined;
    try {
      return await portalSessionUrl(stripe, stripeId, app);
    } catch (error) {
      const stripeError = error instanceof Stripe.errors.StripeError ? { type: error.type, code: error.code, status: error.statusCode, requestId: error.requestId } : undefined;
      deps.logger.warn({ customerId, ...(stripeError ? { stripe: stripeError } : { err: error }) }, "Stripe did not open a billing portal session; the customer goes to BILLING_URL");
      return undefined;
    }
  };

  const record = async (customerId: number, via: "stripe" | "billing_url", now: Date): Promise<void> => {
    try {
      const stored = await insertEvents(deps.db, [
        { messageId: `card-link-${randomUUID()}`, type: "track", name: CARD_LINK_OPENED, customerId, anonymousId: null, properties: { via }, context: {}, source: "rekindle", occurredAt: now, receivedAt: now },
      ]);
      await matchAfterCommit(deps, stored.map((event) => ({ ...event, source: "rekindle" })));
    } catch (error) {
      // The customer is on their way to their card: that matters more than the event.
      deps.logger.error({ err: error, customerId }, `could not record ${CARD_LINK_OPENED}; the customer is redirected all the same`);
    }
  };

  return async (token) => {
    const now = deps.clock.now();
    const verified = verifyToken(deps.secretKey, "card-update", token, now);
    if (verified.type === "invalid" || !/^[1-9]\d*$/.test(verified.subject)) return { type: "invalid" };
    if (verified.type === "expired") return { type: "expired" };
    const customerId = Number(verified.subject);
    const customer = await cardLinkCustomer(deps.db, customerId);
    if (!customer) return { type: "gone" };
    const portalUrl = await portal(customerId, customer.stripeId);
    const via = portalUrl ? "stripe" : "billing_url";
    const expiresAt = new Date(Math.min(verified.expiresAt.getTime(), now.getTime() + BILLING_REDIRECT_TTL_MS));
    const location = portalUrl ?? signedBillingUrl(billing, deps.config.appSigningSecret, customer.externalId, expiresAt);
    await record(customerId, via, now);
    return { type: "redirect", location, via };
  };
}
