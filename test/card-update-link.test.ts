import { createHmac, timingSafeEqual } from "node:crypto";
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { reloadCampaigns } from "../src/runtime/index.js";
import { FixedClock } from "../src/time/index.js";
import { signToken } from "../src/tokens/index.js";
import { enrollments, resetState } from "./helpers/campaigns.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { type StripeEmulator, startStripeEmulator } from "./helpers/stripe-emulator.js";
import { present } from "./helpers/present.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const DAY = 86_400_000;
const PUBLIC_URL = "https://rekindle.acme.example";
const APP_URL = "https://app.acme.example";
const BILLING_URL = "https://app.acme.example/billing?tab=payment";
const APP_SIGNING_SECRET = "the-app-and-rekindle-share-this-secret";
const auth = { authorization: `Bearer ${API_KEY}` };

const putCustomer = (harness: Harness, id: string, body: Record<string, unknown>) =>
  fetch(`${harness.url}/api/customers/${id}`, { method: "PUT", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });

const rowId = async (harness: Harness, externalId: string) => {
  const [row] = await queryRows(harness.deps.db, z.object({ id: col.int }), sql`select id::int from customers where external_id = ${externalId}`);
  return present(row, `customer ${externalId}`).id;
};

/** What an email's link is made of, for a customer row id, valid until `expiresAt`. */
const cardToken = (harness: Harness, customerId: number | string, expiresAt = new Date(NOW.getTime() + DAY)) =>
  signToken(harness.deps.secretKey, "card-update", String(customerId), expiresAt);

/** Opens a card link as a browser would, without following the redirect. */
const open = (harness: Harness, token: string) => fetch(`${harness.url}/card/${token}`, { redirect: "manual" });

const linkEvents = (harness: Harness) =>
  queryRows(
    harness.deps.db,
    z.object({ customer: z.string(), source: z.string(), properties: col.jsonObject }),
    sql`select c.external_id as customer, e.source, e.properties from events e join customers c on c.id = e.customer_id where e.name = 'card_update_link_opened' order by e.id`,
  );

