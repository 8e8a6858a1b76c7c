import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium: the browser tests drive it with playwright-core (which downloads no browser of its own). */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
/** Shown in the test names when the browser tests cannot run, so the skip says why. */
export const SKIPPED = hasChromium ? "" : ` (skipped: no Chromium at ${CHROMIUM}; install Debian's chromium package)`;

/**
 * Headless Chromium, as root in a container: no sandbox, and none of the background traffic
 * (updates, sync, field trials) that a machine without internet would only see refused.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-features=Translate,MediaRouter,OptimizationHints"],
  });
}

/** A browser context at a laptop's width (or a phone's), in English and UTC so dates read the same everywhere. */
export function newContext(browser: Browser, viewport: "laptop" | "phone" = "laptop"): Promise<BrowserContext> {
  return browser.newContext({
    viewport: viewport === "laptop" ? { width: 1280, height: 860 } : { width: 390, height: 844 },
    deviceScaleFactor: viewport === "laptop" ? 1 : 2,
    isMobile: viewport === "phone",
    hasTouch: viewport === "phone",
    locale: "en-GB",
    timezoneId: "UTC",
  });
}

/** Signs in on the console's sign-in page with a key, as a person would. */
export async function signIn(page: Page, baseUrl: string, key: string, path = "/console/"): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** Creates an API key of a role through the API, as ops would. */
export async function createKey(baseUrl: string, opsKey: string, role: "support" | "marketer" | "ops" | "ingest", name: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${opsKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name, role }),
  });
  if (response.status !== 201) throw new Error(`could not create a ${role} key: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}
