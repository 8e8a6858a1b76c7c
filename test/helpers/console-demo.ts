import { cp } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, queryRows } from "../../src/db/index.js";
import { dispatchDue } from "../../src/delivery/index.js";
import { reloadCampaigns } from "../../src/runtime/index.js";
import type { FixedClock } from "../../src/time/index.js";
import { scan } from "./campaigns.js";
import { API_KEY, type Harness, post, writeCampaign } from "./harness.js";
import { present } from "./present.js";
import type { TestSmtp } from "./smtp.js";

const ROOT = new URL("../..", import.meta.url).pathname;

/** The moment the demo is set at, so screenshots read the same on every run. */
export const DEMO_NOW = new Date("2026-11-20T10:00:00Z");

/** A campaign refused at load: its email names a variable the render context does not have (line 8 of the file). */
export const BROKEN_CAMPAIGN = `id: spring-winback
name: Spring win-back
category: winback
trigger:
  type: inactive
  for: P30D
steps:
  - id: we-miss-you
    type: email
    template: we-miss-you
`;
export const BROKEN_EMAIL = `---
subject: "We miss you, {{customer.firstName}}"
---
<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hi {{customer.fistName}}, it has been a while.</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`;

const DAY = 86_400_000;
const ago = (days: number) => new Date(DEMO_NOW.getTime() - days * DAY).toISOString();

interface DemoCustomer {
  id: string;
  email: string;
  name: string;
  locale: string;
  timezone: string;
  plan: string;
  mrrMinor: number;
  currency: string;
  card: { brand: string; last4: string; expMonth: number; expYear: number };
  signedUpDaysAgo: number;
  lastActiveDaysAgo: number;
}

const PEOPLE: DemoCustomer[] = [
  { id: "user-1001", email: "grace@analytical.example", name: "Grace Hopper", locale: "en-GB", timezone: "Europe/London", plan: "pro", mrrMinor: 4900, currency: "EUR", card: { brand: "visa", last4: "4242", expMonth: 11, expYear: 2026 }, signedUpDaysAgo: 400, lastActiveDaysAgo: 1 },
  { id: "user-1002", email: "astrid@bullerbyn.example", name: "Astrid Lindgren", locale: "sv-SE", timezone: "Europe/Stockholm", plan: "team", mrrMinor: 19900, currency: "SEK", card: { brand: "mastercard", last4: "5454", expMonth: 11, expYear: 2026 }, signedUpDaysAgo: 700, lastActiveDaysAgo: 2 },
  { id: "user-1003", email: "ada@engines.example", name: "Ada Lovelace", locale: "en", timezone: "Europe/London", plan: "pro", mrrMinor: 4900, currency: "EUR", card: { brand: "amex", last4: "0005", expMonth: 4, expYear: 2028 }, signedUpDaysAgo: 220, lastActiveDaysAgo: 3 },
  { id: "user-1004", email: "alan@bletchley.example", name: "Alan Turing", locale: "en", timezone: "Europe/London", plan: "starter", mrrMinor: 1900, currency: "EUR", card: { brand: "visa", last4: "1881", expMonth: 9, expYear: 2027 }, signedUpDaysAgo: 300, lastActiveDaysAgo: 18 },
  { id: "user-1005", email: "katherine@langley.example", name: "Katherine Johnson", locale: "en-US", timezone: "America/New_York", plan: "pro", mrrMinor: 4900, currency: "USD", card: { brand: "visa", last4: "3141", expMonth: 2, expYear: 2029 }, signedUpDaysAgo: 90, lastActiveDaysAgo: 16 },
  { id: "user-1006", email: "hedy@frequency.example", name: "Hedy Lamarr", locale: "de-AT", timezone: "Europe/Vienna", plan: "team", mrrMinor: 9900, currency: "EUR", card: { brand: "mastercard", last4: "1942", expMonth: 6, expYear: 2028 }, signedUpDaysAgo: 500, lastActiveDaysAgo: 0 },
  { id: "user-1007", email: "margaret@apollo.example", name: "Margaret Hamilton", locale: "en-US", timezone: "America/Chicago", plan: "pro", mrrMinor: 4900, currency: "USD", card: { brand: "visa", last4: "1969", expMonth: 7, expYear: 2030 }, signedUpDaysAgo: 60, lastActiveDaysAgo: 5 },
  { id: "user-1008", email: "sophie@kovalevskaya.example", name: "Sophie Kowalevski", locale: "sv", timezone: "Europe/Stockholm", plan: "starter", mrrMinor: 1900, currency: "SEK", card: { brand: "visa", last4: "1850", expMonth: 12, expYear: 2027 }, signedUpDaysAgo: 30, lastActiveDaysAgo: 7 },
];