/** How the app behind BILLING_URL checks a redirect from Rekindle, with nothing but node:crypto. */
function appVerifies(location: string, secret: string, now: Date): string | undefined {
  const url = new URL(location);
  const customer = url.searchParams.get("rekindle_customer");
  const expires = url.searchParams.get("rekindle_expires");
  const signature = url.searchParams.get("rekindle_signature");
  if (customer === null || expires === null || signature === null || !/^\d+$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  if (Number(expires) * 1000 <= now.getTime()) return undefined;
  const expected = createHmac("sha256", secret).update(`${customer}.${expires}`).digest();
  return timingSafeEqual(Buffer.from(signature, "hex"), expected) ? customer : undefined;
}

describe("the card-update link, without Stripe", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({
      clock,
      worker: true,
      env: { SMTP_URL: smtp.url, MAIL_FROM: "Acme <billing@acme.example>", PUBLIC_URL, APP_URL, BILLING_URL, APP_SIGNING_SECRET },
    });
    // The starter dunning campaign, as shipped, with its layout and footer.
    const templatesDir = harness.config.campaigns.templatesDir;
    for (const folder of ["_layouts", "_partials", "dunning"]) await cp(new URL(`../templates/${folder}`, import.meta.url), join(templatesDir, folder), { recursive: true });
    await reloadCampaigns(harness.deps);
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });
  beforeEach(async () => {
    clock.set(NOW);
    smtp.received.length = 0;
    await resetState(harness);
  });

  it("the starter dunning email carries the link; opening it sends the customer to BILLING_URL, signed for the app, and records the visit", async () => {
    clock.set(new Date(NOW.getTime() - DAY)); // the card was added the day before (a new card would end dunning)
    await putCustomer(harness, "grace", { email: "grace@example.com", name: "Grace Hopper", paymentMethod: { brand: "visa", last4: "4242", expMonth: 1, expYear: 2027 } });
    clock.set(NOW);
    await post(harness, "/v1/track", { userId: "grace", event: "payment_failed" });
    await dispatchDue(harness.deps); // or the worker's own dispatch, whichever comes first
    const [email] = await smtp.waitFor(1);
    const links = [...String(present(email, "email").html).matchAll(/href="(https:\/\/rekindle\.acme\.example\/card\/[^"]+)"/g)].map((m) => present(m[1], "m[1]"));
    expect(links).toHaveLength(1);
    expect(email?.text).toContain(`Update payment details [${links[0]}]`);
    const token = present(links[0], "links[0]").slice(`${PUBLIC_URL}/card/`.length);
    // The token names the customer's row, not their id or address.
    expect(token.split(".")[0]).toBe(String(await rowId(harness, "grace")));
    expect(token).not.toContain("grace");

    const response = await open(harness, token);
    expect(response.status).toBe(303);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    const location = present(response.headers.get("location"), "response.headers.get('location')");
    const url = new URL(location);
    expect(`${url.origin}${url.pathname}`).toBe("https://app.acme.example/billing");
    expect(url.searchParams.get("tab")).toBe("payment"); // BILLING_URL's own query is kept
    expect(appVerifies(location, APP_SIGNING_SECRET, NOW)).toBe("grace");
    // Good for a few minutes (the browser follows it at once), not for the link's two weeks.
    const expires = Number(url.searchParams.get("rekindle_expires")) * 1000;
    expect(expires).toBeGreaterThan(NOW.getTime());
    expect(expires).toBeLessThanOrEqual(NOW.getTime() + 15 * 60_000);
    expect(appVerifies(location, APP_SIGNING_SECRET, new Date(expires))).toBeUndefined();
    // Another secret, or another customer put in the URL, does not verify.
    expect(appVerifies(location, "someone-else-s-secret-0123456789abc", NOW)).toBeUndefined();
    const altered = new URL(location);
    altered.searchParams.set("rekindle_customer", "mallory");
    expect(appVerifies(altered.toString(), APP_SIGNING_SECRET, NOW)).toBeUndefined();

    expect(await linkEvents(harness)).toEqual([{ customer: "grace", source: "rekindle", properties: { via: "billing_url" } }]);
    const timeline = (await (await fetch(`${harness.url}/api/customers/grace/timeline`, { headers: auth })).json()) as { entries: { kind: string; summary: string; detail: Record<string, unknown> }[] };
    expect(timeline.entries).toContainEqual(expect.objectContaining({ kind: "event", summary: "card_update_link_opened (Rekindle)", detail: { properties: { via: "billing_url" } } }));
  });

  it("works for CARD_LINK_TTL (P14D) from the send, then shows a page pointing to BILLING_URL", async () => {
    await putCustomer(harness, "ada", { email: "ada@example.com" });
    await post(harness, "/v1/track", { userId: "ada", event: "payment_failed" });
    await dispatchDue(harness.deps);
    const [email] = await smtp.waitFor(1);
    const token = present(present(String(present(email, "email").html).match(/\/card\/([^"]+)"/), "String(email.html).match(/\\/card\\/([^']+)'/)")[1], "String(present(email.html).match(/\\/card\\/([^']+)'/), 'String(email.html).match(/\\\\/card\\\\/([^']+)'/)')[1]");

    clock.set(new Date(NOW.getTime() + 14 * DAY - 1_000));
    expect((await open(harness, token)).status).toBe(303);
    clock.set(new Date(NOW.getTime() + 14 * DAY));
    const expired = await open(harness, token);
    expect(expired.status).toBe(410);
    expect(expired.headers.get("content-type")).toMatch(/^text\/html/);
    expect(expired.headers.get("cache-control")).toBe("no-store");
    expect(expired.headers.get("referrer-policy")).toBe("no-referrer");
    const page = await expired.text();
    expect(page).toContain("This link has expired");
    expect(page).toContain('href="https://app.acme.example/billing?tab=payment"');
    // The one opening in time is recorded; the late one is not.
    expect(await linkEvents(harness)).toHaveLength(1);
  });

  it("refuses forged, altered and borrowed tokens, and another customer's id spliced into one, recording nothing", async () => {
    await putCustomer(harness, "victim", { email: "victim@example.com" });
    await putCustomer(harness, "mallory", { email: "mallory@example.com" });
    const mallory = cardToken(harness, await rowId(harness, "mallory"));
    const victimId = await rowId(harness, "victim");
    const [, expiry, signature] = mallory.split(".");
    const refused = {
      "another customer's id under mallory's signature": `${victimId}.${expiry}.${signature}`,
      "a later expiry": `${mallory.split(".")[0]}.${(Number.parseInt(present(expiry, "expiry"), 36) + 86_400).toString(36)}.${signature}`,
      "a changed signature": `${mallory.slice(0, -1)}${mallory.endsWith("A") ? "B" : "A"}`,
      "another secret": signToken("not-this-installation-s-secret-0000", "card-update", String(victimId), new Date(NOW.getTime() + DAY)),
      "a token made for the cancel flow": signToken(harness.deps.secretKey, "cancel-session", String(victimId), new Date(NOW.getTime() + DAY)),
      "the preview placeholder": "preview",
      "something else": "x".repeat(300),
    };
    for (const [what, token] of Object.entries(refused)) {
      const response = await open(harness, token);
      expect(response.status, what).toBe(400);
      expect(response.headers.get("location"), what).toBeNull();
      const page = await response.text();
      expect(page, what).toContain("This link is not valid");
      expect(page, what).toContain("https://app.acme.example/billing");
      expect(page, what).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
    }
    expect(await linkEvents(harness)).toEqual([]);
    // The genuine one still works.
    expect(appVerifies(present((await open(harness, mallory)).headers.get("location"), "(await open(harness, mallory)).headers.get('location')"), APP_SIGNING_SECRET, NOW)).toBe("mallory");
  });

  it("a link whose customer was deleted shows a page, not an error", async () => {
    await putCustomer(harness, "gone", { email: "gone@example.com" });
    const token = cardToken(harness, await rowId(harness, "gone"));
    await harness.deps.db.execute(sql`delete from customers where external_id = 'gone'`);
    const response = await open(harness, token);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain("This link no longer works");
  });

  it("previews and test sends show a placeholder, never a live link", async () => {
    await putCustomer(harness, "grace", { email: "grace@example.com" });
    const preview = (await (await fetch(`${harness.url}/api/campaigns/dunning/steps/payment-failed/preview?customer=grace`, { headers: auth })).json()) as { html: string };
    expect(preview.html).toContain(`href="${PUBLIC_URL}/card/preview"`);
  });

  it("HEAD (what link checkers send) opens nothing", async () => {
    await putCustomer(harness, "grace", { email: "grace@example.com" });
    const response = await fetch(`${harness.url}/card/${cardToken(harness, await rowId(harness, "grace"))}`, { method: "HEAD" });
    expect(response.headers.get("location")).toBeNull();
    expect(await linkEvents(harness)).toEqual([]);
  });

  // Last: the campaigns it adds stay loaded.
  it("campaigns can start and exit on card_update_link_opened", async () => {
    await harness.setCampaign(
      "card-help",
      `id: card-help
name: Card help
category: dunning
trigger:
  type: event
  name: card_update_link_opened
steps:
  - id: help
    type: email
    template: help
`,
    );
    await harness.setCampaign(
      "nudge",
      `id: nudge
name: Nudge until they look
category: dunning
trigger:
  type: payment_failed
exit:
  - event: card_update_link_opened
steps:
  - id: wait
    type: wait
    duration: P1D
  - id: nudge
    type: email
    template: nudge
`,
    );
    await putCustomer(harness, "lin", { email: "lin@example.com" });
    await post(harness, "/v1/track", { userId: "lin", event: "payment_failed" });
    expect(await enrollments(harness, "nudge")).toMatchObject([{ customer: "lin", status: "active" }]);
    expect((await open(harness, cardToken(harness, await rowId(harness, "lin")))).status).toBe(303);
    expect(await enrollments(harness, "nudge")).toMatchObject([{ customer: "lin", status: "exited" }]);
    expect(await enrollments(harness, "card-help")).toMatchObject([{ customer: "lin", status: "active" }]);
  });
});

