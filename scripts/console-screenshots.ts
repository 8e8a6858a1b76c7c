// `npm run console:screenshots`: a screenshot of each console screen into docs/console/, taken in
// Debian's Chromium against a Rekindle of its own (a database cloned from the test template, a
// local SMTP server, the demo data of test/helpers/console-demo.ts). Needs the same PostgreSQL and
// Redis as `npm test`; takes about half a minute.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { FixedClock } from "../src/time/index.js";
import setup from "../test/global-setup.js";
import { createKey, hasChromium, launchBrowser, newContext, signIn, CHROMIUM } from "../test/helpers/browser.js";
import { seedCancelFlowDemo } from "../test/helpers/cancel-flow-demo.js";
import { DEMO_NOW, seedConsoleDemo } from "../test/helpers/console-demo.js";
import { API_KEY, startHarness } from "../test/helpers/harness.js";
import { startSmtp } from "../test/helpers/smtp.js";

const OUT = new URL("../docs/console/", import.meta.url).pathname;

if (!hasChromium) {
  process.stderr.write(`console:screenshots needs Chromium at ${CHROMIUM} (apt-get install chromium)\n`);
  process.exit(1);
}

await setup();
await mkdir(OUT, { recursive: true });
const smtp = await startSmtp();
const clock = new FixedClock(DEMO_NOW);
const harness = await startHarness({ clock, worker: true, env: {
    SMTP_URL: smtp.url,
    FREQUENCY_CAP: "none",
    // Only the demo's own scans run: the pictures show the same campaigns' entrants every time.
    SCAN_INTERVAL: "P1D",
    MAIL_FROM: "Acme <hello@acme.example>",
    PUBLIC_URL: "https://rekindle.acme.example",
    APP_URL: "https://app.acme.example",
    BILLING_URL: "https://app.acme.example/billing",
  },
});
let browser: Browser | undefined;
const written: string[] = [];

/** Waits until the page has settled (no loading notes, no busy regions), then writes the PNG. */
async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.locator(".loading, [aria-busy=true]").first().waitFor({ state: "detached", timeout: 10_000 }).catch(() => {});
  await page.evaluate("document.fonts.ready");
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? true, animations: "disabled" });
  written.push(path);
}

try {
  await seedConsoleDemo(harness, clock, smtp);
  // Customers of their own (cf-…), with no events: the other screens look the same with or without them.
  await seedCancelFlowDemo(harness.deps.db);
  const keys = {
    marketer: await createKey(harness.url, API_KEY, "marketer", "maria"),
    support: await createKey(harness.url, API_KEY, "support", "sam"),
    ops: await createKey(harness.url, API_KEY, "ops", "olu"),
  };
  browser = await launchBrowser();

  // Signing in.
  const anonymous = await (await newContext(browser)).newPage();
  await anonymous.goto(`${harness.url}/console/`);
  await anonymous.getByLabel("API key").waitFor();
  await shot(anonymous, "sign-in", { fullPage: false });

  // The marketer's screens.
  const marketer = await (await newContext(browser)).newPage();
  await signIn(marketer, harness.url, keys.marketer);
  await marketer.getByRole("link", { name: "Card expiring soon" }).waitFor();
  await marketer.getByText("%").first().waitFor();
  await shot(marketer, "campaigns");
  await marketer.goto(`${harness.url}/console/campaigns/card-expiring`);
  await marketer.getByRole("heading", { name: "How it runs" }).waitFor();
  await shot(marketer, "campaign-flow");
  await marketer.goto(`${harness.url}/console/campaigns/spring-winback`);
  await marketer.getByText("we-miss-you.mjml:8").waitFor();
  await shot(marketer, "campaign-invalid");
  await marketer.goto(`${harness.url}/console/campaigns/card-expiring/studio`);
  await marketer.getByText("Showing first-notice").waitFor();
  await shot(marketer, "studio-desktop");
  await marketer.goto(`${harness.url}/console/campaigns/card-expiring/studio?locale=sv&width=mobile`);
  await marketer.getByText("Showing first-notice in the sv variant").waitFor();
  await shot(marketer, "studio-mobile");
  await marketer.goto(`${harness.url}/console/campaigns/card-expiring/audience`);
  await marketer.getByText("would enter").waitFor();
  await shot(marketer, "audience");
  // Why Alan (card expiring in September, paused by support) does not get the card notice.
  await marketer.goto(`${harness.url}/console/campaigns/card-expiring/audience?customer=user-1004`);
  await marketer.getByRole("region", { name: "Why not?" }).getByText(/^Would (not )?enter/).waitFor();
  await shot(marketer, "why-not");
  await marketer.goto(`${harness.url}/console/cancel-flow`);
  await marketer.getByRole("heading", { name: "Reasons given" }).waitFor();
  await shot(marketer, "cancel-flow");

  // Support's screens.
  const support = await (await newContext(browser)).newPage();
  await signIn(support, harness.url, keys.support);
  await support.getByLabel("Customer id or email").fill("user-100");
  await support.getByRole("button", { name: "Search" }).click();
  await support.getByRole("link", { name: "user-1002" }).waitFor();
  await shot(support, "customers-search");
  await support.getByRole("link", { name: "user-1002" }).click();
  await support.getByRole("heading", { name: "What happened, newest first" }).waitFor();
  await shot(support, "customer-timeline");
  await support.goto(`${harness.url}/console/customers/user-1004`);
  await support.getByRole("heading", { name: "What happened, newest first" }).waitFor();
  await shot(support, "customer-paused");
  await support.goto(`${harness.url}/console/customers/user-1001`);
  await support.getByRole("button", { name: "Pause…" }).click();
  await support.getByLabel("Until (optional)").fill("2026-12-27");
  await support.getByLabel("Reason").fill("Travelling until after Christmas; asked for no email");
  await shot(support, "pause-dialog", { fullPage: false });

  // Ops.
  const ops = await (await newContext(browser)).newPage();
  await signIn(ops, harness.url, keys.ops, "/console/ops");
  await ops.getByRole("heading", { name: "Sending" }).waitFor();
  await shot(ops, "ops");

  // Phone width.
  const phone = await (await newContext(browser, "phone")).newPage();
  await signIn(phone, harness.url, keys.support, "/console/customers/user-1002");
  await phone.getByRole("heading", { name: "What happened, newest first" }).waitFor();
  await shot(phone, "phone-customer-timeline");
  const phoneMarketer = await (await newContext(browser, "phone")).newPage();
  await signIn(phoneMarketer, harness.url, keys.marketer, "/console/campaigns/card-expiring/studio?width=mobile");
  await phoneMarketer.getByText("Showing first-notice").waitFor();
  await shot(phoneMarketer, "phone-studio");

  process.stdout.write(`wrote ${written.length} screenshot(s):\n${written.map((p) => `  ${p}`).join("\n")}\n`);
} finally {
  await browser?.close();
  await harness.stop();
  await smtp.close();
}
