import { mkdir } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../src/time/index.js";
import { accessibilityProblems, hasChromium, launchBrowser, newContext, SKIPPED } from "./helpers/browser.js";
import { installStarterFlow, putCustomer, startAppReceiver, startSession } from "./helpers/cancel-flow.js";
import { type Harness, runTask, startHarness } from "./helpers/harness.js";

const SECRET = "app-signing-secret-0123456789abcdef-xyz";
const START = new Date("2026-11-28T12:00:00Z");
/** `SCREENSHOTS=1 npx vitest run test/cancel-flow-page.test.ts` (or `npm run cancel-flow:screenshots`) refreshes docs/cancel-flow/. */
const SHOTS = process.env.SCREENSHOTS === "1" ? new URL("../docs/cancel-flow/", import.meta.url).pathname : undefined;

/**
 * The hosted cancel flow as a customer on a phone goes through it, in Debian's Chromium: each
 * outcome, pressed with taps and the keyboard, checked for what a phone user or a screen reader
 * would trip over, and the decision the app receives.
 */
describe.skipIf(!hasChromium)(`the cancel flow's pages on a phone${SKIPPED}`, () => {
  let harness: Harness;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startAppReceiver>>;
  const clock = new FixedClock(START);

  beforeAll(async () => {
    app = await startAppReceiver(SECRET);
    harness = await startHarness({ clock, env: { CANCEL_WEBHOOK_URL: app.url, APP_SIGNING_SECRET: SECRET, COMPANY_NAME: "Acme", CANCEL_SESSION_TTL: "PT30M" } });
    await installStarterFlow(harness, (text) => text.replace("holdout: 0.1", "holdout: 0"));
    await putCustomer(harness, "ann", { mrrMinor: 4900 });
    await putCustomer(harness, "bo", { mrrMinor: 1900, plan: "Starter", startedAt: "2026-10-01T00:00:00Z", locale: "sv" });
    browser = await launchBrowser();
    if (SHOTS) await mkdir(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await app?.close();
  });

  const open = async (customerId: string): Promise<{ page: Page; id: string }> => {
    const started = await startSession(harness, { customerId, returnUrl: "https://app.example.com/account" });
    expect(started.status).toBe(201);
    const page = await (await newContext(browser, "phone")).newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(started.body.url.replace(harness.config.http.publicUrl, harness.url));
    return { page, id: started.body.id };
  };
  const check = async (page: Page, shot?: string) => {
    expect(await accessibilityProblems(page)).toEqual([]);
    if (SHOTS && shot) await page.screenshot({ path: `${SHOTS}${shot}.png`, fullPage: true });
  };
  const decisionFor = (id: string) => app.deliveries.filter((d) => d.body.id === id);

  it("a customer says it is too expensive, takes the discount, and the app is told once", async () => {
    const { page, id } = await open("ann");
    await page.getByRole("heading", { name: "We're sorry to see you go" }).waitFor();
    await check(page, "survey");
    // Continue without a reason: the survey says what is missing, next to the question.
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("alert").filter({ hasText: "Choose a reason to continue." }).waitFor();
    await page.getByRole("radio", { name: "It's too expensive" }).check();
    await page.getByLabel("Anything else you would like us to know? (optional)").fill("Our budget was cut");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "30% off for 3 months" }).waitFor();
    await check(page, "offer");
    await page.getByRole("button", { name: "Take 30% off" }).dblclick();
    await page.getByRole("heading", { name: "Thank you for staying" }).waitFor();
    expect(await page.getByText("Your next 3 months are 30% off.").isVisible()).toBe(true);
    await check(page, "accepted");
    expect(decisionFor(id)).toHaveLength(1);
    expect(decisionFor(id)[0]?.body).toMatchObject({ outcome: "accepted", reason: "too_expensive", comment: "Our budget was cut", decision: { action: "discount" } });
    // Back or reload: the finished session only shows how it ended.
    await page.goBack();
    await page.reload();
    await page.getByRole("heading", { name: "Thank you for staying" }).waitFor();
    expect(decisionFor(id)).toHaveLength(1);
  });

  it("a customer on the keyboard, in Swedish, declines the pause and cancels at the period's end", async () => {
    const { page, id } = await open("bo");
    await page.getByRole("heading", { name: "Tråkigt att du vill lämna oss" }).waitFor();
    // Keyboard only: into the reasons, arrow to the second, tab to Continue.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    await page.keyboard.press("ArrowDown");
    expect(await page.getByRole("radio", { name: "Jag använder det för lite" }).isChecked()).toBe(true);
    await page.getByRole("button", { name: "Fortsätt" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Ta en paus i stället" }).waitFor();
    await page.getByRole("button", { name: "Nej tack, säg upp min prenumeration" }).click();
    await page.getByRole("heading", { name: "Din prenumeration är uppsagd" }).waitFor();
    expect(await page.getByText("Den gäller till och med 20 december 2026.").isVisible()).toBe(true);
    await check(page, "cancelled-sv");
    expect(decisionFor(id)[0]?.body).toMatchObject({ outcome: "cancelled", reason: "not_using_enough", decision: { action: "cancel", details: { at: "period_end" } } });
  });

  it("a customer who changes their mind keeps the subscription, and the app is told nothing", async () => {
    const { page, id } = await open("ann");
    await page.getByRole("button", { name: "Keep my subscription" }).click();
    await page.getByRole("heading", { name: "Glad you're staying" }).waitFor();
    await check(page, "kept");
    expect(await page.getByRole("link", { name: "Back to Acme" }).getAttribute("href")).toBe("https://app.example.com/account");
    expect(decisionFor(id)).toHaveLength(0);
  });

  it("a customer who comes back after the link expired is told to start again, and the session counts as abandoned", async () => {
    const { page, id } = await open("ann");
    await page.getByRole("radio", { name: "Something else" }).check();
    clock.advance(31 * 60_000);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "This link has expired" }).waitFor();
    await check(page, "expired");
    await runTask(harness, "cancel-flow");
    const session = await (await fetch(`${harness.url}/api/cancel-sessions/${id}`, { headers: { authorization: `Bearer ${harness.config.apiKeys[0]}` } })).json();
    expect(session).toMatchObject({ status: "abandoned", reason: null });
    expect(decisionFor(id)).toHaveLength(0);
  });
});
