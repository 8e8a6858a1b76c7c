import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/http/index.js";
import { FixedClock } from "../src/time/index.js";
import { createKey } from "./helpers/browser.js";
import { API_KEY, type ErrorBody, type Harness, startHarness, TEST_EMAIL } from "./helpers/harness.js";
import { present } from "./helpers/present.js";

const HELLO = `id: hello
name: Hello
category: winback
trigger:
  type: event
  name: Say Hello
reentry: always
steps:
  - id: greeting
    type: email
    template: greeting
  - id: pause
    type: wait
    duration: P3D
  - id: follow-up
    type: email
    template: follow-up
`;
const SWEDISH = TEST_EMAIL.replace('subject: "{{campaign.name}} for {{customer.email}}"', 'subject: "Hej {{customer.email}}"');
const BROKEN = `id: broken
name: Broken
category: winback
trigger:
  type: event
  name: Break
steps:
  - id: oops
    type: email
    template: oops
`;
const BROKEN_EMAIL = TEST_EMAIL.replace("Hello {{customer.email}}", "Hello {{customer.fistName}}");

describe("the console's API", () => {
  let harness: Harness;
  const keys: Record<"ingest" | "support" | "marketer" | "ops", string> = { ingest: "", support: "", marketer: "", ops: API_KEY };
  const clock = new FixedClock(new Date("2026-12-01T12:00:00Z"));
  /** A GET with a key (ops by default; "" for none). */
  const get = async <T = ErrorBody>(path: string, key = API_KEY) => {
    const response = await fetch(`${harness.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: response.status, body: (await response.json()) as T, headers: response.headers };
  };
  const send = async (method: string, path: string, body: unknown, key = API_KEY) => {
    const response = await fetch(`${harness.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    harness = await startHarness({ clock });
    await harness.setCampaign("hello", HELLO, { "greeting.sv.mjml": SWEDISH });
    await harness.setCampaign("broken", BROKEN, { "oops.mjml": BROKEN_EMAIL });
    for (const role of ["ingest", "support", "marketer"] as const) keys[role] = await createKey(harness.url, API_KEY, role, `${role}-person`);
    for (const [id, email] of [["ann", "ann@example.com"], ["ann-2", "second@example.com"], ["anna", "anna@example.com"], ["bob", "Ann.Other@Example.com"], ["a_b", "ab@example.com"], ["zed", "zed@example.com"]]) {
      expect((await send("PUT", `/api/customers/${id}`, { email, name: `Person ${id}` })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("GET /api/me says who holds the key and what its role may do, as the route table admits", async () => {
    const marketer = await get<{ name: string; role: string; may: Record<string, boolean> }>("/api/me", keys.marketer);
    expect(marketer.status).toBe(200);
    expect(marketer.body).toMatchObject({ name: expect.stringMatching(/^key:\d+:marketer-person$/), role: "marketer" });
    expect(marketer.body.may).toMatchObject({ campaigns: true, studio: true, audience: true, testSend: true, campaignPause: true, customers: true, timeline: false, customerActions: false, suppressions: false, ops: false });
    const support = await get<{ may: Record<string, boolean> }>("/api/me", keys.support);
    expect(support.body.may).toMatchObject({ campaigns: true, studio: false, audience: false, customers: true, timeline: true, customerActions: true, suppressions: true, audit: true, ops: false, killSwitch: false });
    const ops = await get<{ role: string; may: Record<string, boolean> }>("/api/me");
    expect(ops.body.role).toBe("ops");
    expect(Object.values(ops.body.may).every(Boolean)).toBe(true);
    const ingest = await get<{ may: Record<string, boolean> }>("/api/me", keys.ingest);
    expect(Object.values(ingest.body.may).some(Boolean)).toBe(false);
    expect((await get("/api/me", "")).status).toBe(401);
    expect((await get("/api/me", "rk_support_not-a-key-at-all")).status).toBe(401);
  });

  it("GET /api/customers finds the exact id first, then ids and email addresses that start with the query", async () => {
    const found = await get<{ customers: { id: string; email: string; match: string }[] }>("/api/customers?q=ann", keys.support);
    expect(found.status).toBe(200);
    expect(found.body.customers.map((c) => [c.id, c.match])).toEqual([
      ["ann", "id"],
      ["ann-2", "id_prefix"],
      ["anna", "id_prefix"],
      ["bob", "email"],
    ]);
    // Email prefixes are case-insensitive; `_` and `%` are characters, not wildcards.
    expect((await get<{ customers: { id: string }[] }>("/api/customers?q=ANN.O", keys.marketer)).body.customers.map((c) => c.id)).toEqual(["bob"]);
    expect((await get<{ customers: { id: string }[] }>("/api/customers?q=a_", keys.support)).body.customers.map((c) => c.id)).toEqual(["a_b"]);
    expect((await get<{ customers: unknown[] }>("/api/customers?q=%25", keys.support)).body.customers).toEqual([]);
    expect((await get<{ customers: unknown[] }>("/api/customers?q=ann&limit=2", keys.support)).body.customers).toHaveLength(2);
    expect((await get<{ customers: unknown[] }>("/api/customers?q=nobody", keys.support)).body.customers).toEqual([]);

    const missing = await get("/api/customers", keys.support);
    expect(missing.status).toBe(400);
    expect(missing.body.error.problems).toEqual([{ path: "query.q", message: expect.stringContaining("customer id") }]);
    expect((await get("/api/customers?q=ann&limit=1000", keys.support)).body.error.problems[0]?.path).toBe("query.limit");
    expect((await get("/api/customers?q=ann&sort=name", keys.support)).status).toBe(400);
    const refused = await get("/api/customers?q=ann", keys.ingest);
    expect(refused.status).toBe(403);
    // The article follows the role's sound: "An ingest key", "A support key".
    expect(refused.body.error.message).toBe("An ingest key cannot do this; it needs support or marketer or ops.");
    expect((await get("/api/studio", keys.support)).body.error.message).toBe("A support key cannot do this; it needs marketer or ops.");
  });

  it("GET /api/campaigns/:id/emails lists each email step with its language variants; an invalid campaign answers 409 with file and line", async () => {
    const emails = await get("/api/campaigns/hello/emails", keys.marketer);
    expect(emails.status).toBe(200);
    expect(emails.body).toEqual({
      campaign: "hello",
      emails: [
        { step: "greeting", template: "greeting", locales: [{ locale: null, file: "greeting.mjml" }, { locale: "sv", file: "greeting.sv.mjml" }] },
        { step: "follow-up", template: "follow-up", locales: [{ locale: null, file: "follow-up.mjml" }] },
      ],
    });
    const invalid = await get("/api/campaigns/broken/emails", keys.marketer);
    expect(invalid.status).toBe(409);
    expect(invalid.body.error.problems[0]?.path).toMatch(/broken\/oops\.mjml:8:26 \(file\)$/);
    expect((await get("/api/campaigns/nope/emails", keys.marketer)).status).toBe(404);
    expect((await get("/api/campaigns/hello/emails", keys.support)).status).toBe(403);
  });

  it("GET /api/campaigns gives each campaign's state (paused, by whom) and the catalog's revision; GET /api/studio says whether templates are watched", async () => {
    const before = await get<{ campaigns: { id: string; state: string; paused: unknown }[]; invalid: { id: string; problems: { file: string; line: number }[] }[]; revision: number }>("/api/campaigns", keys.marketer);
    expect(before.body.campaigns).toEqual([expect.objectContaining({ id: "hello", state: "running", paused: null })]);
    expect(before.body.invalid).toEqual([expect.objectContaining({ id: "broken", problems: [expect.objectContaining({ file: expect.stringMatching(/broken\/oops\.mjml$/), line: 8 })] })]);
    expect((await send("POST", "/api/campaigns/hello/pause", { reason: "rewording the greeting", until: "2026-12-24T00:00:00Z" }, keys.marketer)).status).toBe(201);
    const paused = await get<{ campaigns: { state: string; paused: unknown }[] }>("/api/campaigns", keys.support);
    expect(paused.body.campaigns[0]).toMatchObject({ state: "paused", paused: { by: expect.stringMatching(/marketer-person$/), reason: "rewording the greeting", until: "2026-12-24T00:00:00.000Z" } });
    await send("POST", "/api/campaigns/hello/resume", {}, keys.marketer);

    const studio = await get<{ watching: boolean; revision: number }>("/api/studio", keys.marketer);
    expect(studio.body).toEqual({ watching: false, revision: before.body.revision });
    expect(studio.headers.get("cache-control")).toBe("no-store");
    await harness.setCampaign("hello", HELLO, { "greeting.sv.mjml": SWEDISH });
    expect((await get<{ revision: number }>("/api/studio", keys.marketer)).body.revision).toBe(before.body.revision + 1);
    expect((await get("/api/studio", keys.support)).status).toBe(403);
  });

  it("GET /api/reports/campaigns gives every running campaign's figures for a period", async () => {
    await fetch(`${harness.url}/v1/track`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from("test-write-key-0123456789:").toString("base64")}`, "content-type": "application/json" },
      body: JSON.stringify({ userId: "anna", event: "Say Hello" }),
    });
    clock.advance(60_000);
    const report = await get<{ from: string; to: string; campaigns: { campaign: string; entered: number; emailsSent: number; treated: { rate: number | null } }[] }>("/api/reports/campaigns", keys.support);
    expect(report.status).toBe(200);
    expect(report.body.to).toBe("2026-12-01T12:01:00.000Z");
    expect(report.body.from).toBe("2026-11-01T12:01:00.000Z");
    expect(report.body.campaigns).toEqual([expect.objectContaining({ campaign: "hello", entered: 1, emailsSent: 0, treated: { entered: 1, converted: 0, rate: 0 } })]);
    const bad = await get("/api/reports/campaigns?from=yesterday", keys.marketer);
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems[0]?.path).toBe("query.from");
    expect((await get("/api/reports/campaigns", keys.ingest)).status).toBe(403);
  });

  it("the timeline says what holds a customer's email now, and GET /api/audit reads one customer's entries by type", async () => {
    await send("POST", "/api/customers/ann/pause", { reason: "on holiday", until: "2026-12-20T00:00:00Z" }, keys.support);
    await send("POST", "/api/suppressions", { email: "ann@example.com", category: "winback" }, keys.support);
    await send("POST", "/api/customers/zed/stop", { reason: "asked by phone", block: "P30D" }, keys.support);
    const timeline = await get<{ holds: unknown }>("/api/customers/ann/timeline", keys.support);
    expect(timeline.body.holds).toEqual({
      pauses: [{ scope: "customer", campaign: null, by: expect.stringMatching(/support-person$/), reason: "on holiday", until: "2026-12-20T00:00:00.000Z", since: "2026-12-01T12:01:00.000Z" }],
      suppressions: [{ category: "winback", reason: "manual", by: expect.stringMatching(/support-person$/), since: "2026-12-01T12:01:00.000Z" }],
      blockedUntil: null,
    });
    expect((await get<{ holds: { blockedUntil: string } }>("/api/customers/zed/timeline", keys.support)).body.holds.blockedUntil).toBe("2026-12-31T12:01:00.000Z");

    const audit = await get<{ entries: { action: string; targetType: string; targetId: string }[] }>("/api/audit?target=ann&type=customer", keys.support);
    expect(audit.body.entries.map((e) => [e.action, e.targetType, e.targetId])).toEqual([["customer.pause", "customer", "ann"]]);
    const byEmail = await get<{ entries: { action: string }[] }>("/api/audit?target=ann@example.com&type=email", keys.support);
    expect(byEmail.body.entries.map((e) => e.action)).toEqual(["suppression.manual"]);
    const bad = await get("/api/audit?type=planet&limit=0", keys.support);
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems.map((p) => p.path).sort()).toEqual(["query.limit", "query.type"]);
  });

  it("serves the console's page for /console and its client routes, and its assets with their types and long caching", async () => {
    const root = await fetch(`${harness.url}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/console/");
    for (const path of ["/console", "/console/", "/console/customers/ann", "/console/campaigns/hello/studio?locale=sv"]) {
      const page = await fetch(`${harness.url}${path}`);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("cache-control")).toBe("no-cache");
      expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self';.*frame-ancestors 'none'/);
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      const html = await page.text();
      expect(html).toContain('<div id="app">');
      // Nothing from a CDN: the machines may have no internet.
      expect(html).not.toMatch(/(src|href)="https?:/);
    }
    const html = await (await fetch(`${harness.url}/console/`)).text();
    const script = present(present(html.match(/src="(\/console\/assets\/main-[A-Z0-9]+\.js)"/), "html.match(/src='(\\/console\\/assets\\/main-[A-Z0-9]+\\.js)'/)")[1], "html.match(/src='(\\/console\\/assets\\/main-[A-Z0-9]+\\.js)'/)[1]");
    const style = present(present(html.match(/href="(\/console\/assets\/styles-[A-Z0-9]+\.css)"/), "html.match(/href='(\\/console\\/assets\\/styles-[A-Z0-9]+\\.css)'/)")[1], "html.match(/href='(\\/console\\/assets\\/styles-[A-Z0-9]+\\.css)'/)[1]");
    const js = await fetch(`${harness.url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await fetch(`${harness.url}${style}`)).headers.get("content-type")).toBe("text/css; charset=utf-8");

    for (const path of ["/console/assets/nope.js", "/console/assets/..%2F..%2Fpackage.json", "/console/assets/..%2Findex.html", "/console/assets/.build.json", "/console/assets/build.json"]) {
      const response = await fetch(`${harness.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as ErrorBody).error.code).toBe("not_found");
    }
  });

  it("says the console is not built, rather than failing, when its folder is missing", async () => {
    const app = await buildApp(harness.deps, { consoleDir: "/nonexistent/console" });
    try {
      const page = await app.inject({ method: "GET", url: "/console/campaigns" });
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain("npm run build");
    } finally {
      await app.close();
    }
  });
});
