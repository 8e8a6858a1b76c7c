import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signedBillingUrl } from "./signed-billing-url.js";

const SECRET = "the-app-and-rekindle-share-this-secret";
const expiresAt = new Date("2026-12-01T12:15:00.900Z");

describe("the signed BILLING_URL", () => {
  it("adds the customer, the expiry in whole seconds and the HMAC of both, keeping the URL's own query", () => {
    const url = new URL(signedBillingUrl("https://app.example/billing?tab=card#top", SECRET, "user 42&x=1", expiresAt));
    expect(url.searchParams.get("tab")).toBe("card");
    expect(url.hash).toBe("#top");
    expect(url.searchParams.get("rekindle_customer")).toBe("user 42&x=1");
    expect(url.searchParams.get("rekindle_expires")).toBe("1796127300");
    expect(url.searchParams.get("rekindle_signature")).toBe(createHmac("sha256", SECRET).update("user 42&x=1.1796127300").digest("hex"));
  });

  it("is the plain BILLING_URL without APP_SIGNING_SECRET", () => {
    expect(signedBillingUrl("https://app.example/billing", undefined, "user-42", expiresAt)).toBe("https://app.example/billing");
  });
});
