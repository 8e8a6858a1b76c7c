import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Analytics } from "@segment/analytics-node";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { type Harness, startHarness, WRITE_KEY } from "./helpers/harness.js";
import { present } from "./helpers/present.js";

/**
 * A proxy in front of the API that lets the first delivery of every batch through and then
 * answers 503, as a load balancer timing out would: the client retries a batch that was stored.
 */
async function flakyProxy(target: string): Promise<{ url: string; deliveries: string[][]; close(): Promise<void> }> {
  const deliveries: string[][] = [];
  const seen = new Set<string>();
  const relay = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const upstream = await fetch(`${target}${request.url}`, {
      method: request.method,
      headers: { "content-type": String(request.headers["content-type"]), authorization: String(request.headers.authorization) },
      body,
    });
    const text = await upstream.text();
    const ids = (JSON.parse(body.toString()) as { batch: { messageId: string }[] }).batch.map((m) => m.messageId);
    deliveries.push(ids);
    const key = ids.join(",");
    if (!seen.has(key)) {
      seen.add(key);
      response.writeHead(503).end("upstream timeout");
      return;
    }
    response.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
  };
  // A relay that fails (the API went away) drops the connection, as a dying proxy would.
  const server: Server = createServer((request, response) => {
    relay(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("the unmodified @segment/analytics-node client", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("stores its customers and events once each, even when it retries", async () => {
    const proxy = await flakyProxy(harness.url);
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: proxy.url, flushAt: 4, flushInterval: 200, maxRetries: 5 });
    const errors: unknown[] = [];
    analytics.on("error", (error) => errors.push(error));

    analytics.track({ anonymousId: "anon-7", event: "Viewed Pricing" });
    analytics.identify({
      userId: "user-42",
      anonymousId: "anon-7",
      traits: { email: "grace@example.com", name: "Grace Hopper", plan: "pro", createdAt: "2025-06-01T09:00:00Z", seats: 12 },
    });
    analytics.track({ userId: "user-42", event: "Logged In", properties: { method: "sso" } });
    analytics.page({ userId: "user-42", name: "Cancel", properties: { path: "/account/cancel" } });
    analytics.track({ userId: "user-43", event: "Logged In", timestamp: new Date("2026-01-15T08:00:00Z") });
    await analytics.closeAndFlush({ timeout: 20_000 });
    await proxy.close();

    expect(errors).toEqual([]);
    // Every batch was delivered twice: once stored-but-answered-503, once for real.
    expect(proxy.deliveries.length).toBeGreaterThanOrEqual(2);
    const delivered = new Set(proxy.deliveries.flat());
    expect(delivered.size).toBe(5);
    expect(proxy.deliveries.flat().length).toBe(10);

    const events = await queryRows(
      harness.deps.db,
      z.object({ name: z.string(), type: z.string(), external_id: z.string().nullable(), occurred_at: z.string() }),
      sql`select e.name, e.type, c.external_id, e.occurred_at from events e left join customers c on c.id = e.customer_id order by e.occurred_at, e.id`,
    );
    expect(events.map((e) => [e.type, e.name, e.external_id])).toEqual([
      ["track", "Logged In", "user-43"], // backfilled: it happened in January
      ["track", "Viewed Pricing", "user-42"], // the anonymous visit, linked when the identify named anon-7
      ["identify", "identify", "user-42"],
      ["track", "Logged In", "user-42"],
      ["page", "Cancel", "user-42"],
    ]);
    // Segment's skew correction adds the time in transit (receivedAt - sentAt): milliseconds here.
    const backfilled = new Date(present(events[0], "events[0]").occurred_at).getTime() - Date.parse("2026-01-15T08:00:00Z");
    expect(backfilled).toBeGreaterThanOrEqual(0);
    expect(backfilled).toBeLessThan(2_000);

    const customers = await queryRows(
      harness.deps.db,
      z.object({ external_id: z.string(), email: z.string().nullable(), name: z.string().nullable(), plan: z.string().nullable(), signed_up_at: z.string().nullable(), traits: col.jsonObject }),
      sql`select external_id, email, name, plan, signed_up_at, traits from customers order by external_id`,
    );
    expect(customers).toHaveLength(2);
    expect(customers[0]).toMatchObject({
      external_id: "user-42",
      email: "grace@example.com",
      name: "Grace Hopper",
      plan: "pro",
      traits: { seats: 12 },
    });
    expect(new Date(present(present(customers[0], "customers[0]").signed_up_at, "customers[0].signed_up_at")).toISOString()).toBe("2025-06-01T09:00:00.000Z");
  });
});
