import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { signToken } from "../src/tokens/index.js";
import { col, queryRows } from "../src/db/index.js";
import { FixedClock } from "../src/time/index.js";
import { installStarterFlow, putCustomer, startAppReceiver, startSession, submit } from "./helpers/cancel-flow.js";
import { API_KEY, count, type Harness, runTask, startHarness } from "./helpers/harness.js";
import { settleEmails } from "./helpers/settle.js";
import { startTcpProxy } from "./helpers/tcp-proxy.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { present } from "./helpers/present.js";

const SECRET = "app-signing-secret-0123456789abcdef-xyz";
const START = new Date("2026-11-28T12:00:00Z");

describe("the cancel flow, applied by the app's webhook", () => {
  let harness: Harness;
  let app: Awaited<ReturnType<typeof startAppReceiver>>;
  const clock = new FixedClock(START);

  beforeAll(async () => {
    app = await startAppReceiver(SECRET);
    harness = await startHarness({ clock, env: { CANCEL_WEBHOOK_URL: app.url, APP_SIGNING_SECRET: SECRET, CANCEL_SESSION_TTL: "PT30M" } });
    await installStarterFlow(harness, (text) => text.replace("holdout: 0.1", "holdout: 0"));
    await putCustomer(harness, "loyal", { mrrMinor: 4900 });
    await putCustomer(harness, "small", { mrrMinor: 1900, plan: "Starter", startedAt: "2026-10-01T00:00:00Z", locale: "sv-SE" });
  });
  afterAll(async () => {
    await harness.stop();
    await app.close();
  });

  const events = (customer: string) =>
    queryRows(
      harness.deps.db,
      z.object({ name: z.string(), properties: col.jsonObject }),
      sql`select e.name, e.properties from events e join customers c on c.id = e.customer_id where c.external_id = ${customer} and e.source = 'rekindle' order by e.id`,
    );

  it("refuses a bad request naming each problem, and stores nothing", async () => {
    const before = await count(harness, "cancel_sessions");
    const bad = await startSession(harness, { customerId: "", returnUrl: "javascript:alert(1)", locale: "english", extra: 1 });
    expect(bad.status).toBe(400);
    const paths = (bad.body as unknown as { error: { problems: { path: string }[] } }).error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(["(body)", "customerId", "locale", "returnUrl"].sort().filter((p) => paths.includes(p)));
    expect(paths).toEqual(expect.arrayContaining(["customerId", "returnUrl", "locale"]));
    const unknown = await startSession(harness, { customerId: "nobody", returnUrl: "https://app.example.com/account" });
    expect(unknown.status).toBe(404);
    const support = await fetch(`${harness.url}/api/cancel-sessions`, { method: "POST", headers: { authorization: "Bearer nope-nope-nope-nope", "content-type": "application/json" }, body: "{}" });
    expect(support.status).toBe(401);
    expect(await count(harness, "cancel_sessions")).toBe(before);
  });

  it("takes a customer from the reason to the offer, and applies the accepted offer once through the app", async () => {
    const started = await startSession(harness, { customerId: "loyal", returnUrl: "https://app.example.com/account" });
    expect(started.status).toBe(201);
    expect(started.body.url).toMatch(new RegExp(`^${harness.config.http.publicUrl}/cancel/`));
    const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);

    const survey = await fetch(url);
    expect(survey.status).toBe(200);
    expect(survey.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await survey.text();
    expect(html).toContain("What is the main reason you are cancelling?");
    expect(html).not.toMatch(/<script/i);

    // No reason chosen: the survey again, saying what is missing.
    const empty = await submit(url, { action: "reason" });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("Choose a reason to continue.");
    // A reason that needs a comment, without one: asked for, and nothing recorded yet.
    const noComment = await submit(url, { action: "reason", reason: "missing_feature", comment: "  " });
    expect(noComment.status).toBe(400);
    const asked = await noComment.text();
    expect(asked).toContain("Please tell us a little more in the box below.");
    expect(asked).toContain("What was missing, or what went wrong? (required)");

    const reason = await submit(url, { action: "reason", reason: "too_expensive", comment: "Budget cuts" });
    expect(reason.status).toBe(303);
    const offer = await (await fetch(url)).text();
    expect(offer).toContain("30% off for 3 months");

    // Two presses of the button (a double tap): one decision, one delivery.
    const [first, second] = await Promise.all([submit(url, { action: "accept" }), submit(url, { action: "accept" })]);
    expect([first.status, second.status]).toEqual([303, 303]);
    const done = await (await fetch(url)).text();
    expect(done).toContain("Thank you for staying");
    expect(done).toContain("Your next 3 months are 30% off.");
    expect(app.deliveries).toHaveLength(1);
    const [delivery] = app.deliveries;
    expect(delivery?.signatureValid).toBe(true);
    expect(delivery?.idempotencyKey).toBe(started.body.id);
    expect(delivery?.body).toMatchObject({
      id: started.body.id,
      type: "cancel_flow.decision",
      customer: { id: "loyal", email: "loyal@example.com" },
      outcome: "accepted",
      reason: "too_expensive",
      comment: "Budget cuts",
      offer: { id: "discount-loyal", type: "discount" },
      decision: { action: "discount", details: { percent_off: 30, months: 3 } },
    });

    // The finished session cannot be used again: cancelling now changes nothing.
    await submit(url, { action: "cancel" });
    const session = await (await fetch(`${harness.url}/api/cancel-sessions/${started.body.id}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
    expect(session).toMatchObject({ status: "accepted", apply: { status: "applied", via: "webhook", attempts: 1 } });
    expect(app.deliveries).toHaveLength(1);
    expect((await events("loyal")).map((e) => e.name)).toEqual(["cancel_flow_started", "cancel_reason_given", "offer_shown", "offer_accepted"]);
    // Support reads the reason and the offer in the customer's timeline.
    const timeline = (await (await fetch(`${harness.url}/api/customers/loyal/timeline`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { entries: { summary: string }[] };
    expect(timeline.entries.map((e) => e.summary)).toEqual(
      expect.arrayContaining(["cancel_reason_given: too_expensive “Budget cuts” (Rekindle)", "offer_shown: discount-loyal (discount) (Rekindle)", "offer_accepted: discount-loyal (discount) (Rekindle)"]),
    );
  });

  it("speaks the customer's language and picks the offer their audience allows", async () => {
    const started = await startSession(harness, { customerId: "small", returnUrl: "https://app.example.com/account" });
    expect(started.body.locale).toBe("sv");
    const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
    const survey = await (await fetch(url)).text();
    expect(survey).toContain('<html lang="sv"');
    expect(survey).toContain("Det är för dyrt");
    await submit(url, { action: "reason", reason: "too_expensive" });
    // Not loyal enough for the discount, already on Starter: the pause.
    const offer = await (await fetch(url)).text();
    expect(offer).toContain("Ta en paus i stället");
    expect(offer).toContain("28 januari 2027");
  });

  it("cancels at the period's end when the customer declines, and tells the app; a campaign starts on the reason given", async () => {
    await harness.setCampaign(
      "after-cancel",
      `id: after-cancel
name: After a cancellation for another reason
category: winback
trigger:
  type: event
  name: cancel_confirmed
  where:
    - property: reason
      equals: other
steps:
  - id: ask
    type: email
    template: ask
`,
    );
    const started = await startSession(harness, { customerId: "loyal", returnUrl: "https://app.example.com/account" });
    const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
    await submit(url, { action: "reason", reason: "other" });
    const confirm = await (await fetch(url)).text();
    expect(confirm).toContain("Your subscription ends on December 20, 2026.");
    await submit(url, { action: "cancel" });
    expect(await (await fetch(url)).text()).toContain("Your subscription is cancelled");
    expect(app.deliveries.at(-1)?.body).toMatchObject({ id: started.body.id, outcome: "cancelled", reason: "other", offer: null, decision: { action: "cancel", details: { at: "period_end" } } });
    const enrolled = await queryRows(harness.deps.db, z.object({ external_id: z.string() }), sql`select c.external_id from enrollments e join customers c on c.id = e.customer_id where e.campaign_id = 'after-cancel'`);
    expect(enrolled.map((e) => e.external_id)).toEqual(["loyal"]);
  });

  it("says honestly when the app could not apply a decision, retries it, and hands it to support at last", async () => {
    await putCustomer(harness, "retry", { mrrMinor: 9900 });
    const started = await startSession(harness, { customerId: "retry", returnUrl: "https://app.example.com/account" });
    const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
    await submit(url, { action: "reason", reason: "temporary" });
    app.answer(500);
    await submit(url, { action: "accept" });
    const page = await (await fetch(url)).text();
    expect(page).toContain("We could not apply this right away. Your request is recorded, and our team will confirm it by email.");
    const attempts = () => app.deliveries.filter((d) => d.body.id === started.body.id);
    expect(attempts()).toHaveLength(1);

    // The periodic task tries again after the backoff, with the same idempotency key.
    clock.advance(61_000);
    await runTask(harness, "cancel-flow");
    expect(attempts()).toHaveLength(2);
    app.answer(200);
    clock.advance(5 * 60_000 + 1_000);
    await runTask(harness, "cancel-flow");
    expect(attempts()).toHaveLength(3);
    expect(new Set(attempts().map((d) => d.idempotencyKey))).toEqual(new Set([started.body.id]));
    const [row] = await queryRows(harness.deps.db, z.object({ apply_status: z.string() }), sql`select apply_status from cancel_sessions where id = ${started.body.id}`);
    expect(row?.apply_status).toBe("applied");
    expect(await (await fetch(url)).text()).not.toContain("could not apply");

    // A decision the app keeps refusing goes to support after the last try, and support resolves it.
    const next = await startSession(harness, { customerId: "retry", returnUrl: "https://app.example.com/account" });
    const nextUrl = next.body.url.replace(harness.config.http.publicUrl, harness.url);
    await submit(nextUrl, { action: "reason", reason: "other" });
    app.answer(503);
    await submit(nextUrl, { action: "cancel" });
    for (let i = 0; i < 6; i++) {
      clock.advance(7 * 3_600_000);
      await runTask(harness, "cancel-flow");
    }
    const handed = (await (await fetch(`${harness.url}/api/cancel-sessions?applyStatus=support`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { sessions: { id: string; apply: Record<string, unknown> }[] };
    expect(handed.sessions.map((s) => s.id)).toEqual([next.body.id]);
    expect(handed.sessions[0]?.apply).toMatchObject({ attempts: 6, error: "the app answered 503" });
    const resolved = await fetch(`${harness.url}/api/cancel-sessions/${next.body.id}/resolve`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ note: "Cancelled in the billing admin" }) });
    expect(resolved.status).toBe(200);
    app.answer(200);
  });

  it("refuses forged, altered, other purposes' and expired links; an expired session is abandoned once", async () => {
    const started = await startSession(harness, { customerId: "loyal", returnUrl: "https://app.example.com/account" });
    const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
    const token = present(url.split("/cancel/")[1], "url.split('/cancel/')[1]");
    const [, expiry, signature] = token.split(".");
    const other = await startSession(harness, { customerId: "small", returnUrl: "https://app.example.com/account" });
    const forged = [
      `${started.body.id}.${expiry}.${"A".repeat(24)}`,
      `${other.body.id}.${expiry}.${signature}`,
      `${started.body.id}.${(Number.parseInt(present(expiry, "expiry"), 36) + 3600).toString(36)}.${signature}`,
      signToken("another-secret-of-more-than-32-characters", "cancel-session", started.body.id, new Date(START.getTime() + 3_600_000)),
      signToken(harness.deps.secretKey, "card-update", started.body.id, new Date(START.getTime() + 3_600_000)),
      "../../api/keys",
    ];
    for (const bad of forged) {
      const response = await fetch(`${harness.url}/cancel/${encodeURIComponent(bad)}`);
      expect(response.status, bad).toBe(400);
      expect(await response.text()).toContain("This link is not valid");
      expect((await submit(`${harness.url}/cancel/${encodeURIComponent(bad)}`, { action: "keep" })).status).toBe(400);
    }
    // Another site's form cannot post to the page.
    const crossSite = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" }, body: "action=keep", redirect: "manual" });
    expect(crossSite.status).toBe(403);

    clock.advance(31 * 60_000);
    const late = await fetch(url);
    expect(late.status).toBe(410);
    expect(await late.text()).toContain("This link has expired");
    expect((await submit(url, { action: "keep" })).status).toBe(410);
    const result = await runTask(harness, "cancel-flow");
    expect(result.abandoned).toBeGreaterThanOrEqual(2);
    await runTask(harness, "cancel-flow");
    const abandoned = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from events where name = 'cancel_flow_abandoned' and properties ->> 'sessionId' = ${started.body.id}`);
    expect(abandoned[0]?.n).toBe(1);
    const [row] = await queryRows(harness.deps.db, z.object({ status: z.string() }), sql`select status::text from cancel_sessions where id = ${started.body.id}`);
    expect(row?.status).toBe("abandoned");
  });
});

describe("a decision the app applied while PostgreSQL is unreachable", () => {
  it("is recorded once PostgreSQL is back: one delivery, and no failure shown to the customer", async () => {
    const app = await startAppReceiver(SECRET);
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    const harness = await startHarness({
      env: { CANCEL_WEBHOOK_URL: app.url, APP_SIGNING_SECRET: SECRET },
      databaseUrl: (url) => Object.assign(new URL(url), { port: String(proxy.port) }).toString(),
    });
    try {
      await installStarterFlow(harness, (text) => text.replace("holdout: 0.1", "holdout: 0"));
      await putCustomer(harness, "cut-off", { mrrMinor: 9900 });
      const started = await startSession(harness, { customerId: "cut-off", returnUrl: "https://app.example.com/account" });
      const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
      await submit(url, { action: "reason", reason: "temporary" });
      // The app has the decision; before it answers, PostgreSQL goes away for a second and a half.
      app.beforeAnswering(async () => {
        await proxy.cut();
        setTimeout(() => void proxy.restore(), 1_500);
      });
      await submit(url, { action: "accept" });
      app.beforeAnswering(undefined);
      const page = await (await fetch(url)).text();
      expect(page).toContain("Your subscription is paused.");
      expect(page).not.toContain("could not apply");
      expect(app.deliveries.filter((d) => d.body.id === started.body.id)).toHaveLength(1);
      const [row] = await queryRows(harness.deps.db, z.object({ apply_status: z.string(), apply_attempts: col.int }), sql`select apply_status::text, apply_attempts from cancel_sessions where id = ${started.body.id}`);
      expect(row).toEqual({ apply_status: "applied", apply_attempts: 1 });
    } finally {
      await harness.stop();
      await proxy.close();
      await app.close();
    }
  });
});

describe("a cancel flow file with a mistake", () => {
  it("is refused with file and line while campaigns keep running, and the API says why", async () => {
    const harness = await startHarness({ campaigns: { "still-running": "id: still-running\nname: Still running\ncategory: winback\ntrigger:\n  type: event\n  name: anything\nsteps:\n  - id: hello\n    type: email\n    template: hello\n" } });
    try {
      const problemsWith = async (edit: (text: string) => string) => {
        await installStarterFlow(harness, edit);
        expect(harness.deps.campaigns.running().map((c) => c.id)).toEqual(["still-running"]);
        const response = await startSession(harness, { customerId: "someone", returnUrl: "https://app.example.com" });
        expect(response.status).toBe(503);
        return (response.body as unknown as { error: { problems: { path: string; message: string }[] } }).error.problems;
      };
      await putCustomer(harness, "someone");
      expect(await problemsWith((text) => text.replace("duration: P3M", "duration: P4M"))).toEqual([
        { path: expect.stringMatching(/_cancel\/flow\.yaml:51$/), message: "offers[3].duration: expected P1M, P2M or P3M" },
      ]);
      expect(await problemsWith((text) => text.replace("offers: [talk-to-us]\n  - id: switching", "offers: [talk-to-uss]\n  - id: switching"))).toEqual([
        { path: expect.stringMatching(/_cancel\/flow\.yaml:16$/), message: 'reasons[2].offers[0]: no offer "talk-to-uss" in offers (discount-loyal, downgrade-starter, pause-two-months, pause-three-months, talk-to-us)' },
      ]);
      expect(await count(harness, "cancel_sessions")).toBe(0);
    } finally {
      await harness.stop();
    }
  });
});

describe("a cancel flow with no billing integration configured", () => {
  it("records the decision for the support team and tells the customer so, without calling it a failure", async () => {
    const harness = await startHarness();
    try {
      expect(harness.config.cancelFlow.apply).toBe("support");
      await installStarterFlow(harness, (text) => text.replace("holdout: 0.1", "holdout: 0"));
      await putCustomer(harness, "by-hand");
      const started = await startSession(harness, { customerId: "by-hand", returnUrl: "https://app.example.com/account" });
      const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
      await submit(url, { action: "reason", reason: "other" });
      await submit(url, { action: "cancel" });
      const page = await (await fetch(url)).text();
      expect(page).toContain("Your request is recorded. Our team will apply it and confirm by email.");
      expect(page).not.toContain("could not apply");
      const [row] = await queryRows(harness.deps.db, z.object({ apply_status: z.string(), apply_attempts: col.int }), sql`select apply_status::text, apply_attempts from cancel_sessions where id = ${started.body.id}`);
      expect(row).toEqual({ apply_status: "support", apply_attempts: 0 });
    } finally {
      await harness.stop();
    }
  });
});

describe("the starter cancel flow and win-back campaign, end to end", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(START);

  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "none", TEMPLATES_DIR: new URL("../templates", import.meta.url).pathname, MAIL_FROM: "Acme <hello@acme.example>" } });
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  const settle = (count: number) => settleEmails(harness, smtp, clock, count);
  const cancelWith = async (customerId: string, reason: string) => {
    await putCustomer(harness, customerId, { mrrMinor: 1900, plan: "Starter", startedAt: "2026-10-01T00:00:00Z" });
    // The subscription was reported before the customer went to cancel (its subscription_started
    // event would otherwise count as the win-back's goal, reached at the same instant).
    clock.advance(60_000);
    const started = await startSession(harness, { customerId, returnUrl: "https://app.example.com/account", locale: "en" });
    const url = started.body.url.replace(harness.config.http.publicUrl, harness.url);
    await submit(url, { action: "reason", reason, comment: "n/a" });
    await submit(url, { action: "cancel" });
    expect(await (await fetch(url)).text()).toContain("Your subscription is cancelled");
  };

  it("three weeks after a cancellation, answers the reason given: the price, or a personal check-in", async () => {
    await cancelWith("priced-out", "too_expensive");
    await cancelWith("moved-on", "other");
    await settle(0);
    expect(smtp.received).toHaveLength(0);
    clock.advance(22 * 86_400_000);
    await settle(2);
    const byRecipient = Object.fromEntries(smtp.received.map((mail) => [mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : "", mail.subject]));
    expect(byRecipient).toEqual({ "priced-out@example.com": "Ada, a smaller way to keep Acme", "moved-on@example.com": "Ada, did we get it right?" });
  });
});
