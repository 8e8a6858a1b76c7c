import { createHmac, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { cp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { reloadCampaigns } from "../../src/runtime/index.js";
import { API_KEY, basic, type Harness, WRITE_KEY } from "./harness.js";

/** Copies the starter cancel flow into the harness's templates (with edits to flow.yaml) and loads it. */
export async function installStarterFlow(harness: Harness, edit: (flowYaml: string) => string = (text) => text): Promise<void> {
  const target = join(harness.config.campaigns.templatesDir, "_cancel");
  await cp(new URL("../../templates/_cancel", import.meta.url), target, { recursive: true });
  const file = join(target, "flow.yaml");
  await writeFile(file, edit(await readFile(file, "utf8")));
  await reloadCampaigns(harness.deps);
}

/** A customer with a live subscription, sent as the app would (PUT /api/customers/:id). */
export async function putCustomer(
  harness: Harness,
  id: string,
  options: { mrrMinor?: number; plan?: string; subscriptionId?: string; locale?: string; startedAt?: string; currentPeriodEnd?: string } = {},
): Promise<void> {
  const response = await fetch(`${harness.url}/api/customers/${encodeURIComponent(id)}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({
      email: `${id}@example.com`,
      name: "Ada Lovelace",
      ...(options.locale && { locale: options.locale }),
      subscription: {
        id: options.subscriptionId ?? "default",
        status: "active",
        plan: options.plan ?? "Pro",
        mrrMinor: options.mrrMinor ?? 4900,
        currency: "EUR",
        startedAt: options.startedAt ?? "2026-01-10T00:00:00Z",
        currentPeriodEnd: options.currentPeriodEnd ?? "2026-12-20T00:00:00Z",
      },
    }),
  });
  if (response.status >= 300) throw new Error(`PUT customer ${id}: ${response.status} ${await response.text()}`);
}

/** Starts a cancel session as the app's server would, with its ingest (write) key. */
export async function startSession(harness: Harness, body: Record<string, unknown>): Promise<{ status: number; body: { id: string; url: string; expiresAt: string; locale: string } & Record<string, unknown> }> {
  const response = await fetch(`${harness.url}/api/cancel-sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: basic(WRITE_KEY) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as never };
}

/** Submits one of the page's forms as a browser would, and follows nothing. */
export async function submit(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString(), redirect: "manual" });
}

export interface AppDelivery {
  body: Record<string, unknown> & { id: string; outcome: string; decision: { action: string; details: Record<string, unknown> } };
  idempotencyKey: string | undefined;
  signatureValid: boolean;
}

/**
 * The app's webhook endpoint: a real HTTP server that checks each delivery's Rekindle-Signature
 * as the README tells an app to (HMAC-SHA256 of "<t>.<body>", t no older than five minutes).
 */
export async function startAppReceiver(secret: string) {
  const deliveries: AppDelivery[] = [];
  let status = 200;
  let beforeAnswer: (() => Promise<void>) | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const header = String(request.headers["rekindle-signature"] ?? "");
      const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
      const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
      const expected = t ? createHmac("sha256", secret).update(`${t}.${raw}`).digest() : Buffer.alloc(32);
      const signatureValid = !!v1 && timingSafeEqual(Buffer.from(v1, "hex"), expected);
      deliveries.push({ body: JSON.parse(raw) as AppDelivery["body"], idempotencyKey: request.headers["idempotency-key"] as string | undefined, signatureValid });
      void (beforeAnswer ?? (async () => {}))().finally(() => response.writeHead(signatureValid ? status : 401).end());
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/rekindle`,
    deliveries,
    answer(code: number) {
      status = code;
    },
    /** Something to do once a delivery has arrived and before it is answered (a fault to inject). */
    beforeAnswering(work: (() => Promise<void>) | undefined) {
      beforeAnswer = work;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
