import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * A short-lived capability in a URL: `<subject>.<expiry>.<signature>`, where the signature is an
 * HMAC over the purpose, the subject and the expiry. The purpose keeps a token made for one use
 * (a cancel flow) from opening another (a card update) even for the same subject; the expiry is in
 * whole seconds, base 36, and signed, so it cannot be stretched. Subjects are ids Rekindle made
 * (a session's uuid, a customer's row id), never personal data: the token is readable by anyone
 * who sees the URL.
 */
export type TokenPurpose = "cancel-session" | "card-update";

export type VerifiedToken = { type: "valid"; subject: string; expiresAt: Date } | { type: "invalid" } | { type: "expired"; subject: string; expiresAt: Date };

const SUBJECT = /^[0-9a-z-]{1,64}$/;

function signature(secret: string, purpose: TokenPurpose, subject: string, expiry: string): Buffer {
  return createHmac("sha256", secret).update(`${purpose}:${subject}:${expiry}`).digest().subarray(0, 18);
}

export function signToken(secret: string, purpose: TokenPurpose, subject: string, expiresAt: Date): string {
  if (!SUBJECT.test(subject)) throw new Error(`a token subject is lower-case letters, digits and '-', up to 64 characters (got ${JSON.stringify(subject)})`);
  const expiry = Math.ceil(expiresAt.getTime() / 1000).toString(36);
  return `${subject}.${expiry}.${signature(secret, purpose, subject, expiry).toString("base64url")}`;
}

/**
 * What a token says, checked: `invalid` when it was not made by us for this purpose (forged,
 * altered, truncated, another purpose's), `expired` when it was but its time is up. Exactly one
 * spelling of each token verifies.
 */
export function verifyToken(secret: string, purpose: TokenPurpose, token: string, now: Date): VerifiedToken {
  const match = /^([0-9a-z-]{1,64})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{24})$/.exec(token);
  if (!match) return { type: "invalid" };
  const [, subject, expiry, given] = match as unknown as [string, string, string, string];
  const seconds = Number.parseInt(expiry, 36);
  if (!Number.isSafeInteger(seconds) || seconds.toString(36) !== expiry) return { type: "invalid" };
  const expected = signature(secret, purpose, subject, expiry);
  const actual = Buffer.from(given, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { type: "invalid" };
  const expiresAt = new Date(seconds * 1000);
  return expiresAt.getTime() <= now.getTime() ? { type: "expired", subject, expiresAt } : { type: "valid", subject, expiresAt };
}
