import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { cancelAtPeriodEndParams, couponParams, pauseParams } from "../src/billing/index.js";
import { queryRows } from "../src/db/index.js";
import { FixedClock } from "../src/time/index.js";
import { installStarterFlow, putCustomer, startSession, submit } from "./helpers/cancel-flow.js";
import { type Harness, startHarness } from "./helpers/harness.js";
import { signed, STRIPE_SECRET, stripeCustomer, stripeEvent, stripeSubscription } from "./helpers/stripe.js";
import { startStripeEmulator, type StripeEmulator } from "./helpers/stripe-emulator.js";
import { present } from "./helpers/present.js";

const START = new Date("2026-11-28T12:00:00Z");

/** Stripe's form encoding of a parameter object, decoded again: what the emulator saw, for comparison. */
function asForm(params: object): unknown {
  return JSON.parse(JSON.stringify(params, (_key, value: unknown) => (typeof value === "number" || typeof value === "boolean" ? String(value) : value)));
}

/**
 * Decisions applied through Stripe's API with the official SDK, against stripe-stateful-mock (a
 * third-party stateful Stripe emulator from npm; localstripe, on PyPI, cannot be installed on these
 * machines). The emulator keeps customers, prices, subscriptions and their items; it has no
 * subscription update (`POST /v1/subscriptions/:id`), no coupons and no billing portal, and
 * answers those 404. For those calls the test checks the request the SDK sent against the
 * parameters built with the SDK's types, and that Stripe's refusal reaches the customer honestly
 * and goes to support.
 */
