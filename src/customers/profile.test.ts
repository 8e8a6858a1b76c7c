import { describe, expect, it } from "vitest";
import { mergeProfilePatches, traitsToProfile } from "./profile.js";

describe("traitsToProfile", () => {
  it("maps Segment's reserved traits onto columns and keeps the rest as traits", () => {
    const patch = traitsToProfile({
      email: "ada@example.com",
      firstName: "Ada",
      lastName: "Lovelace",
      language: "sv_SE",
      timezone: "Europe/Stockholm",
      plan: "pro",
      createdAt: "2025-03-01T12:00:00Z",
      company: "Analytical Engines",
    });
    expect(patch).toEqual({
      email: "ada@example.com",
      name: "Ada Lovelace",
      locale: "sv-SE",
      timezone: "Europe/Stockholm",
      plan: "pro",
      signedUpAt: new Date("2025-03-01T12:00:00Z"),
      traits: { company: "Analytical Engines", firstName: "Ada", lastName: "Lovelace" },
    });
  });

  it("keeps values that do not fit their column in traits instead of losing them", () => {
    const patch = traitsToProfile({ email: "not an email", timezone: "Mars/Olympus", createdAt: "yesterday-ish" });
    expect(patch.email).toBeUndefined();
    expect(patch.timezone).toBeUndefined();
    expect(patch.traits).toEqual({ email: "not an email", timezone: "Mars/Olympus", createdAt: "yesterday-ish" });
  });

  it("reads createdAt in Unix seconds, and locale and timezone from context", () => {
    const patch = traitsToProfile({ createdAt: 1_700_000_000 }, { locale: "en-GB", timezone: "America/New_York" });
    expect(patch.signedUpAt?.toISOString()).toBe("2023-11-14T22:13:20.000Z");
    expect(patch.locale).toBe("en-GB");
    expect(patch.timezone).toBe("America/New_York");
  });

  it("merges patches in order", () => {
    expect(
      mergeProfilePatches([
        { email: "a@example.com", traits: { a: 1, b: 1 } },
        { email: "b@example.com", traits: { b: 2 } },
      ]),
    ).toEqual({ email: "b@example.com", traits: { a: 1, b: 2 } });
  });
});
