import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows } from "../src/db/index.js";
import { FixedClock } from "../src/time/index.js";
import { API_KEY, basic, count, type ErrorBody, type Harness, startHarness, WRITE_KEY } from "./helpers/harness.js";

/** The customer as the API answers it, loosely: the tests check the fields they care about. */
interface CustomerBody {
  events: string[];
  ignored: string[];
  subscriptions: Record<string, unknown>[];
  paymentMethods: { id: string; isDefault: boolean }[];
  traits: Record<string, unknown>;
  [field: string]: unknown;
}

describe("the customer REST API", () => {
  let harness: Harness;
  const clock = new FixedClock(new Date("2026-11-01T09:00:00Z"));
  beforeAll(async () => {
    harness = await startHarness({ clock });
  });
  afterAll(async () => {
    await harness.stop();
  });

  const call = async <T = CustomerBody>(method: string, path: string, body?: unknown, authorization = `Bearer ${API_KEY}`) => {
    const response = await fetch(`${harness.url}${path}`, {
      method,
      headers: { authorization, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const eventNames = async () =>
    (await queryRows(harness.deps.db, z.object({ name: z.string() }), sql`select name from events where source = 'api' order by id`)).map((r) => r.name);

  it("creates a customer with a subscription and a card, and reads it back", async () => {
    const created = await call("PUT", "/api/customers/acme-7", {
      email: "ops@acme.example",
      name: "Acme Ops",
      timezone: "America/Chicago",
      traits: { seats: 40 },
      subscription: { id: "sub_1", status: "active", plan: "scale", mrrMinor: 49_900, currency: "usd", currentPeriodEnd: "2026-12-01T00:00:00Z" },
      paymentMethod: { id: "pm_1", brand: "visa", last4: "4242", expMonth: 2, expYear: 2027 },
    });
    expect(created.status).toBe(201);
    expect(created.body.events).toEqual(["subscription_started", "payment_method_updated"]);
    const read = await call("GET", "/api/customers/acme-7");
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      id: "acme-7",
      email: "ops@acme.example",
      timezone: "America/Chicago",
      traits: { seats: 40 },
      subscriptions: [{ id: "sub_1", status: "active", plan: "scale", mrrMinor: 49_900, currency: "USD", startedAt: "2026-11-01T09:00:00.000Z" }],
      // The expiry date is derived by Postgres: the last day of the expiry month.
      paymentMethods: [{ id: "pm_1", brand: "visa", last4: "4242", expMonth: 2, expYear: 2027, expiresOn: "2027-02-28", isDefault: true }],
    });
  });

  it("records pause, resume, downgrade and a new card as events", async () => {
    clock.set(new Date("2026-11-02T09:00:00Z"));
    await call("PUT", "/api/customers/acme-7", { subscription: { id: "sub_1", status: "paused" } });
    clock.set(new Date("2026-11-12T09:00:00Z"));
    const resumed = await call("PUT", "/api/customers/acme-7", { subscription: { id: "sub_1", status: "active", plan: "starter", mrrMinor: 9_900 } });
    expect(resumed.status).toBe(200);
    expect(resumed.body.events).toEqual(["subscription_resumed", "downgraded"]);
    expect(resumed.body.subscriptions[0]).toMatchObject({ pausedAt: "2026-11-02T09:00:00.000Z", resumedAt: "2026-11-12T09:00:00.000Z" });
    const card = await call("PUT", "/api/customers/acme-7", { paymentMethod: { id: "pm_2", brand: "mastercard", last4: "4444", expMonth: 10, expYear: 2030 } });
    expect(card.body.paymentMethods.map((pm) => [pm.id, pm.isDefault])).toEqual([
      ["pm_1", false],
      ["pm_2", true],
    ]);
    // Saying the same thing again changes nothing and announces nothing.
    const again = await call("PUT", "/api/customers/acme-7", { subscription: { id: "sub_1", status: "active" } });
    expect(again.body.events).toEqual([]);
    expect(await eventNames()).toEqual([
      "subscription_started",
      "payment_method_updated",
      "subscription_paused",
      "subscription_resumed",
      "downgraded",
      "payment_method_updated",
    ]);
  });

  it("ignores a state report older than what it has (asOf)", async () => {
    await call("PUT", "/api/customers/late-1", { subscription: { status: "active", asOf: "2026-11-01T10:00:00Z" } });
    const stale = await call("PUT", "/api/customers/late-1", { subscription: { status: "canceled", asOf: "2026-11-01T09:00:00Z" } });
    expect(stale.body.ignored).toEqual(["subscription"]);
    expect(stale.body.subscriptions[0]?.status).toBe("active");
  });

  it("merges traits and removes the ones set to null; null clears a field", async () => {
    await call("PUT", "/api/customers/t-1", { name: "T", traits: { a: 1, b: 2 } });
    const updated = await call("PUT", "/api/customers/t-1", { name: null, traits: { b: null, c: 3 } });
    expect(updated.body).toMatchObject({ name: null, traits: { a: 1, c: 3 } });
    expect(updated.body.traits).not.toHaveProperty("b");
  });

  it("refuses bad bodies naming every problem, and stores nothing", async () => {
    const before = await count(harness, "customers");
    const response = await call<ErrorBody>("PUT", "/api/customers/bad-1", {
      email: "not-an-email",
      timezone: "Mars/Olympus_Mons",
      subscription: { status: "sleeping", mrrMinor: -5, currency: "euros" },
      paymentMethod: { expMonth: 13, expYear: 2027, last4: "42" },
      favouriteColour: "teal",
    });
    expect(response.status).toBe(400);
    expect(response.body.error.problems.map((p) => p.path).sort()).toEqual([
      "(body)",
      "email",
      "paymentMethod.expMonth",
      "paymentMethod.last4",
      "subscription.currency",
      "subscription.mrrMinor",
      "subscription.status",
      "timezone",
    ]);
    expect(response.body.error.problems.find((p) => p.path === "(body)")?.message).toMatch(/favouriteColour/);
    expect(await count(harness, "customers")).toBe(before);
  });

  it("checks credentials: API key for reads, API or write key for writes", async () => {
    expect((await call("GET", "/api/customers/acme-7", undefined, "Bearer wrong-key")).status).toBe(401);
    expect((await call("GET", "/api/customers/acme-7", undefined, basic(WRITE_KEY))).status).toBe(403); // a write key is an ingest key: it may write, not read
    expect((await call("PUT", "/api/customers/w-1", { name: "W" }, basic(WRITE_KEY))).status).toBe(201);
    expect((await call("PUT", "/api/customers/w-2", { name: "W" }, basic("unknown-write-key"))).status).toBe(401);
    expect((await call("GET", "/api/customers/nobody")).status).toBe(404);
  });
});
