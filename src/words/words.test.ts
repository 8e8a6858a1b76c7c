import { describe, expect, it } from "vitest";
import { aOrAn, durationWords, isTimeZone, timeWords } from "./index.js";

describe("words", () => {
  it("chooses a or an by the word's sound", () => {
    expect(["support", "marketer", "ops", "ingest", "hour", "user", "unknown", "one-off", "event", "API key", "email"].map((word) => aOrAn(word))).toEqual([
      "a support",
      "a marketer",
      "an ops",
      "an ingest",
      "an hour",
      "a user",
      "an unknown",
      "a one-off",
      "an event",
      "an API key",
      "an email",
    ]);
    expect([aOrAn("support", { sentenceStart: true }), aOrAn("ops", { sentenceStart: true })]).toEqual(["A support", "An ops"]);
  });

  it("writes moments in the reader's zone and calendar dates as they are", () => {
    const paris = timeWords("Europe/Paris");
    expect(paris.moment("2026-11-28T12:00:00Z")).toBe("28 Nov 2026, 13:00");
    expect(timeWords().moment(new Date("2026-11-28T12:00:00Z"))).toBe("28 Nov 2026, 12:00");
    // 23:30 UTC is already the next day in Paris; a card's expiry date is the same day everywhere.
    expect(paris.day("2026-11-30T23:30:00Z")).toBe("1 Dec 2026");
    expect(timeWords("Pacific/Auckland").day("2026-11-30")).toBe("30 Nov 2026");
    expect(paris.moment("not a date")).toBe("not a date");
    expect([isTimeZone("Europe/Paris"), isTimeZone("UTC"), isTimeZone("Mars/Olympus")]).toEqual([true, true, false]);
  });

  it("writes durations in words", () => {
    expect(["P30D", "P1DT12H", "PT1M", "P1Y", "P0D", "soon"].map(durationWords)).toEqual(["30 days", "1 day 12 hours", "1 minute", "1 year", "no time", "soon"]);
  });
});
