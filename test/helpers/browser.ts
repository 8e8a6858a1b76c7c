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

/**
 * What a phone user or a screen reader would trip over on the page: sideways scrolling, controls
 * without a label, buttons and links without a name, text contrast below 4.5:1 (WCAG AA).
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  // Runs in the page (a string, as these tests are type-checked without the DOM's types).
  return page.evaluate(`(() => {
    const found = [];
    if (document.documentElement.scrollWidth > window.innerWidth) found.push("the page is " + document.documentElement.scrollWidth + "px wide");
    for (const control of document.querySelectorAll("input, select, textarea")) {
      if (control.labels.length === 0 && !control.getAttribute("aria-label")) found.push("unlabelled " + control.outerHTML);
    }
    for (const named of document.querySelectorAll("button, a")) if (!named.textContent.trim() && !named.getAttribute("aria-label")) found.push("nameless " + named.outerHTML);
    // Text contrast (WCAG): at least 4.5:1 against the first opaque background behind it.
    const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
    const luminance = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    for (const element of document.querySelectorAll("body *")) {
      if (![...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || element.closest("[disabled], noscript") || element.getClientRects().length === 0) continue;
      let back = element;
      while (back && rgb(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
      const fg = luminance(rgb(getComputedStyle(element).color));
      const bg = luminance(back ? rgb(getComputedStyle(back).backgroundColor) : [255, 255, 255]);
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) found.push("contrast " + ratio.toFixed(2) + ":1 for “" + element.textContent.trim().slice(0, 40) + "”");
    }
    return found;
  })()`);
}
