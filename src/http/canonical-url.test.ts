import { describe, expect, it } from "vitest";
import { canonicalUrl } from "./canonical-url.js";

describe("canonicalUrl", () => {
  it("decodes encoded letters, digits and -._~, and nothing else", () => {
    expect(canonicalUrl("/%61pi/customers/%75ser-42")).toBe("/api/customers/user-42");
    expect(canonicalUrl("/%6detrics")).toBe("/metrics");
    expect(canonicalUrl("/api/customers/a%2fb%20c")).toBe("/api/customers/a%2Fb%20c");
    expect(canonicalUrl("/api/customers/%zz")).toBe("/api/customers/%zz");
  });

  it("collapses slashes, resolves dot segments and drops a trailing slash", () => {
    expect(canonicalUrl("//api///keys/")).toBe("/api/keys");
    expect(canonicalUrl("/v1/../api/./keys")).toBe("/api/keys");
    expect(canonicalUrl("/v1/%2e%2e/api/keys")).toBe("/api/keys");
    expect(canonicalUrl("/../../api/keys")).toBe("/api/keys");
    expect(canonicalUrl("/")).toBe("/");
    expect(canonicalUrl("")).toBe("/");
  });

  it("leaves the query string and semicolons alone", () => {
    expect(canonicalUrl("/api/customers/?q=%61//b")).toBe("/api/customers?q=%61//b");
    expect(canonicalUrl("/api/keys;x=1")).toBe("/api/keys;x=1");
  });
});
