import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Unsubscribe links carry the id of the email they came in, signed: `<id>.<hmac>`. No customer id
 * is in clear, a forged or altered token fails the constant-time check, and the email tells which
 * customer and which category (its campaign's) the click is about.
 */
function signature(secret: string, messageId: number): Buffer {
  return createHmac("sha256", secret).update(`unsubscribe:${messageId}`).digest().subarray(0, 18);
}

export function unsubscribeToken(secret: string, messageId: number): string {
  return `${messageId.toString(36)}.${signature(secret, messageId).toString("base64url")}`;
}

/**
 * The message id a token was made for, or undefined when the token is not one of ours. Exactly one
 * spelling verifies: the id without leading zeros (18 bytes are exactly 24 base64url characters,
 * so the signature has no spare bits to vary).
 */
export function verifyUnsubscribeToken(secret: string, token: string): number | undefined {
  const [, id, signed] = token.match(/^([0-9a-z]{1,13})\.([A-Za-z0-9_-]{24})$/) ?? [];
  if (id === undefined || signed === undefined) return undefined;
  const messageId = Number.parseInt(id, 36);
  if (!Number.isSafeInteger(messageId) || messageId <= 0 || messageId.toString(36) !== id) return undefined;
  const given = Buffer.from(signed, "base64url");
  const expected = signature(secret, messageId);
  return given.length === expected.length && timingSafeEqual(given, expected) ? messageId : undefined;
}
