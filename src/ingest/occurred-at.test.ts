import { describe, expect, it } from "vitest";
import { occurredAt } from "./occurred-at.js";

const receivedAt = new Date("2026-11-22T12:00:00Z");

describe("occurredAt", () => {
  it("corrects a client clock that runs fast by the skew seen at sending", () => {
    // The client's clock is 1 h ahead: it says it sent at 13:00 what it recorded at 12:55.
    const at = occurredAt({ timestamp: new Date("2026-11-22T12:55:00Z"), sentAt: new Date("2026-11-22T13:00:00Z"), receivedAt });
    expect(at.toISOString()).toBe("2026-11-22T11:55:00.000Z");
  });

  it("keeps a backfilled timestamp", () => {
    const at = occurredAt({ timestamp: new Date("2025-01-01T00:00:00Z"), receivedAt });
    expect(at.toISOString()).toBe("2025-01-01T00:00:00.000Z");
  });

  it("uses the arrival time when the client gave no timestamp", () => {
    expect(occurredAt({ receivedAt })).toEqual(receivedAt);
  });
});

describe("occurredAt with a clock far off", () => {
  it("does not correct a skew of more than a day", () => {
    const timestamp = new Date("2026-11-20T08:00:00Z");
    expect(occurredAt({ timestamp, sentAt: new Date("1970-01-01T00:00:00Z"), receivedAt })).toEqual(timestamp);
    expect(occurredAt({ timestamp, sentAt: new Date("2099-01-01T00:00:00Z"), receivedAt })).toEqual(timestamp);
  });
});
