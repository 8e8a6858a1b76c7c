import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API, type ApiRoute } from "../src/api/index.js";
import { FixedClock } from "../src/time/index.js";
import { installStarterFlow, submit } from "./helpers/cancel-flow.js";
import { API_KEY, type Harness, post, startHarness, TEST_EMAIL } from "./helpers/harness.js";

const HELLO = `id: hello
name: Hello
category: winback
holdout: 0.1
trigger:
  type: event
  name: Say Hello
audience:
  type: attribute
  attribute: plan
  exists: true
reentry: always
exit:
  - event: Said Goodbye
steps:
  - id: greeting
    type: email
    template: greeting
  - id: pause
    type: wait
    duration: P3D
`;

/**
 * Every answer the console reads, parsed by its schema in src/api: the routes are checked against
 * those schemas only at compile time (`satisfies`), which cannot see a field a handler adds or a
 * jsonb value of the wrong shape. The schemas are strict, so either shows up here.
 */
describe("the /api contract", () => {
  let harness: Harness;
  const clock = new FixedClock(new Date("2026-12-01T12:00:00Z"));

  const call = async (route: ApiRoute, init: { params?: Record<string, string>; query?: Record<string, string | number>; body?: unknown } = {}) => {
    const [method = "GET", pattern = ""] = route.split(" ");
    const path = pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(init.params?.[name] ?? ""));
    const search = new URLSearchParams(Object.entries(init.query ?? {}).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const response = await fetch(`${harness.url}${path}${search ? `?${search}` : ""}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(init.body !== undefined && { "content-type": "application/json" }) },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const body: unknown = await response.json();
    expect(response.status, `${route}: ${JSON.stringify(body)}`).toBeLessThan(300);
    const parsed = API[route].response.safeParse(body);
    expect(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`), route).toEqual([]);
    return body;
  };

  beforeAll(async () => {
    harness = await startHarness({ clock, campaigns: { hello: HELLO } });
    await harness.setCampaign("hello", HELLO, { "greeting.mjml": TEST_EMAIL });
    const put = await fetch(`${harness.url}/api/customers/ann`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        email: "ann@example.com",
        name: "Ann",
        plan: "pro",
        signedUpAt: "2026-01-05T10:00:00Z",
        traits: { seats: 3, tags: ["a", "b"] },
        subscription: { id: "sub_1", status: "active", plan: "pro", mrrMinor: 4900, currency: "eur", startedAt: "2026-01-05T10:00:00Z", currentPeriodEnd: "2026-12-05T10:00:00Z" },
        paymentMethod: { id: "card_1", brand: "visa", last4: "4242", expMonth: 12, expYear: 2026 },
      }),
    });
    expect(put.status).toBe(201);
    expect((await post(harness, "/v1/track", { userId: "ann", event: "Say Hello", timestamp: "2026-12-01T11:00:00Z" })).status).toBe(200);
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("the campaign routes answer as src/api/campaigns.ts and reports.ts say", async () => {
    const params = { id: "hello" };
    await call("GET /api/me");
    await call("GET /api/studio");
    await call("GET /api/campaigns");
    await call("GET /api/campaigns/:id", { params });
    await call("GET /api/campaigns/:id/emails", { params });
    await call("GET /api/campaigns/:id/dry-run", { params, query: { sample: 5 } });
    await call("GET /api/campaigns/:id/dry-run", { params, query: { customer: "ann" } });
    await call("GET /api/campaigns/:id/report", { params });
    await call("GET /api/campaigns/:id/daily", { params, query: { days: 7, timeZone: "Europe/Stockholm" } });
    await call("GET /api/campaigns/:id/steps/:step/preview", { params: { id: "hello", step: "greeting" }, query: { customer: "ann" } });
    await call("GET /api/reports/campaigns");
    await call("GET /api/reports/churn");
    await call("GET /api/reports/churn", { query: { campaign: "hello" } });
    await call("GET /api/reports/cancel-flow");
    await call("POST /api/campaigns/:id/pause", { params, body: { reason: "contract test", until: "2026-12-02T00:00:00Z" } });
    await call("GET /api/campaigns");
    await call("POST /api/campaigns/:id/resume", { params, body: {} });
  });

  it("the customer, support and ops routes answer as src/api says", async () => {
    const params = { id: "ann" };
    await call("GET /api/customers", { query: { q: "ann" } });
    await call("GET /api/customers/:id", { params });
    await call("POST /api/customers/:id/pause", { params, body: { reason: "asked us to" } });
    await call("GET /api/customers/:id/timeline", { params, query: { timeZone: "Europe/Stockholm" } });
    await call("POST /api/customers/:id/resume", { params, body: {} });
    await call("POST /api/customers/:id/stop", { params, body: { reason: "asked us to", block: "P30D" } });
    await call("POST /api/suppressions", { body: { email: "ann@example.com", category: "winback" } });
    await call("POST /api/complaints", { body: { email: "ann@example.com", detail: "feedback loop" } });
    await call("GET /api/suppressions", { query: { email: "ann@example.com" } });
    await call("GET /api/customers/:id/timeline", { params });
    await call("DELETE /api/suppressions", { body: { email: "ann@example.com" } });
    await call("GET /api/audit", { query: { target: "ann", type: "customer" } });
    await call("GET /api/audit");
    await call("POST /api/pause-all", { body: { reason: "incident" } });
    await call("GET /api/status");
    await call("POST /api/resume-all", { body: {} });
    await call("GET /api/status/hourly", { query: { hours: 3 } });
    const created = (await call("POST /api/keys", { body: { name: "contract", role: "support" } })) as { id: number };
    await call("GET /api/keys");
    await call("DELETE /api/keys/:id", { params: { id: String(created.id) } });
  });

  it("the cancel sessions' routes answer as src/api/cancel-sessions.ts says", async () => {
    await installStarterFlow(harness);
    const started = (await call("POST /api/cancel-sessions", { body: { customerId: "ann", returnUrl: "https://app.example/account" } })) as { id: string; url: string };
    expect((await submit(started.url.replace(harness.config.http.publicUrl, harness.url), { action: "reason", reason: "too_expensive" })).status).toBeLessThan(400);
    await call("GET /api/cancel-sessions", { query: { customerId: "ann" } });
    await call("GET /api/cancel-sessions/:id", { params: { id: started.id } });
  });
});
