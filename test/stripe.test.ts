import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { importStripeFile } from "../src/stripe/index.js";
import { FixedClock } from "../src/time/index.js";
import { resetState } from "./helpers/campaigns.js";
import { API_KEY, count, type Harness, startHarness } from "./helpers/harness.js";
import { settleEmails } from "./helpers/settle.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { signed, STRIPE_SECRET, stripeCard, stripeCustomer, stripeEvent, stripeInvoice, stripeSubscription } from "./helpers/stripe.js";
import { present } from "./helpers/present.js";

const NOW = new Date();
const seconds = (ms: number) => new Date(NOW.getTime() - ms);

describe("Stripe webhooks", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    harness = await startHarness({ clock, env: { STRIPE_WEBHOOK_SECRETS: `whsec_old_secret_0000000000000000,${STRIPE_SECRET}` } });
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    await resetState(harness);
    await harness.deps.db.execute(sql`truncate stripe_events, stripe_customers`);
  });

  const deliver = async (event: unknown, options?: Parameters<typeof signed>[1], header?: string) => {
    const body = signed(event, options);
    const response = await fetch(`${harness.url}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": header ?? body.header },
      body: body.payload,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  interface CustomerBody {
    email: string;
    subscriptions: { status: string; plan: string; mrrMinor: number }[];
    paymentMethods: { isDefault: boolean; detachedAt: string | null }[];
  }
  const customer = async (id: string) => (await (await fetch(`${harness.url}/api/customers/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as CustomerBody;
  const events = () => queryRows(harness.deps.db, z.object({ name: z.string(), source: z.string() }), sql`select name, source from events order by id`);

  it("maps customers, cards and subscriptions, linking by metadata.user_id", async () => {
    expect(await deliver(stripeEvent("customer.created", stripeCustomer("cus_A", "grace@example.com", { user_id: "user-42" }), seconds(60_000)))).toMatchObject({ status: 200, body: { outcome: "applied" } });
    await deliver(stripeEvent("payment_method.attached", stripeCard("pm_A", "cus_A", 12, 2030), seconds(50_000)));
    await deliver(stripeEvent("customer.subscription.created", stripeSubscription("sub_A", "cus_A", { unitAmount: 58_800, interval: "year" }), seconds(40_000)));
    expect(await customer("user-42")).toMatchObject({
      email: "grace@example.com",
      name: "Grace Hopper",
      locale: "sv-SE",
      subscriptions: [{ id: "sub_A", status: "active", plan: "Pro", mrrMinor: 4900, currency: "EUR", currentPeriodEnd: new Date(1_800_000_000_000).toISOString() }],
      paymentMethods: [{ id: "pm_A", brand: "visa", last4: "4242", expMonth: 12, expYear: 2030, isDefault: true }],
    });
    expect((await events()).map((e) => `${e.source}:${e.name}`)).toEqual(["stripe:payment_method_updated", "stripe:subscription_started"]);
  });

  it("links by email, else by the Stripe customer id", async () => {
    await fetch(`${harness.url}/api/customers/known`, { method: "PUT", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ email: "Known@Example.com" }) });
    await deliver(stripeEvent("customer.created", stripeCustomer("cus_K", "known@example.com"), seconds(10_000)));
    await deliver(stripeEvent("customer.created", stripeCustomer("cus_N", "new@example.com"), seconds(10_000)));
    const links = await queryRows(harness.deps.db, z.object({ stripe_id: z.string(), external_id: z.string() }), sql`select s.stripe_id, c.external_id from stripe_customers s join customers c on c.id = s.customer_id order by s.stripe_id`);
    expect(links).toEqual([
      { stripe_id: "cus_K", external_id: "known" },
      { stripe_id: "cus_N", external_id: "cus_N" },
    ]);
  });

  it("refuses a bad signature and a stale timestamp, storing nothing; accepts the rotated-in secret", async () => {
    const event = stripeEvent("customer.created", stripeCustomer("cus_X", "x@example.com"), seconds(0));
    const wrong = await deliver(event, { secret: "whsec_somebody_else_000000000000" });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { code: "invalid_signature" } });
    const tampered = signed(event);
    const altered = await fetch(`${harness.url}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": tampered.header }, body: tampered.payload.replace("x@example.com", "evil@example.com") });
    expect(altered.status).toBe(400);
    const stale = await deliver(event, { timestamp: Math.floor(NOW.getTime() / 1000) - 600 });
    expect(stale.status).toBe(400);
    expect(JSON.stringify(stale.body)).toMatch(/tolerance/i);
    expect(await count(harness, "stripe_events")).toBe(0);
    expect(await count(harness, "customers")).toBe(0);
    const missing = await fetch(`${harness.url}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(missing.status).toBe(400);
  });

  it("applies a replayed event once", async () => {
    await deliver(stripeEvent("customer.created", stripeCustomer("cus_R", "r@example.com", { user_id: "r" }), seconds(20_000)));
    const failed = stripeEvent("invoice.payment_failed", stripeInvoice("in_R", "cus_R", 4900), seconds(10_000));
    expect((await deliver(failed)).body).toMatchObject({ outcome: "applied" });
    expect((await deliver(failed)).body).toMatchObject({ outcome: "duplicate" });
    expect((await events()).filter((e) => e.name === "payment_failed")).toHaveLength(1);
  });

  it("never lets an older event overwrite newer state (Stripe reorders deliveries)", async () => {
    await deliver(stripeEvent("customer.created", stripeCustomer("cus_O", "o@example.com", { user_id: "o" }), seconds(60_000)));
    await deliver(stripeEvent("customer.subscription.updated", stripeSubscription("sub_O", "cus_O", { status: "past_due" }), seconds(10_000)));
    const older = await deliver(stripeEvent("customer.subscription.updated", stripeSubscription("sub_O", "cus_O", { status: "active" }), seconds(30_000)));
    expect(older.body).toMatchObject({ outcome: "applied", stale: ["subscription"] });
    expect((await customer("o")).subscriptions[0]?.status).toBe("past_due");
    await deliver(stripeEvent("customer.updated", { ...stripeCustomer("cus_O", "new-o@example.com", { user_id: "o" }) }, seconds(5_000)));
    await deliver(stripeEvent("customer.updated", { ...stripeCustomer("cus_O", "old-o@example.com", { user_id: "o" }) }, seconds(50_000)));
    expect((await customer("o")).email).toBe("new-o@example.com");
  });

  it("records downgrades, pauses, resumes and detached cards as events campaigns can use", async () => {
    await deliver(stripeEvent("customer.created", stripeCustomer("cus_D", "d@example.com", { user_id: "d" }), seconds(100_000)));
    await deliver(stripeEvent("payment_method.attached", stripeCard("pm_D", "cus_D", 1, 2031), seconds(95_000)));
    await deliver(stripeEvent("customer.subscription.created", stripeSubscription("sub_D", "cus_D", { unitAmount: 9900 }), seconds(90_000)));
    await deliver(stripeEvent("customer.subscription.updated", stripeSubscription("sub_D", "cus_D", { unitAmount: 1900, nickname: "Starter" }), seconds(80_000)));
    await deliver(stripeEvent("customer.subscription.paused", stripeSubscription("sub_D", "cus_D", { unitAmount: 1900, nickname: "Starter", pause: true }), seconds(70_000)));
    await deliver(stripeEvent("customer.subscription.resumed", stripeSubscription("sub_D", "cus_D", { unitAmount: 1900, nickname: "Starter" }), seconds(10_000)));
    await deliver(stripeEvent("payment_method.detached", stripeCard("pm_D", null, 1, 2031), seconds(5_000), { previous_attributes: { customer: "cus_D" } }));
    expect((await events()).map((e) => e.name)).toEqual([
      "payment_method_updated",
      "subscription_started",
      "downgraded",
      "subscription_paused",
      "subscription_resumed",
      "payment_method_detached",
    ]);
    const d = await customer("d");
    expect(d.subscriptions[0]).toMatchObject({ status: "active", plan: "Starter", mrrMinor: 1900 });
    expect(d.paymentMethods[0]).toMatchObject({ isDefault: false });
    expect(present(d.paymentMethods[0], "d.paymentMethods[0]").detachedAt).not.toBeNull();
  });
});

