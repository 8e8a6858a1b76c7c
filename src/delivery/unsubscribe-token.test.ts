import { describe, expect, it } from "vitest";
import { unsubscribeToken, verifyUnsubscribeToken } from "./unsubscribe-token.js";

describe("unsubscribe tokens", () => {
  const secret = "s".repeat(40);
  it("round-trips, with no customer id in clear", () => {
    const token = unsubscribeToken(secret, 123_456);
    expect(token).not.toContain("123456");
    expect(verifyUnsubscribeToken(secret, token)).toBe(123_456);
  });
  it("refuses forged and altered tokens", () => {
    const token = unsubscribeToken(secret, 42);
    expect(verifyUnsubscribeToken("t".repeat(40), token)).toBeUndefined();
    expect(verifyUnsubscribeToken(secret, `${(43).toString(36)}${token.slice(token.indexOf("."))}`)).toBeUndefined();
    expect(verifyUnsubscribeToken(secret, token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"))).toBeUndefined();
    expect(verifyUnsubscribeToken(secret, "not-a-token")).toBeUndefined();
  });
  it("verifies one spelling only: a leading zero on the id is refused", () => {
    const token = unsubscribeToken(secret, 42);
    expect(verifyUnsubscribeToken(secret, `0${token}`)).toBeUndefined();
    expect(verifyUnsubscribeToken(secret, token.toUpperCase())).toBeUndefined();
  });
});
