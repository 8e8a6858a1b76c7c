import { createHmac } from "node:crypto";

/**
 * `Rekindle-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with
 * APP_SIGNING_SECRET: the scheme Stripe signs its webhooks with, so the app can check both the
 * sender and the age (refuse a `t` older than five minutes against replays).
 */
export function appSignature(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export class AppWebhookError extends Error {
  override readonly name = "AppWebhookError";
  constructor(
    message: string,
    readonly statusCode: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Delivers a signed JSON payload to the app. A 2xx is success; anything else (a refusal, a
 * timeout, no answer) throws, and the caller tries again later with the same `Idempotency-Key`.
 */
export async function postToApp(url: string, secret: string, payload: unknown, idempotencyKey: string, now: Date, timeoutMs = 10_000): Promise<void> {
  const body = JSON.stringify(payload);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Rekindle",
        "idempotency-key": idempotencyKey,
        "rekindle-signature": appSignature(secret, body, Math.floor(now.getTime() / 1000)),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new AppWebhookError(`the app did not answer: ${(error as Error).message}`, undefined);
  }
  await response.body?.cancel().catch(() => {});
  if (response.status < 200 || response.status >= 300) throw new AppWebhookError(`the app answered ${response.status}`, response.status);
}
