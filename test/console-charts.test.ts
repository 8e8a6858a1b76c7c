import { spawn } from "node:child_process";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { FixedClock } from "../src/time/index.js";
import { accessibilityProblems, createKey, hasChromium, launchBrowser, newContext, signIn, SKIPPED } from "./helpers/browser.js";
import { API_KEY, type ErrorBody, type Harness, startHarness } from "./helpers/harness.js";
import { present } from "./helpers/present.js";

const ROOT = new URL("..", import.meta.url).pathname;
const NUDGE = `id: nudge
name: Nudge
category: winback
trigger:
  type: event
  name: Nudge Me
steps:
  - id: hello
    type: email
    template: hello
`;

interface Daily {
  campaign: string;
  timeZone: string;
  days: { day: string; from: string; emailsSent: number; entered: number; goal: { entered: number; converted: number; rate: number | null } }[];
}
interface Hourly {
  hours: { from: string; sent: number; failed: number; uncertain: number }[];
}

/**
 * The campaign's days and the ops screen's hours, on rows written here so every figure is known:
 * now is 1 Dec 2026 12:30 UTC, the 30 days run from 2 Nov to 1 Dec, the 24 hours from 30 Nov 13:00.
 */
describe("figures over time, for the console's charts", () => {
  let harness: Harness;
  const clock = new FixedClock(new Date("2026-12-01T12:30:00Z"));
  const get = async <T = ErrorBody>(path: string, key = API_KEY) => {
    const response = await fetch(`${harness.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: (await response.json()) as T };
  };

  /** `rekindle status`, run as ops would, against this harness's database and Redis. */
  const status = async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "status"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        TZ: "UTC",
        DATABASE_URL: present(harness.config.database.url, "harness.config.database.url"),
        REDIS_URL: harness.config.redis.url ?? "redis://127.0.0.1:6379",
        REDIS_PREFIX: harness.config.redis.prefix,
        TEMPLATES_DIR: join(harness.config.dataDir, "templates"),
        DATA_DIR: harness.config.dataDir,
      },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, output).toBe(0);
    return output;
  };

  beforeAll(async () => {
    // No worker: the figures are the rows below, and the status says nobody sends.
    harness = await startHarness({ clock });
    await harness.setCampaign("nudge", NUDGE);
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it("rekindle status says when no worker runs and when nothing was sent, in words", async () => {
    const output = await status();
    expect(output).toContain("sending: on, but no worker is running (no worker has run yet): start one with `rekindle worker` or `rekindle start`");
    expect(output).toContain("last hour: no sends in the last hour, 0 failed, 0 uncertain; 0 events received");
    expect(output).not.toMatch(/avg -s|\d{4}-\d{2}-\d{2}T\d{2}:/);
  }, 60_000);

  it("the status tells a worker's tasks running on time from ones nobody runs", async () => {
    const workers = async () => (await get<{ workers: { running: boolean; lastSeenAt: string | null } }>("/api/status")).body.workers;
    expect(await workers()).toEqual({ running: false, lastSeenAt: null });
    // A worker that died ten minutes ago: its task, due every minute, is nine minutes late.
    await harness.deps.db.execute(sql`insert into scheduled_tasks (name, next_run_at, last_started_at, last_finished_at)
                                      values ('dispatch', now() - interval '9 minutes', now() - interval '10 minutes', now() - interval '10 minutes')`);
    const dead = await workers();
    expect(dead.running).toBe(false);
    expect(Date.now() - new Date(present(dead.lastSeenAt, "dead.lastSeenAt")).getTime()).toBeGreaterThan(9 * 60_000);
    expect(await status()).toMatch(/sending: on, but no worker is running \(a worker last ran a task at \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}\)/);
    // Its task runs on time again: a worker is alive.
    await harness.deps.db.execute(sql`update scheduled_tasks set next_run_at = now() + interval '1 minute', last_started_at = now()`);
    expect((await workers()).running).toBe(true);
    expect(await status()).toContain("sending: on, workers running\n");
    await harness.deps.db.execute(sql`delete from scheduled_tasks`);
  }, 60_000);

  describe("with sends, failures and entrants over the last month", () => {
    beforeAll(async () => {
      const db = harness.deps.db;
      const [version] = await queryRows(db, z.object({ id: col.int }), sql`select current_version_id::int as id from campaigns where id = 'nudge'`);
      /** An entrant: a customer of their own, entered at `entered`, reaching the goal at `goal`. */
      const enter = async (name: string, entered: string, options: { goal?: string; holdout?: boolean } = {}) => {
        const [customer] = await queryRows(db, z.object({ id: col.int }), sql`insert into customers (external_id) values (${name}) returning id::int`);
        const [enrollment] = await queryRows(
          db,
          z.object({ id: col.int }),
          sql`insert into enrollments (campaign_id, campaign_version_id, customer_id, status, trigger_key, holdout, entered_at, goal_reached_at)
              values ('nudge', ${present(version, "version").id}, ${present(customer, "customer").id}, 'completed', ${`event:${name}`}, ${options.holdout ?? false}, ${entered}::timestamptz, ${options.goal ?? null}::timestamptz)
              returning id::int`,
        );
        return { customer: present(customer, "customer").id, enrollment: present(enrollment, "enrollment").id };
      };
      const message = async (entrant: { customer: number; enrollment: number }, step: string, status: "sent" | "failed", at: string, kind = "email") => {
        await db.execute(sql`insert into messages (enrollment_id, step_id, kind, campaign_version_id, customer_id, status, due_at, sent_at, updated_at)
                             values (${entrant.enrollment}, ${step}, ${kind}, ${present(version, "version").id}, ${entrant.customer}, ${status}, ${at}::timestamptz,
                                     ${status === "sent" ? at : null}::timestamptz, ${at}::timestamptz)`);
      };
      const e1 = await enter("e1", "2026-11-02T10:00:00Z", { goal: "2026-11-03T10:00:00Z" });
      const e2 = await enter("e2", "2026-11-29T09:00:00Z", { goal: "2026-11-30T09:00:00Z" });
      const e3 = await enter("e3", "2026-11-29T09:00:00Z", { goal: "2026-11-30T10:00:00Z" });
      const e4 = await enter("e4", "2026-11-29T09:00:00Z");
      await enter("e5", "2026-11-29T15:00:00Z", { holdout: true, goal: "2026-11-30T10:00:00Z" });
      const e6 = await enter("e6", "2026-11-30T08:00:00Z");
      const e7 = await enter("e7", "2026-11-30T08:00:00Z");
      // Before the 30 days: counted nowhere.
      const e8 = await enter("e8", "2026-10-20T08:00:00Z", { goal: "2026-10-21T08:00:00Z" });
      await message(e8, "hello", "sent", "2026-10-20T08:05:00Z");
      await message(e1, "hello", "sent", "2026-11-02T10:05:00Z");
      for (const e of [e2, e3, e4]) await message(e, "hello", "sent", "2026-11-29T09:05:00Z");
      await message(e2, "second", "sent", "2026-11-29T20:00:00Z");
      await message(e6, "hello", "sent", "2026-11-30T08:05:00Z");
      await message(e7, "hello", "sent", "2026-11-30T08:05:00Z");
      // 12:50 on 30 Nov is just before the 24 hours; 13:15 is their first hour.
      await message(e7, "second", "sent", "2026-11-30T12:50:00Z");
      await message(e6, "second", "sent", "2026-11-30T13:15:00Z");
      await message(e7, "third", "failed", "2026-11-30T18:30:00Z");
      // A webhook is a send for ops, not an email of the campaign's.
      await message(e1, "hook", "sent", "2026-12-01T09:00:00Z", "webhook");
      await message(e1, "second", "sent", "2026-12-01T11:20:00Z");
      await message(e2, "third", "sent", "2026-12-01T11:25:00Z");
      await message(e3, "second", "sent", "2026-12-01T11:40:00Z");
      await message(e6, "third", "failed", "2026-12-01T11:45:00Z");
      await message(e4, "second", "sent", "2026-12-01T12:10:00Z");
    });

    it("GET /api/campaigns/:id/daily counts each day's emails, entrants and goal rate in the reader's days", async () => {
      const { status, body } = await get<Daily>("/api/campaigns/nudge/daily");
      expect(status).toBe(200);
      expect(body.timeZone).toBe("UTC");
      expect(body.days).toHaveLength(30);
      expect(body.days[0]).toEqual({ day: "2026-11-02", from: "2026-11-02T00:00:00.000Z", emailsSent: 1, entered: 1, goal: { entered: 1, converted: 1, rate: 1 } });
      // 29 Nov: three emailed entrants (two reached the goal) and one held out, who is not in the rate.
      expect(body.days.slice(-3)).toEqual([
        { day: "2026-11-29", from: "2026-11-29T00:00:00.000Z", emailsSent: 4, entered: 4, goal: { entered: 3, converted: 2, rate: 2 / 3 } },
        { day: "2026-11-30", from: "2026-11-30T00:00:00.000Z", emailsSent: 4, entered: 2, goal: { entered: 2, converted: 0, rate: 0 } },
        { day: "2026-12-01", from: "2026-12-01T00:00:00.000Z", emailsSent: 4, entered: 0, goal: { entered: 0, converted: 0, rate: null } },
      ]);
      expect(body.days.slice(1, -3).every((d) => d.emailsSent === 0 && d.entered === 0)).toBe(true);

      // In Auckland (UTC+13) the day has already turned: 1 Dec 11:20 UTC is 2 Dec there.
      const auckland = (await get<Daily>("/api/campaigns/nudge/daily?days=7&timeZone=Pacific/Auckland")).body;
      expect(auckland.days.map((d) => d.day)).toEqual(["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]);
      expect(auckland.days.at(-1)).toMatchObject({ from: "2026-12-01T11:00:00.000Z", emailsSent: 4 });
      expect(auckland.days.at(-2)).toMatchObject({ day: "2026-12-01", emailsSent: 2 });
      expect(auckland.days.reduce((sum, d) => sum + d.emailsSent, 0)).toBe(12);

      for (const [query, path] of [["days=0", "query.days"], ["days=91", "query.days"], ["timeZone=Mars/Olympus", "query.timeZone"], ["weeks=2", "query"]] as const) {
        const bad = await get(`/api/campaigns/nudge/daily?${query}`);
        expect(bad.status, query).toBe(400);
        expect(bad.body.error.problems[0]?.path, query).toBe(path);
      }
      expect((await get("/api/campaigns/nope/daily")).status).toBe(404);
    });

    it("GET /api/status/hourly counts every send and failure per hour of the last 24", async () => {
      const { status, body } = await get<Hourly>("/api/status/hourly");
      expect(status).toBe(200);
      expect(body.hours).toHaveLength(24);
      expect(body.hours[0]?.from).toBe("2026-11-30T13:00:00.000Z");
      expect(body.hours[23]?.from).toBe("2026-12-01T12:00:00.000Z");
      const busy = Object.fromEntries(body.hours.flatMap((h, i) => (h.sent + h.failed + h.uncertain > 0 ? [[i, h]] : [])));
      expect(busy).toEqual({
        0: { from: "2026-11-30T13:00:00.000Z", sent: 1, failed: 0, uncertain: 0 },
        5: { from: "2026-11-30T18:00:00.000Z", sent: 0, failed: 1, uncertain: 0 },
        20: { from: "2026-12-01T09:00:00.000Z", sent: 1, failed: 0, uncertain: 0 },
        22: { from: "2026-12-01T11:00:00.000Z", sent: 3, failed: 1, uncertain: 0 },
        23: { from: "2026-12-01T12:00:00.000Z", sent: 1, failed: 0, uncertain: 0 },
      });
      expect((await get<Hourly>("/api/status/hourly?hours=2")).body.hours.map((h) => h.sent)).toEqual([3, 1]);
      const bad = await get("/api/status/hourly?hours=169");
      expect(bad.status).toBe(400);
      expect(bad.body.error.problems[0]?.path).toBe("query.hours");
    });

    describe.skipIf(!hasChromium)(`drawn in the console${SKIPPED}`, () => {
      let browser: Browser;
      const keys = { marketer: "", ops: API_KEY };
      const errors: string[] = [];
      beforeAll(async () => {
        keys.marketer = await createKey(harness.url, API_KEY, "marketer", "maria");
        browser = await launchBrowser();
      });
      afterAll(async () => {
        await browser?.close();
      });

      async function openAs(role: "marketer" | "ops", viewport: "laptop" | "phone", path: string): Promise<Page> {
        const page = await (await newContext(browser, viewport)).newPage();
        page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
        page.on("console", (message) => void (message.type() === "error" && errors.push(`${page.url()}: ${message.text()}`)));
        await signIn(page, harness.url, keys[role], path);
        return page;
      }

      for (const viewport of ["laptop", "phone"] as const) {
        it(`the campaign screen draws its 30 days as bars and a goal-rate line, with the figures in words and a table (${viewport})`, async () => {
          const page = await openAs("marketer", viewport, "/console/campaigns/nudge");
          const chart = page.locator("figure.chart", { hasText: "Emails sent and goal rate per day" });
          await chart.waitFor();
          expect(await chart.locator("figcaption").textContent()).toBe("Emails sent and goal rate per day, last 30 days");
          expect(await chart.locator(".chart-summary").textContent()).toBe("13 emails sent, most on Sun, 29 Nov 2026 (4). 50.0% of the 6 emailed entrants reached the goal.");
          // One picture with a name; a slot per day, a bar on each day with sends, each with its figures as a tooltip.
          const picture = page.getByRole("img", { name: /^Emails sent and goal rate per day, last 30 days\. 13 emails sent/ });
          expect(await picture.count()).toBe(1);
          expect(await chart.locator("g.bar").count()).toBe(30);
          expect(await chart.locator("rect.series-sent").count()).toBe(4);
          expect(await chart.locator("g.bar").nth(27).locator("title").textContent()).toBe("Sun, 29 Nov 2026: 4 sent, 4 entered, goal 66.7% of 3");
          expect(await chart.locator(".chart-ticks span").allTextContents()).toEqual(["2 Nov", "16 Nov", "1 Dec"]);
          expect(await chart.locator(".chart-legend li").allTextContents()).toEqual(["Emails sent", "Goal rate of the day's emailed entrants"]);
          // The line: a dot on 2 Nov (100%), then 29 Nov (66.7%) to 30 Nov (0%).
          expect(await chart.locator("path.line").getAttribute("d")).toBe("M 5 0.00 L 5 0.00 M 275 33.33 L 275 33.33 L 285 100.00");
          // The tallest bar reaches the top of a scale of 4 (4 is already round).
          expect(await chart.locator(".chart-scale").first().innerText()).toMatch(/^4\s+2\s+0$/);

          await chart.getByText("The figures as a table").click();
          const table = chart.getByRole("region", { name: "Emails sent and goal rate per day, last 30 days" });
          expect(await table.getByRole("row").count()).toBe(31);
          expect(await table.getByRole("row", { name: /^Sun, 29 Nov 2026/ }).innerText()).toBe("Sun, 29 Nov 2026\t4\t4\t66.7% of 3");
          expect(await table.getByRole("row", { name: /^Tue, 1 Dec 2026/ }).innerText()).toBe("Tue, 1 Dec 2026\t4\t0\t—");

          expect(await accessibilityProblems(page), viewport).toEqual([]);
          const box = await picture.boundingBox();
          expect(box?.width).toBeGreaterThan(viewport === "phone" ? 250 : 600);
          expect(errors).toEqual([]);
          await page.context().close();
        });

        it(`the ops screen draws the last 24 hours' sends and failures as stacked bars, and says no worker is running (${viewport})`, async () => {
          const page = await openAs("ops", viewport, "/console/ops");
          const chart = page.locator("figure.chart", { hasText: "Sends and failures per hour" });
          await chart.waitFor();
          expect(await page.getByRole("region", { name: "Sending" }).innerText()).toMatch(/No worker running\s+The kill switch is off, but nothing is sent: no worker is running \(none has run yet\)\. Start one with rekindle worker or rekindle start\./);
          expect(await chart.locator(".chart-summary").textContent()).toBe("6 sent and 2 failed. The busiest hour: 1 Dec 2026, 11:00–12:00 (3 sent).");
          expect(await page.getByRole("img", { name: /^Sends and failures per hour, last 24 hours\./ }).count()).toBe(1);
          expect(await chart.locator("g.bar").count()).toBe(24);
          expect(await chart.locator("rect.series-sent").count()).toBe(4);
          expect(await chart.locator("rect.series-failed").count()).toBe(2);
          expect(await chart.locator("g.bar").nth(22).locator("title").textContent()).toBe("1 Dec 2026, 11:00–12:00: 3 sent, 1 failed");
          expect(await chart.locator(".chart-ticks span").allTextContents()).toEqual(["13:00", "00:00", "12:00"]);
          // Sent and failed stack: the 11:00 bar's failure sits on its three sends, on a scale of 4.
          const [sentBar, failedBar] = [chart.locator("g.bar").nth(22).locator("rect.series-sent"), chart.locator("g.bar").nth(22).locator("rect.series-failed")];
          expect([await sentBar.getAttribute("y"), await sentBar.getAttribute("height"), await failedBar.getAttribute("y"), await failedBar.getAttribute("height")]).toEqual(["25", "75", "0", "25"]);

          await chart.getByText("The figures as a table").click();
          const table = chart.getByRole("region", { name: "Sends and failures per hour, last 24 hours" });
          expect(await table.getByRole("row").count()).toBe(25);
          expect(await table.getByRole("row", { name: /^1 Dec 2026, 11:00–12:00/ }).innerText()).toBe("1 Dec 2026, 11:00–12:00\t3\t1\t0");
          expect(await table.getByRole("row", { name: /^30 Nov 2026, 18:00–19:00/ }).innerText()).toBe("30 Nov 2026, 18:00–19:00\t0\t1\t0");

          expect(await accessibilityProblems(page), viewport).toEqual([]);
          expect(errors).toEqual([]);
          await page.context().close();
        });
      }
    });
  });
});
