import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../src/time/index.js";
import { enrolled } from "./helpers/campaigns.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { campaignYaml } from "./helpers/yaml.js";
import { present } from "./helpers/present.js";

const ROOT = new URL("..", import.meta.url).pathname;
const DAY = 86_400_000;

describe("dry run", () => {
  let harness: Harness;
  // The CLI runs on the real clock, so the data is placed relative to it.
  const now = new Date();
  beforeAll(async () => {
    harness = await startHarness({
      clock: new FixedClock(now),
      campaigns: {
        quiet: campaignYaml("quiet", { type: "inactive", for: "P14D" }, "audience:\n  attribute: traits.plan_tier\n  equals: paid"),
        dunning: campaignYaml("dunning", { type: "payment_failed" }),
      },
    });
    const at = (days: number) => new Date(now.getTime() - days * DAY).toISOString();
    await post(harness, "/v1/batch", {
      batch: [
        { type: "identify", userId: "gone-quiet", traits: { email: "quiet@example.com", plan_tier: "paid" } },
        { type: "track", userId: "gone-quiet", event: "Logged In", timestamp: at(20) },
        { type: "identify", userId: "also-quiet", traits: { plan_tier: "paid" } },
        { type: "track", userId: "also-quiet", event: "Logged In", timestamp: at(18) },
        { type: "identify", userId: "free-quiet", traits: { plan_tier: "free" } },
        { type: "track", userId: "free-quiet", event: "Logged In", timestamp: at(18) },
        // Quiet for a year: gone long before this campaign's lookback, so not written to.
        { type: "identify", userId: "long-gone", traits: { plan_tier: "paid" } },
        { type: "track", userId: "long-gone", event: "Logged In", timestamp: at(365) },
        { type: "track", userId: "active", event: "Logged In", timestamp: at(1) },
      ],
    });
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("says who would enter now and why, through the API, without enrolling anyone", async () => {
    const response = await fetch(`${harness.url}/api/campaigns/quiet/dry-run?sample=5`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { wouldEnter: number; basis: string; sample: { customerId: string; email: string | null; facts: Record<string, unknown> }[] };
    expect(body.wouldEnter).toBe(2);
    expect(body.basis).toBe("scan");
    expect(body.sample.map((entry) => entry.customerId).sort()).toEqual(["also-quiet", "gone-quiet"]);
    expect(body.sample.find((entry) => entry.customerId === "gone-quiet")).toMatchObject({ email: "quiet@example.com", facts: { inactiveDays: 20 } });
    const one = await fetch(`${harness.url}/api/campaigns/quiet/dry-run?sample=1`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(((await one.json()) as { wouldEnter: number; sample: unknown[] })).toMatchObject({ wouldEnter: 2, sample: [expect.anything()] });
    expect(await enrolled(harness, "quiet")).toEqual([]);
  });

  it("answers 400 for a bad query and 404 for an unknown campaign", async () => {
    const bad = await fetch(`${harness.url}/api/campaigns/quiet/dry-run?sample=lots`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { problems: { path: string }[] } }).error.problems[0]?.path).toBe("query.sample");
    const missing = await fetch(`${harness.url}/api/campaigns/nope/dry-run`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(missing.status).toBe(404);
  });

  it("works from the command line too", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "dry-run", "quiet"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: present(harness.config.database.url, "harness.config.database.url"),
        TEMPLATES_DIR: join(harness.config.dataDir, "templates"),
        DATA_DIR: harness.config.dataDir,
      },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, output).toBe(0);
    expect(output).toContain("2 customer(s) would enter quiet if the scan ran now.");
    // Why, in words: no facts as JSON.
    expect(output).toMatch(/gone-quiet <quiet@example.com>\s+because they have not been active for 20 days \(last on \d{1,2} [A-Z][a-z]{2} \d{4}\)\n/);
    expect(await enrolled(harness, "quiet")).toEqual([]);
  });
});
