import Stripe from "stripe";
import type { Config } from "../config/index.js";

/**
 * The Stripe API client, when STRIPE_SECRET_KEY is set. STRIPE_API_URL points it elsewhere (a
 * proxy, or an emulator in tests). The SDK's own retries are on: a network fault or a 409/429/5xx
 * is retried with the same idempotency key, so a call that reached Stripe is not applied twice.
 */
export function stripeClient(config: Pick<Config, "stripe">): Stripe | undefined {
  const { secretKey, apiUrl } = config.stripe;
  if (!secretKey) return undefined;
  const url = new URL(apiUrl);
  return new Stripe(secretKey, {
    host: url.hostname,
    port: url.port || (url.protocol === "http:" ? 80 : 443),
    protocol: url.protocol === "http:" ? "http" : "https",
    maxNetworkRetries: 2,
    timeout: 10_000,
    telemetry: false,
    appInfo: { name: "Rekindle" },
  });
}