/**
 * A small, believable Rekindle for the console's screenshots and screen tests: the starter
 * campaigns plus one refused campaign, eight customers with subscriptions, cards and activity,
 * sequences entered by the real scans and matcher, first emails sent over SMTP, and support's
 * levers used once each (a pause, a suppression). The harness's clock stands at DEMO_NOW.
 */
export async function seedConsoleDemo(harness: Harness, clock: FixedClock, smtp: TestSmtp): Promise<void> {
  clock.set(DEMO_NOW);
  const templatesDir = harness.config.campaigns.templatesDir;
  await cp(join(ROOT, "templates"), templatesDir, { recursive: true });
  await writeCampaign(templatesDir, "spring-winback", BROKEN_CAMPAIGN, { "we-miss-you.mjml": BROKEN_EMAIL });
  await reloadCampaigns(harness.deps);

  const auth = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
  for (const person of PEOPLE) {
    // Their card and subscription were set up when they signed up, not today.
    clock.set(new Date(ago(person.signedUpDaysAgo)));
    const response = await fetch(`${harness.url}/api/customers/${person.id}`, {
      method: "PUT",
      headers: auth,
      body: JSON.stringify({
        email: person.email,
        name: person.name,
        locale: person.locale,
        timezone: person.timezone,
        signedUpAt: ago(person.signedUpDaysAgo),
        subscription: { id: `sub_${person.id}`, status: "active", plan: person.plan, mrrMinor: person.mrrMinor, currency: person.currency, currentPeriodEnd: new Date(DEMO_NOW.getTime() + 12 * DAY).toISOString() },
        paymentMethod: { id: `pm_${person.id}`, ...person.card },
      }),
    });
    if (!response.ok) throw new Error(`seeding ${person.id}: ${response.status} ${await response.text()}`);
    clock.set(DEMO_NOW);
    await post(harness, "/v1/track", { userId: person.id, event: "Logged In", timestamp: ago(person.lastActiveDaysAgo), properties: { method: "password" } });
  }
  // A failed payment starts dunning at once (an event trigger).
  await post(harness, "/v1/track", { userId: "user-1003", event: "payment_failed", timestamp: DEMO_NOW.toISOString(), properties: { amount: "€49.00", amountMinor: 4900, currency: "EUR", attemptCount: 1 } });
  // The scans find cards expiring this month and customers gone quiet.
  for (const campaign of ["card-expiring", "winback-inactive"]) await scan(harness, campaign);

  // Two customers whose cards expire this month arrive after the scan: the dry run finds them.
  for (const [id, email, name] of [["user-1009", "mary@wind-tunnel.example", "Mary Jackson"], ["user-1010", "dorothy@west-computing.example", "Dorothy Vaughan"]] as const) {
    clock.set(new Date(ago(200)));
    await fetch(`${harness.url}/api/customers/${id}`, {
      method: "PUT",
      headers: auth,
      body: JSON.stringify({ email, name, locale: "en-US", timezone: "America/New_York", subscription: { status: "active", plan: "pro", mrrMinor: 4900, currency: "USD" }, paymentMethod: { brand: "visa", last4: "2718", expMonth: 11, expYear: 2026 } }),
    });
    clock.set(DEMO_NOW);
  }

  await dispatchDue(harness.deps);
  const due = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status in ('scheduled', 'queued', 'sending') and due_at <= ${DEMO_NOW.toISOString()}::timestamptz`);
  await smtp.waitFor(present(due[0], "the count of emails due").n, 20_000);
  for (let i = 0; i < 100; i++) {
    const [left] = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status in ('queued', 'sending')`);
    if (present(left, "the count of emails in flight").n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  // Support's levers, used once each, an hour later.
  clock.set(new Date(DEMO_NOW.getTime() + 3_600_000));
  await fetch(`${harness.url}/api/customers/user-1004/pause`, { method: "POST", headers: auth, body: JSON.stringify({ reason: "Asked us to wait until they are back from parental leave", until: "2027-01-10T00:00:00Z" }) });
  // Grace adds a new card: card-expiring has done its job (its goal).
  await fetch(`${harness.url}/api/customers/user-1001`, { method: "PUT", headers: auth, body: JSON.stringify({ paymentMethod: { id: "pm_user-1001-new", brand: "visa", last4: "4000", expMonth: 8, expYear: 2030 } }) });
  await fetch(`${harness.url}/api/suppressions`, { method: "POST", headers: auth, body: JSON.stringify({ email: "katherine@langley.example", category: "winback", detail: "Asked by phone not to get win-back emails" }) });
  clock.set(new Date(DEMO_NOW.getTime() + 2 * 3_600_000));
}
