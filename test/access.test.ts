import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, type Harness, startHarness } from "./helpers/harness.js";

const ROLES = ["ingest", "support", "marketer", "ops"] as const;

describe("API keys and roles", () => {
  let harness: Harness;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    harness = await startHarness();
    for (const role of ROLES) {
      const response = await fetch(`${harness.url}/api/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ name: `${role}-person`, role }),
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { key: string };
      keys[role] = body.key;
    }
  });
  afterAll(async () => {
    await harness.stop();
  });

  const call = (method: string, url: string, key: string | undefined) =>
    fetch(`${harness.url}${url.replace(/:(\w+)/g, "x")}`, {
      method,
      headers: { ...(key && { authorization: `Bearer ${key}` }), ...(method !== "GET" && method !== "DELETE" && { "content-type": "application/json" }) },
      ...(method !== "GET" && method !== "DELETE" && { body: "{}" }),
    });

  it("every /api route declares its roles, and each role gets exactly those", async () => {
    const routes = harness.app.routeList.filter((r) => r.url.startsWith("/api/") || r.url === "/metrics");
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.roles === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    const denied: string[] = [];
    for (const route of routes) {
      for (const role of ROLES) {
        const response = await call(route.method, route.url, keys[role]);
        const allowed = role === "ops" || route.roles!.includes(role);
        if (allowed) expect(response.status, `${role} ${route.method} ${route.url}`).not.toBeOneOf([401, 403]);
        else {
          expect(response.status, `${role} ${route.method} ${route.url}`).toBe(403);
          denied.push(`${role} ${route.method} ${route.url}`);
        }
      }
      expect((await call(route.method, route.url, undefined)).status, `anonymous ${route.method} ${route.url}`).toBe(401);
    }
    // Spot checks of the policy a reader would expect.
    expect(denied).toEqual(expect.arrayContaining(["support POST /api/keys", "marketer POST /api/customers/:id/stop", "support GET /api/campaigns/:id/dry-run", "ingest GET /api/customers/:id/timeline", "marketer POST /api/pause-all", "support GET /metrics"]));
    expect(denied).not.toContain("support POST /api/customers/:id/pause");
    expect(denied).not.toContain("marketer POST /api/campaigns/:id/steps/:step/test-send");
  }, 60_000);

  it("shows a key once, stores only its digest, and refuses it once revoked", async () => {
    const list = (await (await fetch(`${harness.url}/api/keys`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { keys: { id: number; role: string; prefix: string }[] };
    expect(JSON.stringify(list)).not.toContain(keys.support!);
    const support = list.keys.find((k) => k.role === "support")!;
    expect(keys.support!.startsWith(support.prefix)).toBe(true);
    const before = await fetch(`${harness.url}/api/suppressions`, { headers: { authorization: `Bearer ${keys.support}` } });
    expect(before.status).toBe(200);
    const revoked = await fetch(`${harness.url}/api/keys/${support.id}`, { method: "DELETE", headers: { authorization: `Bearer ${API_KEY}` } });
    expect(revoked.status).toBe(200);
    const after = await fetch(`${harness.url}/api/suppressions`, { headers: { authorization: `Bearer ${keys.support}` } });
    expect(after.status).toBe(401);
  });
});

describe("the queue dashboard", () => {
  it("is for ops only, signed in with an ops key as the Basic password", async () => {
    const harness = await startHarness();
    try {
      const anonymous = await fetch(`${harness.url}/ops/queues`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic/);
      const basicAuth = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString("base64")}`;
      expect((await fetch(`${harness.url}/ops/queues`, { headers: { authorization: basicAuth("wrong-key-0000000000") } })).status).toBe(401);
      const page = await fetch(`${harness.url}/ops/queues`, { headers: { authorization: basicAuth(API_KEY) } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Rekindle queues");
      const queues = await fetch(`${harness.url}/ops/queues/api/queues`, { headers: { authorization: basicAuth(API_KEY) } });
      const body = (await queues.json()) as { queues: { name: string }[] };
      expect(body.queues.map((q) => q.name).sort()).toEqual(["campaigns", "maintenance", "send"]);
    } finally {
      await harness.stop();
    }
  });
});