describe("the cancel flow, applied through Stripe", () => {
  let harness: Harness;
  let stripe: StripeEmulator;
  const clock = new FixedClock(START);
  let subscriptionId = "";
  let itemId = "";

  beforeAll(async () => {
    stripe = await startStripeEmulator();
    harness = await startHarness({ clock, env: { STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_URL: stripe.url, STRIPE_WEBHOOK_SECRETS: STRIPE_SECRET } });
    await installStarterFlow(harness, (text) => text.replace("holdout: 0.1", "holdout: 0"));
    // The customer's subscription as it is in Stripe, and as Rekindle knows it.
    const customer = await stripe.client.customers.create({ email: "pro@example.com", metadata: { user_id: "pro" } });
    const product = await stripe.client.products.create({ name: "Pro" });
    await stripe.client.prices.create({ product: product.id, unit_amount: 1900, currency: "eur", recurring: { interval: "month" } });
    await stripe.client.plans.create({ id: "pro-monthly", amount: 1900, currency: "eur", interval: "month", product: product.id });
    const subscription = await stripe.client.subscriptions.create({ customer: customer.id, items: [{ plan: "pro-monthly" }] });
    subscriptionId = subscription.id;
    itemId = present(subscription.items.data[0], "subscription.items.data[0]").id;
    await putCustomer(harness, "pro", { mrrMinor: 1900, plan: "Pro", subscriptionId, startedAt: "2026-10-01T00:00:00Z" });
  });
  afterAll(async () => {
    await harness.stop();
    await stripe.stop();
  });

  const session = async (reason: string) => {
    const started = await startSession(harness, { customerId: "pro", returnUrl: "https://app.example.com/account", locale: "en" });
    const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
    await submit(url, { action: "reason", reason });
    return { id: started.body.id, url };
  };
  const applyState = async (id: string) =>
    present((await queryRows(harness.deps.db, z.object({ apply_status: z.string(), apply_error: z.string().nullable() }), sql`select apply_status::text, apply_error from cancel_sessions where id = ${id}`))[0], `cancel session ${id}`);
  const requestsSince = (n: number) => stripe.requests.slice(n);

  it("moves the subscription to the cheaper plan, once, with an idempotency key", async () => {
    const { url } = await session("not_using_enough");
    expect(await (await fetch(url)).text()).toContain("Take a break instead");
    // The pause comes first for this reason; the downgrade is the offer for "too expensive" here.
    const downgrade = await session("too_expensive");
    expect(await (await fetch(downgrade.url)).text()).toContain("Switch to Starter instead");
    const before = stripe.requests.length;
    await submit(downgrade.url, { action: "accept" });
    await submit(downgrade.url, { action: "accept" });
    expect(await applyState(downgrade.id)).toEqual({ apply_status: "applied", apply_error: null });
    const sent = requestsSince(before);
    expect(sent.map((r) => [r.method, r.path, r.status])).toEqual([
      ["GET", `/v1/subscriptions/${subscriptionId}`, 200],
      ["POST", `/v1/subscription_items/${itemId}`, 200],
    ]);
    expect(sent[1]?.params).toEqual({ price: "price_starter_monthly", proration_behavior: "create_prorations" });
    expect(sent[1]?.idempotencyKey).toBe(`rekindle-cancel-${downgrade.id}-downgrade`);
    expect(await (await fetch(downgrade.url)).text()).toContain("You are moving to Starter.");
    // The first session is still open; leaving it changes nothing in Stripe.
    const count = stripe.requests.length;
    await submit(url, { action: "keep" });
    expect(stripe.requests.length).toBe(count);
  });

  it("sends the pause Stripe expects; when Stripe refuses, the customer is told and support gets it", async () => {
    const { id, url } = await session("temporary");
    const before = stripe.requests.length;
    await submit(url, { action: "accept" });
    const [request] = requestsSince(before);
    const resumesAt = new Date("2027-02-28T12:00:00Z");
    expect(request).toMatchObject({ method: "POST", path: `/v1/subscriptions/${subscriptionId}`, idempotencyKey: `rekindle-cancel-${id}-pause`, status: 404 });
    expect(request?.params).toEqual(asForm(pauseParams(resumesAt)));
    expect(await applyState(id)).toEqual({ apply_status: "support", apply_error: expect.stringContaining("No matching path") });
    expect(await (await fetch(url)).text()).toContain("We could not apply this right away. Your request is recorded, and our team will confirm it by email.");

    // Stripe's own webhook for the paused subscription maps back as any other: the customer is paused.
    const deliver = async (event: unknown) => {
      const body = signed(event, { timestamp: Math.floor(START.getTime() / 1000) });
      const response = await fetch(`${harness.url}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": body.header }, body: body.payload });
      expect(response.status).toBe(200);
    };
    await deliver(stripeEvent("customer.updated", stripeCustomer("cus_x", "pro@example.com", { user_id: "pro" }), START));
    await deliver(stripeEvent("customer.subscription.updated", stripeSubscription(subscriptionId, "cus_x", { pause: true }), START));
    const [state] = await queryRows(harness.deps.db, z.object({ status: z.string() }), sql`select status::text from subscriptions where external_id = ${subscriptionId}`);
    expect(state?.status).toBe("paused");
  });

  it("creates the offer's coupon with Stripe's parameters", async () => {
    await putCustomer(harness, "pro", { mrrMinor: 4900, plan: "Pro", subscriptionId, startedAt: "2026-10-01T00:00:00Z" });
    const { id, url } = await session("switching");
    expect(await (await fetch(url)).text()).toContain("30% off for 3 months");
    const before = stripe.requests.length;
    await submit(url, { action: "accept" });
    const [request] = requestsSince(before);
    const expected = couponParams({ offer: "discount-loyal", percent_off: 30, months: 3 });
    expect(expected.id).toMatch(/^rekindle-discount-loyal-[0-9a-f]{8}$/);
    expect(request).toMatchObject({ method: "POST", path: "/v1/coupons", idempotencyKey: `rekindle-coupon-${expected.id}`, status: 404 });
    expect(request?.params).toEqual(asForm(expected));
    expect(await applyState(id)).toMatchObject({ apply_status: "support" });
  });

  it("sets the subscription to cancel at the period's end", async () => {
    const { id, url } = await session("other");
    const before = stripe.requests.length;
    await submit(url, { action: "cancel" });
    const [request] = requestsSince(before);
    expect(request).toMatchObject({ method: "POST", path: `/v1/subscriptions/${subscriptionId}`, idempotencyKey: `rekindle-cancel-${id}-cancel` });
    expect(request?.params).toEqual(asForm(cancelAtPeriodEndParams()));
    expect(await (await fetch(url)).text()).toContain("Your subscription is cancelled");
  });

  it("hands a decision to support when Rekindle knows no Stripe subscription for the customer", async () => {
    await putCustomer(harness, "app-only", { mrrMinor: 1900, plan: "Pro" });
    const started = await startSession(harness, { customerId: "app-only", returnUrl: "https://app.example.com/account" });
    const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
    await submit(url, { action: "reason", reason: "other" });
    const before = stripe.requests.length;
    await submit(url, { action: "cancel" });
    expect(stripe.requests.length).toBe(before);
    expect(await applyState(started.body.id)).toEqual({ apply_status: "support", apply_error: "no Stripe subscription is on record for this customer" });
  });
});
