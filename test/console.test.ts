import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { dispatchDue, sendJobId } from "../src/delivery/index.js";
import { startStudio } from "../src/studio/index.js";
import { FixedClock } from "../src/time/index.js";
import { accessibilityProblems, createKey, hasChromium, launchBrowser, newContext, signIn, SKIPPED } from "./helpers/browser.js";
import { seedCancelFlowDemo } from "./helpers/cancel-flow-demo.js";
import { API_KEY, type Harness, post, startHarness, TEST_EMAIL } from "./helpers/harness.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { present } from "./helpers/present.js";

const NUDGE = `id: nudge
name: Nudge
category: winback
trigger:
  type: event
  name: Nudge Me
reentry: always
steps:
  - id: hello
    type: email
    template: hello
  - id: a-day-later
    type: wait
    duration: P1D
  - id: reminder
    type: email
    template: reminder
`;
const SWEDISH = `---
subject: "Hej {{customer.email}}, en knuff från {{campaign.name}}"
---
<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hej {{customer.email}}, välkommen tillbaka.</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`;
const BROKEN = `id: broken
name: Broken
category: winback
trigger:
  type: event
  name: Break
steps:
  - id: oops
    type: email
    template: oops
`;
/** Line 8 names a variable the render context does not have. */
const BROKEN_EMAIL = TEST_EMAIL.replace("Hello {{customer.email}}", "Hello {{customer.fistName}}");

