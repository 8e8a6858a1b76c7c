import { describe, expect, it } from "vitest";
import { CapRule, capAllowsAt, capRemaining, nextOpening, SendDays, SendWindowText } from "./policy.js";

const rules = ["2/P1D", "5/P7D"].map((r) => CapRule.parse(r));
const at = (iso: string) => new Date(iso);

describe("frequency cap", () => {
  const now = at("2026-12-10T12:00:00Z");
  it("allows while under every rule", () => {
    expect(capAllowsAt([at("2026-12-10T08:00:00Z")], rules, now)).toEqual(now);
    expect(capRemaining([at("2026-12-10T08:00:00Z")], rules, now)).toBe(1);
  });
  it("defers to when the oldest counted send leaves the day", () => {
    const sends = [at("2026-12-10T08:00:00Z"), at("2026-12-09T18:00:00Z")];
    expect(capAllowsAt(sends, rules, now).toISOString()).toBe("2026-12-10T18:00:00.000Z");
  });
  it("applies the weekly rule too", () => {
    const sends = ["2026-12-04T13:00:00Z", "2026-12-05T10:00:00Z", "2026-12-06T10:00:00Z", "2026-12-08T10:00:00Z", "2026-12-09T10:00:00Z"].map(at);
    expect(capAllowsAt(sends, rules, now).toISOString()).toBe("2026-12-11T13:00:00.000Z");
  });
});

describe("send window", () => {
  const window = { start: "09:00", end: "18:00", days: undefined };
  it("defers a night in Shanghai and a night in Los Angeles to their own mornings", () => {
    // 2026-12-10T20:00Z is 04:00 on the 11th in Shanghai and 12:00 on the 10th in Los Angeles.
    const moment = at("2026-12-10T20:00:00Z");
    expect(nextOpening(moment, "Asia/Shanghai", window).toISOString()).toBe("2026-12-11T01:00:00.000Z");
    expect(nextOpening(moment, "America/Los_Angeles", window)).toEqual(moment);
    // 03:00Z is 19:00 in Los Angeles: after the close, so the next morning.
    expect(nextOpening(at("2026-12-11T03:00:00Z"), "America/Los_Angeles", window).toISOString()).toBe("2026-12-11T17:00:00.000Z");
  });
  it("gets the daylight-saving edges right", () => {
    // Los Angeles springs forward on 8 March 2026: 09:00 PDT is 16:00 UTC (it was 17:00 the day before).
    expect(nextOpening(at("2026-03-08T06:00:00Z"), "America/Los_Angeles", window).toISOString()).toBe("2026-03-08T16:00:00.000Z");
    expect(nextOpening(at("2026-03-07T06:00:00Z"), "America/Los_Angeles", window).toISOString()).toBe("2026-03-07T17:00:00.000Z");
    // A window opening at 02:30 on the night that hour does not exist opens at 03:30 (Temporal's compatible choice).
    expect(nextOpening(at("2026-03-08T08:00:00Z"), "America/Los_Angeles", { start: "02:30", end: "05:00", days: undefined }).toISOString()).toBe(
      "2026-03-08T10:30:00.000Z",
    );
  });
  it("skips days outside the allowed weekdays", () => {
    const weekdays = { ...window, days: SendDays.parse("mon-fri") };
    // Saturday 12 December 2026, 10:00 in Stockholm → Monday 14th 09:00.
    expect(nextOpening(at("2026-12-12T09:00:00Z"), "Europe/Stockholm", weekdays).toISOString()).toBe("2026-12-14T08:00:00.000Z");
  });
  it("parses the settings", () => {
    expect(SendWindowText.safeParse("18:00-09:00").success).toBe(false);
    expect(SendDays.parse("sat,sun")).toEqual([6, 7]);
    expect(SendDays.safeParse("mon-funday").success).toBe(false);
  });
});
