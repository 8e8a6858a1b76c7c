import { describe, expect, it } from "vitest";
import { IsoDuration, addDuration, durationMs, parseDuration } from "./duration.js";

describe("ISO-8601 durations", () => {
  it("accepts the forms campaigns and configuration use", () => {
    for (const text of ["P30D", "PT10M", "PT5S", "P1Y", "P2W", "P1DT12H", "PT0.5S"]) {
      expect(IsoDuration.safeParse(text).success, text).toBe(true);
    }
  });

  it("refuses what is not a duration, and negative ones", () => {
    for (const text of ["30d", "", "P", "10 minutes", "-P1D", "PT-5M"]) {
      expect(IsoDuration.safeParse(text).success, text).toBe(false);
    }
  });

  it("adds calendar months the way a person counts them", () => {
    expect(addDuration(new Date("2026-01-31T10:00:00Z"), "P1M").toISOString()).toBe("2026-02-28T10:00:00.000Z");
    expect(addDuration(new Date("2026-01-01T00:00:00Z"), "PT90M").toISOString()).toBe("2026-01-01T01:30:00.000Z");
  });

  it("measures fixed durations in milliseconds", () => {
    expect(durationMs("PT10M")).toBe(600_000);
    expect(durationMs("P1D")).toBe(86_400_000);
    expect(parseDuration("P1DT2H")?.hours).toBe(2);
  });
});
