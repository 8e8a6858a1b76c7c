import type { Config } from "../config/index.js";
import { signToken } from "../tokens/index.js";

/**
 * The link behind `{{links.updateCard}}`: `<PUBLIC_URL>/card/<token>`. The token names the
 * customer's row id, never their external id (often an email address, and readable by anyone who
 * sees the URL), and expires CARD_LINK_TTL after `now`. Made when the email is rendered, so the
 * validity runs from the send, not from the enrollment.
 */
export function cardLinkUrl(secretKey: string, config: Pick<Config, "http" | "cancelFlow">, customerId: number, now: Date): string {
  const expiresAt = new Date(now.getTime() + config.cancelFlow.cardLinkTtlMs);
  return `${config.http.publicUrl}/card/${signToken(secretKey, "card-update", String(customerId), expiresAt)}`;
}

/**
 * What previews and test sends show instead: a test email goes to whoever asked for it, and a live
 * link would let them change a real customer's card. It opens the "not valid" page.
 */
export function cardLinkPreviewUrl(config: Pick<Config, "http">): string {
  return `${config.http.publicUrl}/card/preview`;
}
