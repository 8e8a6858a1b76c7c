import { describe, expect, it } from "vitest";
import { signToken, verifyToken } from "./signed-token.js";

const SECRET = "a-secret-of-at-least-thirty-two-characters";
const now = new Date("2026-11-28T12:00:00Z");
const later = new Date("2026-11-28T13:00:00Z");

describe("signed tokens", () => {
  it("verify for their purpose until they expire", () => {
    const token = signToken(SECRET, "cancel-session", "3f1c2a9e-8d4b-4c3e-9a6f-0b1d2c3e4f50", later);
    expect(verifyToken(SECRET, "cancel-session", token, now)).toEqual({ type: "valid", subject: "3f1c2a9e-8d4b-4c3e-9a6f-0b1d2c3e4f50", expiresAt: later });
    expect(verifyToken(SECRET, "cancel-session", token, later).type).toBe("expired");
  });

  it("refuse another purpose, another secret, and any change", () => {
    const token = signToken(SECRET, "card-update", "42", later);
    expect(verifyToken(SECRET, "cancel-session", token, now).type).toBe("invalid");
    expect(verifyToken(`${SECRET}x`, "card-update", token, now).type).toBe("invalid");
    // Another customer's id under this signature, or a later expiry.
    expect(verifyToken(SECRET, "card-update", token.replace(/^42\./, "43."), now).type).toBe("invalid");
    const [subject, , sig] = token.split(".");
    expect(verifyToken(SECRET, "card-update", `${subject}.${Math.ceil(later.getTime() / 1000 + 86_400).toString(36)}.${sig}`, now).type).toBe("invalid");
    for (const bad of ["", "42", `${token}x`, token.slice(0, -1), token.toUpperCase(), `042.${token.split(".").slice(1).join(".")}`]) {
      expect(verifyToken(SECRET, "card-update", bad, now).type).toBe("invalid");
    }
  });
});