describe("Stripe to the inbox", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(new Date());
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({
      clock,
      worker: true,
      env: { STRIPE_WEBHOOK_SECRETS: STRIPE_SECRET, SMTP_URL: smtp.url, TEMPLATES_DIR: new URL("../templates", import.meta.url).pathname, MAIL_FROM: "Acme <billing@acme.example>" },
    });
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  const deliver = async (event: unknown) => {
    const body = signed(event);
    const response = await fetch(`${harness.url}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": body.header }, body: body.payload });
    expect(response.status).toBe(200);
  };
  const settle = (count: number) => settleEmails(harness, smtp, clock, count);

  it("an expiring card leads to the card-expiring email; a failed payment starts dunning and paying stops it", async () => {
    const now = clock.now();
    await deliver(stripeEvent("customer.created", stripeCustomer("cus_E", "grace@example.com", { user_id: "grace" }), new Date(now.getTime() - 60_000)));
    await deliver(stripeEvent("customer.subscription.created", stripeSubscription("sub_E", "cus_E"), new Date(now.getTime() - 50_000)));
    // The card on file expires at the end of this month: Stripe's customer.source.expiring.
    const source = { id: "card_E", object: "card", customer: "cus_E", brand: "Visa", last4: "4242", exp_month: now.getUTCMonth() + 1, exp_year: now.getUTCFullYear() };
    await deliver(stripeEvent("customer.source.expiring", source, new Date(now.getTime() - 40_000)));
    const { scanCampaign } = await import("../src/campaigns/index.js");
    await scanCampaign(harness.deps.db, present(harness.deps.campaigns.get("card-expiring"), "harness.deps.campaigns.get('card-expiring')"), clock.now());
    await settle(1);
    expect(smtp.received[0]?.subject).toBe("Grace, ditt kort som slutar på 4242 går snart ut"); // preferred_locales: sv-SE

    await deliver(stripeEvent("invoice.payment_failed", stripeInvoice("in_E", "cus_E", 4900), new Date(now.getTime() - 30_000)));
    await settle(2);
    expect(smtp.received[1]?.subject).toBe("We couldn't process your Acme payment");
    expect(smtp.received[1]?.text).toContain("We tried to charge €49.00 for your Acme subscription to the Visa card ending in 4242");
    // A billing notice: no unsubscribe headers.
    expect(present(smtp.received[1], "smtp.received[1]").headerLines.some((h) => h.key === "list-unsubscribe")).toBe(false);

    await deliver(stripeEvent("invoice.paid", { ...stripeInvoice("in_E", "cus_E", 0), amount_paid: 4900, status: "paid" }, new Date(now.getTime() - 20_000)));
    clock.advance(8 * 86_400_000);
    await settle(3);
    const dunning = await queryRows(
      harness.deps.db,
      z.object({ step_id: z.string(), status: z.string(), outcome: col.jsonObject.nullable() }),
      sql`select m.step_id, m.status::text, m.outcome from messages m join enrollments en on en.id = m.enrollment_id where en.campaign_id = 'dunning' order by m.id`,
    );
    expect(dunning).toMatchObject([
      { step_id: "payment-failed", status: "sent" },
      { step_id: "reminder", status: "skipped", outcome: { type: "enrollment_ended" } },
    ]);
    const [enrollment] = await queryRows(harness.deps.db, z.object({ status: z.string(), end_reason: z.string() }), sql`select status::text, end_reason from enrollments where campaign_id = 'dunning'`);
    expect(enrollment).toEqual({ status: "exited", end_reason: "goal: invoice_paid" });
    // The card campaign carries on (the card was never replaced); dunning sent nothing more.
    const subjects = smtp.received.map((m) => m.subject);
    expect(subjects.filter((s) => /payment|subscription will be paused/i.test(s ?? ""))).toEqual(["We couldn't process your Acme payment"]);
  });
});

describe("rekindle stripe import", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("replays exported objects and events oldest first, once each, reporting bad lines", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "stripe-import-")), "export.jsonl");
    const lines = [
      JSON.stringify({ ...stripeSubscription("sub_I", "cus_I", { unitAmount: 2900 }), created: 1_760_000_100 }),
      JSON.stringify({ ...stripeCustomer("cus_I", "imported@example.com", { user_id: "imp-1" }), created: 1_760_000_000 }),
      JSON.stringify({ ...stripeCard("pm_I", "cus_I", 3, 2029), created: 1_760_000_050 }),
      JSON.stringify(stripeEvent("invoice.payment_failed", stripeInvoice("in_I", "cus_I", 2900), new Date(1_760_000_200_000))),
      "{not json",
      JSON.stringify({ id: "prod_1", object: "product" }),
    ];
    await writeFile(file, `${lines.join("\n")}\n`);
    const report = await importStripeFile(harness.deps, file, "user_id", new Date());
    expect(report.outcomes).toEqual({ applied: 4, duplicate: 0, ignored: 0, unlinked: 0 });
    expect(report.problems.map((p) => p.line)).toEqual([5, 6]);
    const again = await importStripeFile(harness.deps, file, "user_id", new Date());
    expect(again.outcomes).toMatchObject({ applied: 0, duplicate: 4 });
    const customer = (await (await fetch(`${harness.url}/api/customers/imp-1`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as {
      email: string;
      subscriptions: { mrrMinor: number }[];
      paymentMethods: { expYear: number }[];
    };
    expect(customer).toMatchObject({ email: "imported@example.com", subscriptions: [{ mrrMinor: 2900 }], paymentMethods: [{ expYear: 2029 }] });
    // History is not "recent": the live sweep leaves it alone.
    const recent = await queryRows(harness.deps.db, z.object({}), sql`select 1 from events where received_at > now() - interval '15 minutes'`);
    expect(recent).toEqual([]);
  });
});

describe("rekindle stripe import and the campaigns", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ env: { TEMPLATES_DIR: new URL("../templates", import.meta.url).pathname } });
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("matches what it imports as a delivery is: a recent failure starts dunning, an old one does not, and an imported payment ends it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "stripe-import-match-"));
    const now = Date.now();
    const ago = (ms: number) => new Date(now - ms);
    const file = async (name: string, events: unknown[]) => {
      const path = join(dir, name);
      await writeFile(path, `${events.map((event) => JSON.stringify(event)).join("\n")}\n`);
      return path;
    };
    const day = 86_400_000;
    const history = await file("history.jsonl", [
      stripeEvent("customer.created", stripeCustomer("cus_NEW", "recent@example.com", { user_id: "recent" }), ago(2 * day)),
      stripeEvent("invoice.payment_failed", stripeInvoice("in_NEW", "cus_NEW", 4900), ago(day)),
      stripeEvent("customer.created", stripeCustomer("cus_OLD", "old@example.com", { user_id: "old" }), ago(40 * day)),
      stripeEvent("invoice.payment_failed", stripeInvoice("in_OLD", "cus_OLD", 4900), ago(30 * day)),
    ]);
    expect((await importStripeFile(harness.deps, history, "user_id", new Date())).outcomes).toMatchObject({ applied: 4 });
    const enrollments = () =>
      queryRows(
        harness.deps.db,
        z.object({ customer: z.string(), status: z.string(), end_reason: z.string().nullable() }),
        sql`select c.external_id as customer, en.status::text, en.end_reason from enrollments en join customers c on c.id = en.customer_id where en.campaign_id = 'dunning' order by c.external_id`,
      );
    expect(await enrollments()).toEqual([{ customer: "recent", status: "active", end_reason: null }]);

    const paid = await file("paid.jsonl", [stripeEvent("invoice.paid", { ...stripeInvoice("in_NEW", "cus_NEW", 0), amount_paid: 4900, status: "paid" }, ago(60_000))]);
    await importStripeFile(harness.deps, paid, "user_id", new Date());
    expect(await enrollments()).toEqual([{ customer: "recent", status: "exited", end_reason: "goal: invoice_paid" }]);
  });
});
