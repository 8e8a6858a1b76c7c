import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FixedClock } from "../src/time/index.js";
import { enrolled, resetState } from "./helpers/campaigns.js";
import { type Harness, post, startHarness } from "./helpers/harness.js";
import { campaignYaml } from "./helpers/yaml.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

/** A backfill (Segment's /v1/import) brings history: it is stored and counts, but old moments start nothing now. */
describe("backfilling history through /v1/import", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    harness = await startHarness({
      clock,
      campaigns: {
        dunning: campaignYaml("dunning", { type: "payment_failed" }),
        "welcome-back": campaignYaml("welcome-back", { type: "returned_after_pause", min_pause: "P30D" }),
      },
    });
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    clock.set(NOW);
    await resetState(harness);
  });

  it("stores a year of history without starting a sequence for moments long gone", async () => {
    // A customer who paused for two months last spring and came back, and whose card failed in the summer.
    const history = [300, 290, 280, 200, 195, 120, 60, 40].map((days, i) => ({ type: "track", event: "Logged In", userId: "ada", messageId: `h-${i}`, timestamp: ago(days) }));
    history.push({ type: "track", event: "payment_failed", userId: "ada", messageId: "h-pf", timestamp: ago(150) });
    expect((await post(harness, "/v1/import", { batch: history })).status).toBe(200);
    expect(await enrolled(harness, "welcome-back")).toEqual([]);
    expect(await enrolled(harness, "dunning")).toEqual([]);

    // What happens now still counts, with the history behind it: back after forty days away.
    await post(harness, "/v1/track", { event: "Logged In", userId: "ada", messageId: "now-1", timestamp: ago(0) });
    expect(await enrolled(harness, "welcome-back")).toEqual(["ada"]);
  });

  it("still acts on a late delivery: a payment failure two days old starts dunning", async () => {
    await post(harness, "/v1/import", { batch: [{ type: "track", event: "payment_failed", userId: "bob", messageId: "late-pf", timestamp: ago(2) }] });
    expect(await enrolled(harness, "dunning")).toEqual(["bob"]);
  });
});
