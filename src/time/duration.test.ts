import { describe, expect, it } from "vitest";
import { Temporal } from "temporal-polyfill";
import { IsoDuration, addDuration, durationMs, parseDuration, subtractDuration } from "./duration.js";

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

  it("steps by weeks, days and time exactly as the UTC calendar does, either way", () => {
    const calendar = (at: Date, text: string, sign: 1 | -1) => {
      const start = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO("UTC");
      const duration = Temporal.Duration.from(text);
      return new Date((sign === 1 ? start.add(duration) : start.subtract(duration)).epochMilliseconds).toISOString();
    };
    const instants = ["2026-03-29T00:30:00.000Z", "2024-02-29T23:59:59.999Z", "2026-12-31T12:00:00.250Z", "1999-12-31T23:00:00Z"].map((t) => new Date(t));
    const texts = ["P30D", "PT10M", "PT5S", "P2W", "P1DT12H", "PT0.5S", "PT0.0005S", "P1Y", "P1M", "P1M2DT3H", "P400D", "PT36H", "P0D"];
    for (const at of instants) {
      for (const text of texts) {
        expect(addDuration(at, text).toISOString(), `${at.toISOString()} + ${text}`).toBe(calendar(at, text, 1));
        expect(subtractDuration(at, text).toISOString(), `${at.toISOString()} - ${text}`).toBe(calendar(at, text, -1));
      }
    }
  });

  it("answers the same for a duration read again, and refuses a bad one every time", () => {
    expect(parseDuration("P3D")).toBe(parseDuration("P3D"));
    expect(parseDuration("3 days")).toBeUndefined();
    expect(parseDuration("3 days")).toBeUndefined();
    expect(() => subtractDuration(new Date(), "-P1D")).toThrow(RangeError);
    // Beyond what a Date can hold, a RangeError as the calendar gives, never an Invalid Date.
    expect(() => addDuration(new Date(), "P300000000D")).toThrow(RangeError);
    expect(() => subtractDuration(new Date(), "PT9000000000000S")).toThrow(RangeError);
  });
});