describe("the card-update link, with Stripe", () => {
  let harness: Harness;
  let emulator: StripeEmulator;
  const lines: string[] = [];
  beforeAll(async () => {
    emulator = await startStripeEmulator();
    harness = await startHarness({
      logTo: { write: (line: string) => void lines.push(line) },
      // No APP_SIGNING_SECRET: the fallback is the plain BILLING_URL.
      env: { STRIPE_SECRET_KEY: emulator.secretKey, STRIPE_API_URL: emulator.url, PUBLIC_URL, APP_URL, BILLING_URL, LOG_LEVEL: "warn" },
    });
  });
  afterAll(async () => {
    await harness.stop();
    await emulator.stop();
  });
  beforeEach(async () => {
    await resetState(harness);
    emulator.requests.length = 0;
    lines.length = 0;
  });
  const portalRequests = () => emulator.requests.filter((r) => r.path === "/v1/billing_portal/sessions");

  it("asks Stripe for a payment-method-update portal session; Stripe refusing, the customer goes to BILLING_URL", async () => {
    const stripeCustomer = await emulator.client.customers.create({ email: "grace@example.com", metadata: { user_id: "grace" } });
    await putCustomer(harness, "grace", { email: "grace@example.com" });
    const id = await rowId(harness, "grace");
    await harness.deps.db.execute(sql`insert into stripe_customers (stripe_id, customer_id) values (${stripeCustomer.id}, ${id})`);

    const response = await open(harness, cardToken(harness, id));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(BILLING_URL);
    expect(response.headers.get("cache-control")).toBe("no-store");
    // The request Rekindle sent, as it reached the emulator (which has no billing portal: 404, not retried).
    expect(portalRequests()).toEqual([
      {
        method: "POST",
        path: "/v1/billing_portal/sessions",
        idempotencyKey: expect.any(String),
        params: {
          customer: stripeCustomer.id,
          return_url: APP_URL,
          flow_data: { type: "payment_method_update", after_completion: { type: "redirect", redirect: { return_url: APP_URL } } },
        },
        status: 404,
      },
    ]);
    expect(await linkEvents(harness)).toEqual([{ customer: "grace", source: "rekindle", properties: { via: "billing_url" } }]);
    const warning = lines.map((line) => JSON.parse(line) as { level: number; msg: string; stripe?: { status: number } }).find((l) => /billing portal/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, stripe: { status: 404 } });
  });

  it("a customer Stripe does not know goes straight to BILLING_URL, without a call to Stripe", async () => {
    await putCustomer(harness, "ada", { email: "ada@example.com" });
    const response = await open(harness, cardToken(harness, await rowId(harness, "ada")));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(BILLING_URL);
    expect(portalRequests()).toEqual([]);
    expect(await linkEvents(harness)).toEqual([{ customer: "ada", source: "rekindle", properties: { via: "billing_url" } }]);
  });
});
