import { describe, expect, it } from "vitest";
import { lastDays, lastHours } from "./periods.js";

describe("a chart's periods", () => {
  it("divides days at the reader's midnights, today last, a clock change's day 25 hours long", () => {
    const days = lastDays(new Date("2026-10-26T09:00:00Z"), 3, "Europe/Paris");
    expect(days.map((d) => [d.day, d.start.toISOString(), (d.end.getTime() - d.start.getTime()) / 3_600_000])).toEqual([
      ["2026-10-24", "2026-10-23T22:00:00.000Z", 24],
      ["2026-10-25", "2026-10-24T22:00:00.000Z", 25],
      ["2026-10-26", "2026-10-25T23:00:00.000Z", 24],
    ]);
    // Late on 1 Dec in UTC is already 2 Dec in Auckland.
    expect(lastDays(new Date("2026-12-01T12:30:00Z"), 1, "Pacific/Auckland")[0]).toEqual({ day: "2026-12-02", start: new Date("2026-12-01T11:00:00Z"), end: new Date("2026-12-02T11:00:00Z") });
  });

  it("divides hours on the hour, the current one last", () => {
    expect(lastHours(new Date("2026-12-01T12:30:00Z"), 2)).toEqual([
      { start: new Date("2026-12-01T11:00:00Z"), end: new Date("2026-12-01T12:00:00Z") },
      { start: new Date("2026-12-01T12:00:00Z"), end: new Date("2026-12-01T13:00:00Z") },
    ]);
  });
});
