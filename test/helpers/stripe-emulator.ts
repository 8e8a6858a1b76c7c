import { once } from "node:events";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import Stripe from "stripe";

/** A request the Stripe SDK made, as it went over the wire. */
export interface RecordedStripeRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  /** The form body, decoded (`pause_collection[behavior]` → { pause_collection: { behavior } }). */
  params: Record<string, unknown>;
  /** What the emulator answered. */
  status: number;
}

export interface StripeEmulator {
  /** For STRIPE_API_URL. */
  url: string;
  /** A test-mode key the emulator accepts. */
  secretKey: string;
  /** An SDK client for setting up state (customers, prices, subscriptions) as an app would. */
  client: Stripe;
  /** Every request that reached the emulator, in order. */
  requests: RecordedStripeRequest[];
  stop(): Promise<void>;
}

/** `a[b][0][c]=1` form fields as nested objects and arrays, as Stripe reads them. */
export function decodeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(/\[|\]\[|\]/).filter((p) => p !== "");
    let node: Record<string, unknown> = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= /^\d+$/.test(parts[i + 1] ?? "") ? [] : {}) as Record<string, unknown>;
    });
  }
  return root;
}

/**
 * stripe-stateful-mock (npm, a third-party stateful Stripe server; PyPI's localstripe cannot be
 * installed here) on a free port, behind a recorder that keeps every request the SDK sends. The
 * emulator keeps customers, products, prices and subscriptions and honours idempotency keys; it
 * has no subscription update, coupons or billing portal, and answers those 404, which the tests
 * read as the request Rekindle sent (checked against the SDK's parameter types) and as a Stripe
 * refusal to handle.
 */
export async function startStripeEmulator(): Promise<StripeEmulator> {
  const require = createRequire(import.meta.url);
  const loglevel = require("loglevel") as { setLevel(level: string): void };
  loglevel.setLevel("silent");
  const { createExpressApp } = require("stripe-stateful-mock") as { createExpressApp: () => (req: unknown, res: unknown) => void };
  const emulator = createServer(createExpressApp() as Parameters<typeof createServer>[1]);
  emulator.listen(0, "127.0.0.1");
  await once(emulator, "listening");
  const emulatorPort = (emulator.address() as AddressInfo).port;

  const requests: RecordedStripeRequest[] = [];
  const recorder: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://stripe");
      const forward = httpRequest({ host: "127.0.0.1", port: emulatorPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        requests.push({
          method: req.method ?? "GET",
          path: url.pathname,
          idempotencyKey: req.headers["idempotency-key"] as string | undefined,
          params: req.method === "GET" ? decodeForm(url.search.slice(1)) : decodeForm(body.toString("utf8")),
          status: answer.statusCode ?? 0,
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on("error", () => res.destroy());
      forward.end(body);
    });
  });
  recorder.listen(0, "127.0.0.1");
  await once(recorder, "listening");
  const port = (recorder.address() as AddressInfo).port;
  const secretKey = "sk_test_rekindleemulator0123456789";
  return {
    url: `http://127.0.0.1:${port}`,
    secretKey,
    client: new Stripe(secretKey, { host: "127.0.0.1", port, protocol: "http", telemetry: false, maxNetworkRetries: 0 }),
    requests,
    async stop() {
      recorder.closeAllConnections();
      emulator.closeAllConnections();
      await Promise.all([new Promise((r) => recorder.close(r)), new Promise((r) => emulator.close(r))]);
    },
  };
}