describe.skipIf(!hasChromium)(`the console in a browser${SKIPPED}`, () => {
  let harness: Harness;
  let smtp: TestSmtp;
  let browser: Browser;
  const keys = { support: "", marketer: "" };
  const clock = new FixedClock(new Date("2026-12-01T12:00:00Z"));
  const errors: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    // Scans and sends run when the test says (dispatchDue, a promoted job), not on the hour.
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "none", SCAN_INTERVAL: "P1D", DISPATCH_INTERVAL: "PT1H" } });
    await harness.setCampaign("nudge", NUDGE, { "hello.sv.mjml": SWEDISH });
    await harness.setCampaign("broken", BROKEN, { "oops.mjml": BROKEN_EMAIL });
    keys.support = await createKey(harness.url, API_KEY, "support", "sam");
    keys.marketer = await createKey(harness.url, API_KEY, "marketer", "maria");
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await smtp?.close();
  });

  /** A page that records every script error and failed request, so a test can say there were none. */
  async function openPage(viewport: "laptop" | "phone" = "laptop"): Promise<Page> {
    const page = await (await newContext(browser, viewport)).newPage();
    page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
    page.on("console", (message) => {
      // An email's web-font stylesheet (MJML links Google Fonts) is refused by the console's policy on purpose: nothing is fetched from outside.
      if (message.type() === "error" && !/^Loading the stylesheet 'https:\/\/fonts\.googleapis\.com\/.*Content Security Policy/.test(message.text())) errors.push(`${page.url()}: ${message.text()}`);
    });
    return page;
  }

  const messageRow = async (customer: string, step: string) => {
    const [row] = await queryRows(
      harness.deps.db,
      z.object({ id: col.int, status: z.string(), outcome: col.jsonObject.nullable(), due_at: z.string() }),
      sql`select m.id::int, m.status::text, m.outcome, m.due_at from messages m join customers c on c.id = m.customer_id where c.external_id = ${customer} and m.step_id = ${step}`,
    );
    return row;
  };
  const settled = async (customer: string, step: string, done: (row: NonNullable<Awaited<ReturnType<typeof messageRow>>>) => boolean) => {
    for (let i = 0; i < 400; i++) {
      const row = await messageRow(customer, step);
      if (row && done(row)) return row;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${customer}/${step} never settled: ${JSON.stringify(await messageRow(customer, step))}`);
  };

  it("a support agent finds a customer, reads why an email was sent, pauses them with a confirmed dialog, and the queued email is then held back by the worker", async () => {
    const auth = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
    await fetch(`${harness.url}/api/customers/ann`, { method: "PUT", headers: auth, body: JSON.stringify({ email: "ann@example.com", name: "Ann Example" }) });
    await post(harness, "/v1/track", { userId: "ann", event: "Nudge Me", properties: { plan: "pro" } });
    await dispatchDue(harness.deps);
    await smtp.waitFor(1);
    await settled("ann", "hello", (row) => row.status === "sent");
    // A day later, less half a minute: the reminder is handed to the send queue, due in 30 s.
    clock.set(new Date("2026-12-02T11:59:30Z"));
    await dispatchDue(harness.deps);
    const reminder = await settled("ann", "reminder", (row) => row.status === "queued");
    const job = await harness.deps.queues.queue("send").getJob(sendJobId(reminder.id));
    expect(job).toBeTruthy();

    const page = await openPage();
    await signIn(page, harness.url, keys.support);
    // Support starts on the customer search; the menu has no Ops for them.
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Customers");
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents()).toEqual(["Campaigns", "Customers", "Cancel flow"]);
    await page.getByLabel("Customer id or email").fill("ann@exa");
    await page.keyboard.press("Enter");
    await page.getByRole("link", { name: "ann", exact: true }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Ann Example");

    // Why the email was sent: the message, and the moment and facts that enrolled her.
    const sent = page.locator("li.entry.message", { hasText: "(nudge / hello)" });
    await expect.poll(() => sent.locator(".summary").textContent()).toBe("email “Nudge for ann@example.com” sent (nudge / hello)");
    // In words: no trigger key, no JSON, local dates with the ISO moment in the title.
    const why = await sent.locator(".why").innerText();
    expect(why).toContain("Why: entered nudge on 1 Dec 2026, 12:00 because of the event “Nudge Me” on 1 Dec 2026, 12:00.");
    expect(why).toMatch(/properties\s+plan: pro/);
    expect(await page.locator("li.entry", { hasText: "Nudge Me (Segment)" }).locator("time").getAttribute("title")).toBe("2026-12-01T12:00:00.000Z");
    expect(await page.locator("li.entry.entered").locator(".summary").textContent()).toBe("entered nudge because of the event “Nudge Me” on 1 Dec 2026, 12:00");
    const next = page.getByRole("region", { name: "What is next" });
    expect(await next.innerText()).toMatch(/2 Dec 2026, 12:00\s+nudge \/ reminder\s+queued/);

    // The dialog is keyboard-operable: Escape cancels and focus goes back to the button.
    const pauseButton = page.getByRole("button", { name: "Pause…" });
    await pauseButton.click();
    const dialog = page.getByRole("dialog", { name: "Pause ann's emails?" });
    await dialog.waitFor();
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe("until");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Pause…");
    expect(await queryRows(harness.deps.db, z.object({}), sql`select 1 from pauses`)).toEqual([]);

    // A reason is required; then the pause is confirmed.
    await page.keyboard.press("Enter");
    await dialog.getByLabel("Until (optional)").fill("2026-12-24");
    await dialog.getByRole("button", { name: "Pause emails" }).click();
    expect(await dialog.isVisible()).toBe(true);
    await dialog.getByLabel("Reason").fill("On holiday until Christmas");
    await dialog.getByRole("button", { name: "Pause emails" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByText("ann is paused.").waitFor();
    const now = page.getByRole("region", { name: "Now" });
    await expect.poll(() => now.innerText()).toMatch(/Paused by key:\d+:sam until 24 Dec 2026, 00:00: On holiday until Christmas/);
    expect(await page.getByRole("button", { name: "Resume" }).isEnabled()).toBe(true);

    // Its time comes: the worker takes the queued email, finds the pause, and holds it until the pause ends.
    await present(job, "job").promote();
    const held = await settled("ann", "reminder", (row) => row.status === "scheduled" && row.outcome?.type === "paused");
    expect(new Date(held.due_at).toISOString()).toBe("2026-12-24T00:00:00.000Z");
    expect(smtp.received).toHaveLength(1);

    await page.reload();
    await expect.poll(() => page.getByRole("region", { name: "What is next" }).innerText()).toMatch(/24 Dec 2026, 00:00\s+nudge \/ reminder\s+held by a pause/);
    // What people did, in words: the act, who, and what it set as field: value pairs with local dates (the ISO moment in the title).
    const doneByPeople = page.getByRole("region", { name: "Done by people" });
    expect(await doneByPeople.innerText()).toMatch(/2 Dec 2026, 11:59 Paused the customer's emails by key:\d+:sam\s+until: 24 Dec 2026, 00:00, reason: On holiday until Christmas/);
    expect(await doneByPeople.locator(".change time").getAttribute("title")).toBe("2026-12-24T00:00:00.000Z");
    expect(await doneByPeople.innerText()).not.toMatch(/[{}"]|customer\.pause|T00:00/);
    const audit = await queryRows(harness.deps.db, z.object({ actor: z.string(), action: z.string(), target_id: z.string() }), sql`select actor, action, target_id from audit_log where action like 'customer.%'`);
    expect(audit).toEqual([{ actor: expect.stringMatching(/^key:\d+:sam$/), action: "customer.pause", target_id: "ann" }]);

    // Signing out forgets the key: the next page asks for one again.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key").waitFor();
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    // The sign-in page says where a key comes from.
    const help = await page.getByRole("region", { name: "Where a key comes from" }).innerText();
    expect(help).toContain("rekindle keys create --role support --name you");
    expect(help).toContain("The keys listed in the server's API_KEYS setting are ops keys.");
    expect(help).toContain("In development, with API_KEYS unset, the development key is used: rekindle studio prints it when it starts.");
    await page.goto(`${harness.url}/console/customers/ann`);
    await page.getByLabel("API key").waitFor();
    expect(errors).toEqual([]);
  });

  it("a marketer opens the campaigns, sees an invalid template's error with its file and line, previews an email in two languages, and sends it as a test", async () => {
    const page = await openPage();
    await signIn(page, harness.url, keys.marketer);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Campaigns");
    const campaigns = page.getByRole("region", { name: "Campaigns, with their last 30 days" });
    await expect.poll(() => campaigns.getByRole("row", { name: /broken/ }).innerText()).toMatch(/Invalid\s+1 problem\(s\): unknown variable "customer\.fistName" \(did you mean "customer\.firstName"\?\)/);

    await campaigns.getByRole("link", { name: "broken" }).click();
    const problem = page.locator(".problems li");
    await expect.poll(() => problem.innerText()).toMatch(/templates\/broken\/oops\.mjml:8:26 unknown variable "customer\.fistName" \(did you mean "customer\.firstName"\?\)/);
    expect(await page.getByRole("heading", { level: 2 }).first().textContent()).toBe("This campaign is invalid and does not run");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Campaigns" }).click();
    await page.getByRole("link", { name: "Nudge" }).click();
    await page.getByRole("heading", { name: "How it runs" }).waitFor();
    expect(await page.locator(".flow-card.trigger").innerText()).toContain("The event “Nudge Me”");
    expect(await page.locator(".flow-card.step").allInnerTexts()).toEqual([
      expect.stringContaining("Send the email “hello”"),
      expect.stringContaining("Wait 1 day"),
      expect.stringContaining("Send the email “reminder”"),
    ]);

    await page.getByRole("navigation", { name: "Campaign" }).getByRole("link", { name: "Studio" }).click();
    const frame = page.frameLocator("iframe.email-frame");
    await expect.poll(() => page.locator(".subject").textContent()).toBe("Nudge for grace@example.com");
    await frame.getByText("Hello grace@example.com").waitFor();
    expect(await page.locator(".text-part").textContent()).toContain("Hello grace@example.com");

    await page.getByLabel("Language").selectOption({ label: "sv (hello.sv.mjml)" });
    await expect.poll(() => page.locator(".subject").textContent()).toBe("Hej grace@example.com, en knuff från Nudge");
    await frame.getByText("Hej grace@example.com, välkommen tillbaka.").waitFor();
    expect(page.url()).toMatch(/\/console\/campaigns\/nudge\/studio\?email=hello&locale=sv$/);

    await page.getByLabel("Phone (375 px)").check();
    await expect.poll(async () => (await page.locator("iframe.email-frame").boundingBox())?.width).toBe(375);
    await page.getByLabel("Desktop (640 px)").check();
    await expect.poll(async () => (await page.locator("iframe.email-frame").boundingBox())?.width).toBe(640);

    // A real customer's data: in the language chosen, then in their own (none set: the default variant).
    await page.getByLabel("A customer").check();
    await page.getByLabel("Customer id").fill("ann");
    await page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => page.locator(".subject").textContent()).toBe("Hej ann@example.com, en knuff från Nudge");
    await page.getByLabel("Language").selectOption({ label: "The customer's own language" });
    await expect.poll(() => page.locator(".subject").textContent()).toBe("Nudge for ann@example.com");
    await frame.getByText("Hello ann@example.com").waitFor();

    // A test send of what is shown, to an address, marked [Test].
    const before = smtp.received.length;
    await page.getByLabel("Send this email to").fill("maria@example.com");
    await page.getByRole("button", { name: "Send test" }).click();
    await page.getByText("Sent “[Test] Nudge for ann@example.com” to maria@example.com.").waitFor();
    const [test] = await smtp.waitFor(before + 1).then((all) => all.slice(before));
    expect(test?.subject).toBe("[Test] Nudge for ann@example.com");
    expect(test?.to).toMatchObject({ text: "maria@example.com" });

    // A marketer's key does not open support's pages, and the server refuses it too.
    await page.goto(`${harness.url}/console/customers/ann`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Not for your role");
    expect(await page.locator(".page-body").innerText()).toBe("A marketer key cannot open this page. Ask ops for a key with the role it needs.");
    expect((await fetch(`${harness.url}/api/customers/ann/timeline`, { headers: { authorization: `Bearer ${keys.marketer}` } })).status).toBe(403);
    expect(errors).toEqual([]);
  });

  it("a marketer reads the cancel flow: outcomes, reasons as bars, each reason's and offer's save rate against the holdout with its interval and verdict, MRR, churn by reason", async () => {
    await seedCancelFlowDemo(harness.deps.db);
    const page = await openPage();
    await signIn(page, harness.url, keys.marketer);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Cancel flow" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Cancel flow");
    const outcomes = page.getByRole("list", { name: "Sessions and outcomes" });
    await expect.poll(() => outcomes.innerText().catch(() => "")).toMatch(/307\s+sessions\s+295\s+gave a reason\s+56\s+accepted an offer\s+35\s+kept their subscription\s+185\s+cancelled\s+26\s+left without deciding\s+5\s+still open/);

    // The chart is a table: each bar's figures are text beside it. 122 of the 295 sessions that gave a reason: 41.4%.
    const reasons = page.getByRole("region", { name: "Reasons, as a share of the 295 sessions that gave one" });
    expect(await reasons.getByRole("row", { name: /too_expensive/ }).innerText()).toMatch(/^too_expensive\s+41\.4%\s+122$/);
    expect(await reasons.locator(".bar-fill").first().getAttribute("style")).toBe("width: 41.4%");

    // 36 of 80 treated vs 8 of 40 held out: +25.0 points, SE = √(.45·.55/80 + .2·.8/40) = 0.084224, so ±16.5.
    const saves = page.getByRole("region", { name: "Save rate by reason, treated against held out" });
    expect(await saves.getByRole("row", { name: /too_expensive/ }).innerText()).toMatch(/^too_expensive\s+122\s+44\s+66\s+10\s+45\.0% of 80\s+20\.0% of 40\s+\+25\.0 pts\s+\+8\.5 to \+41\.5\s+Works$/);
    expect(await saves.getByRole("row", { name: /missing_feature/ }).innerText()).toMatch(/22\.2% of 36\s+16\.7% of 30\s+\+5\.6 pts\s+−1\d\.\d to \+2\d\.\d\s+Not clear yet$/);
    expect(await saves.getByRole("row", { name: /switching/ }).innerText()).toMatch(/14\.3% of 14\s+0\.0% of 4\s+—\s+Too early to say$/);
    expect(await saves.getByRole("row", { name: /other/ }).innerText()).toMatch(/16\.7% of 12\s+—\s+—\s+No offer for this reason$/);
    await page.getByText("Each reason's verdict in words").click();
    await page.getByText("Showing an offer works: 45.0% of the customers shown one stayed vs 20.0% of those held out (+25.0 points, 95% CI +8.5 points to +41.5 points).").waitFor();

    const offers = page.getByRole("region", { name: "Save rate by offer, against the held-out sessions matched to the same offer" });
    expect(await offers.getByRole("row", { name: /pause-2m/ }).innerText()).toMatch(/^pause-2m\s+pause\s+not_using\s+45\s+20\s+51\.1% of 45\s+21\.9% of 32\s+\+29\.2 pts\s+\+8\.8 to \+49\.7\s+Works$/);

    // MRR and churn as the API counts them (the report's sums are checked to the unit in cancel-flow-report.test.ts).
    const report = (await (await fetch(`${harness.url}/api/reports/cancel-flow`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as {
      mrr: { currency: string; savedMinor: number; savedSessions: number; lostMinor: number; lostSessions: number }[];
      churn: { month: string; cancelled: number; byReason: { reason: string | null; customers: number }[] }[];
    };
    const eur = present(report.mrr.find((m) => m.currency === "EUR"), "report.mrr.find((m) => m.currency === 'EUR')");
    const euros = (minor: number) => new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" }).format(minor / 100);
    expect(await page.getByRole("region", { name: "MRR saved and lost through the flow" }).getByRole("row", { name: /EUR/ }).innerText()).toBe(
      `EUR\t${euros(eur.savedMinor)} (${eur.savedSessions})\t${euros(eur.lostMinor)} (${eur.lostSessions})`,
    );
    const october = present(report.churn.find((m) => m.month === "2026-10"), "report.churn.find((m) => m.month === '2026-10')");
    expect(october.cancelled).toBeGreaterThan(0);
    expect(await page.getByRole("region", { name: "Cancelled through the flow each month, beside all churn" }).getByRole("row", { name: /2026-10/ }).innerText()).toMatch(
      new RegExp(`\\s${october.cancelled}\\s+${october.byReason.map((r) => `${r.reason ?? "no reason"} ${r.customers}`).join(", ")}$`),
    );

    // A date that is not one is refused with where and why.
    await page.goto(`${harness.url}/console/cancel-flow?from=someday`);
    await expect.poll(() => page.getByRole("alert").innerText().catch(() => "")).toMatch(/query\.from/);
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    errors.length = 0;
  });

  it("a marketer asks why a customer would not enter: each test with a marker in words and the customer's values, the verdict and the day they would enter; at a laptop's and a phone's width", async () => {
    const before = clock.now();
    clock.set(new Date("2026-11-28T12:00:00Z"));
    try {
      await harness.setCampaign(
        "card-soon",
        "id: card-soon\nname: Card expiring soon\ncategory: dunning\ntrigger:\n  type: card_expiring\n  within: P30D\naudience:\n  attribute: subscription.status\n  in: [active, trialing, past_due]\nsteps:\n  - id: notice\n    type: email\n    template: notice\n",
      );
      const auth = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
      for (const [id, month, year] of [["lena", 1, 2027], ["mia", 11, 2026]] as const) {
        const response = await fetch(`${harness.url}/api/customers/${id}`, {
          method: "PUT",
          headers: auth,
          body: JSON.stringify({ email: `${id}@example.com`, subscription: { status: "active", plan: "pro", mrrMinor: 4900, currency: "EUR" }, paymentMethod: { brand: "visa", last4: "4242", expMonth: month, expYear: year } }),
        });
        expect(response.ok).toBe(true);
      }

      const page = await openPage();
      await signIn(page, harness.url, keys.marketer, "/console/campaigns/card-soon/audience");
      const box = page.getByRole("region", { name: "Why not?" });
      await box.getByLabel("Customer id").fill("lena");
      await box.getByRole("button", { name: "Explain" }).click();
      await box.getByText("Would not enter: Trigger: card expiring within 30 days.").waitFor();
      expect(await box.getByText(/^Next: /).first().textContent()).toBe("Next: enters on 2027-01-01, when the card is within 30 days of expiring.");
      const entering = box.getByRole("list", { name: "Entering" });
      expect((await entering.locator(":scope > li").allInnerTexts()).map((text) => text.replace(/\s+/g, " ").trim())).toEqual([
        expect.stringMatching(/^✓ passes Campaign card-soon is valid and enabled/),
        "✗ fails Trigger: card expiring within 30 days visa ending 4242 expires 2027-01-31; the trigger looks for a default card expiring between 2026-11-28 and 2026-12-28 (within 30 days): not yet Next: enters on 2027-01-01, when the card is within 30 days of expiring.",
        "✓ passes Re-entry never entered this campaign; re-entry is never (once per customer)",
        "✓ passes Audience every test passes: subscription.status should be one of active, trialing, past_due (it is active)",
        "✓ passes Support block no block on new sequences",
      ]);
      const emails = box.getByRole("list", { name: "Once entered, their emails" });
      expect(await emails.innerText()).toContain("Email address\nemails go to lena@example.com");
      expect(page.url()).toMatch(/\/console\/campaigns\/card-soon\/audience\?customer=lena$/);

      // A customer who would enter, and one there is no such customer.
      await box.getByLabel("Customer id").fill("mia");
      await box.getByRole("button", { name: "Explain" }).click();
      await box.getByText("Would enter now.").waitFor();
      await box.getByLabel("Customer id").fill("nobody");
      await box.getByRole("button", { name: "Explain" }).click();
      await expect.poll(() => box.getByRole("alert").innerText().catch(() => "")).toMatch(/^No customer "nobody"\.\s+query\.customer: unknown customer$/);
      expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
      errors.length = 0;

      // At a phone's width, opened from a link that names the customer: it asks at once.
      const phone = await openPage("phone");
      await signIn(phone, harness.url, keys.marketer, "/console/campaigns/card-soon/audience?customer=lena");
      const phoneBox = phone.getByRole("region", { name: "Why not?" });
      await phoneBox.getByText("Would not enter: Trigger: card expiring within 30 days.").waitFor();
      await phone.waitForLoadState("networkidle");
      expect(await phoneBox.getByLabel("Customer id").inputValue()).toBe("lena");
      expect(await accessibilityProblems(phone)).toEqual([]);
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      clock.set(before);
    }
  });

  it("every screen works at a phone's width: no sideways scrolling of the page, every control labelled, text contrast at least 4.5:1", async () => {
    await fetch(`${harness.url}/api/customers/ann`, { method: "PUT", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ email: "ann@example.com", name: "Ann Example" }) });
    const screens: [string, string, string][] = [
      ["marketer", "/console/campaigns", "Campaigns"],
      ["marketer", "/console/campaigns/nudge", "How it runs"],
      ["marketer", "/console/campaigns/nudge/studio", "Subject"],
      ["marketer", "/console/campaigns/nudge/audience", "Run the dry run"],
      ["support", "/console/customers?q=ann", "Customers"],
      ["support", "/console/customers/ann", "What happened, newest first"],
      ["ops", "/console/ops", "Sending"],
      ["marketer", "/console/cancel-flow", "Reasons given"],
    ];
    const pages: Record<string, Page> = {};
    for (const [role, path, landmark] of screens) {
      if (!pages[role]) {
        pages[role] = await openPage("phone");
        await signIn(pages[role], harness.url, role === "ops" ? API_KEY : keys[role as "support" | "marketer"]);
      }
      const page = pages[role];
      await page.goto(`${harness.url}${path}`);
      await page.getByText(landmark, { exact: true }).first().waitFor();
      await page.waitForLoadState("networkidle");
      const problems = await accessibilityProblems(page);
      expect(problems, path).toEqual([]);
    }
    expect(errors).toEqual([]);
  });

  it("under rekindle studio, the preview shows each save of a template, and a broken save shows its error with the line", async () => {
    const said: string[] = [];
    const studio = await startStudio(harness.deps, (line) => said.push(line));
    try {
      const page = await openPage();
      await signIn(page, studio.url, keys.marketer, "/console/campaigns/nudge/studio");
      await page.getByText("Watching the templates folder: each save shows here.").waitFor();
      await expect.poll(() => page.locator(".subject").textContent()).toBe("Nudge for grace@example.com");

      const file = join(harness.config.campaigns.templatesDir, "nudge", "hello.mjml");
      await writeFile(file, TEST_EMAIL.replace("{{campaign.name}} for", "Fresh from the editor for"));
      await expect.poll(() => page.locator(".subject").textContent(), { timeout: 10_000 }).toBe("Fresh from the editor for grace@example.com");
      await page.frameLocator("iframe.email-frame").getByText("Hello grace@example.com").waitFor();

      await writeFile(file, TEST_EMAIL.replace("Hello {{customer.email}}", "Hello {{customer.fistName}}"));
      await expect.poll(() => page.locator(".problems li").first().innerText().catch(() => ""), { timeout: 10_000 }).toMatch(/nudge\/hello\.mjml:8:26 unknown variable "customer\.fistName" \(did you mean "customer\.firstName"\?\)/);

      await writeFile(file, TEST_EMAIL);
      await expect.poll(() => page.locator(".subject").textContent().catch(() => ""), { timeout: 10_000 }).toBe("Nudge for grace@example.com");
      expect(said.some((line) => /changed: .*hello\.mjml; reloaded/.test(line))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await studio.stop();
      await harness.setCampaign("nudge", NUDGE, { "hello.sv.mjml": SWEDISH });
    }
  });
});
