import { readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installAccess } from "../src/http/access.js";
import { API_KEY, basic, type Harness, startHarness, WRITE_KEY } from "./helpers/harness.js";
import { present } from "./helpers/present.js";

const ROLES = ["ingest", "support", "marketer", "ops"] as const;

/** The README's route table (section "Access"): `METHOD path` → roles; "ops" alone is []. */
async function readmeRoles(): Promise<Map<string, string[]>> {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Access: API keys and roles"), readme.indexOf("## Security model"));
  const table = new Map<string, string[]>();
  for (const [, route, roles] of section.matchAll(/^\| `((?:GET|POST|PUT|DELETE|PATCH) \S+)` \| ([a-z, ]+) \|$/gm)) {
    table.set(present(route, "route"), present(roles, "roles").split(",").map((r) => r.trim()).filter((r) => r !== "ops"));
  }
  return table;
}

/** Routes that take no API key, by the README's list: each has its own proof of right, or none is needed. */
const OPEN = /^(\/v1\/\w+|\/webhooks\/stripe|\/unsubscribe\/:token|\/cancel\/:token|\/card\/:token|\/healthz|\/readyz|\/|\/console(\/.*)?|\/ops\/queues(\/.*)?)$/;

/** Ways a client may spell one path; each must reach what the plain spelling reaches, or nothing. */
function spellings(path: string): Record<string, string> {
  const segments = path.split("/").slice(1);
  const firstLetter = path.search(/[a-z]/i);
  const encode = (at: number, upper: boolean) => {
    const hex = path.charCodeAt(at).toString(16);
    return `${path.slice(0, at)}%${upper ? hex.toUpperCase() : hex}${path.slice(at + 1)}`;
  };
  const fixed = (segment: string) => segment !== "x" && !segment.startsWith("*");
  return {
    plain: path,
    ...(firstLetter !== -1 && { "encoded letter": encode(firstLetter, false), "encoded letter (upper-case hex)": encode(firstLetter, true) }),
    "every letter encoded": path.replace(/[a-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`),
    "doubled slashes": path === "/" ? "//" : path.replace(/\//g, "//"),
    "trailing slash": path === "/" ? "/" : `${path}/`,
    "upper case": `/${segments.map((s) => (fixed(s) ? s.toUpperCase() : s)).join("/")}`,
    "dot segments": path === "/" ? "/./" : `/./nowhere/..${path}`,
  };
}

describe("API keys and roles", () => {
  let harness: Harness;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    harness = await startHarness({ env: { STRIPE_WEBHOOK_SECRETS: "whsec_access_test_secret" } });
    for (const role of ROLES) {
      const response = await harness.app.inject({ method: "POST", url: "/api/keys", headers: { authorization: `Bearer ${API_KEY}` }, payload: { name: `${role}-person`, role } });
      expect(response.statusCode).toBe(201);
      keys[role] = response.json<{ key: string }>().key;
    }
  });
  afterAll(async () => {
    await harness.stop();
  });

  /** Who knocks: nobody, a stranger, the write key, one key per role (and an ops key as Basic, for the dashboard). */
  const callers = (): Record<string, string | undefined> => ({
    "no key": undefined,
    "a wrong key": "Bearer rk_ops_NotAKeyThisServerEverMade00000",
    "a wrong write key": basic("not-a-write-key-at-all-000"),
    "the write key": basic(WRITE_KEY),
    ...Object.fromEntries(ROLES.map((role) => [role, `Bearer ${keys[role]}`])),
    "ops as Basic password": `Basic ${Buffer.from(`ops:${API_KEY}`).toString("base64")}`,
  });

  const call = async (method: string, url: string, authorization: string | undefined) => {
    const response = await harness.app.inject({
      method: method as "GET",
      url,
      headers: { ...(authorization && { authorization }), ...(method !== "GET" && method !== "DELETE" && { "content-type": "application/json" }) },
      ...(method !== "GET" && method !== "DELETE" && { payload: "{}" }),
    });
    const unrouted = response.statusCode === 404 && /"No route for/.test(response.body);
    return { status: response.statusCode, unrouted };
  };

  it("the README's route table is the server's, route for route", async () => {
    const table = await readmeRoles();
    const guarded = harness.app.routeList.filter((r) => /^\/(api|metrics)(\/|$)/.test(r.url));
    expect(guarded.length).toBeGreaterThan(25);
    const served = new Map(guarded.map((r) => [`${r.method} ${r.url}`, [...(r.roles ?? ["(none declared)"])].sort()]));
    expect(Object.fromEntries(served)).toEqual(Object.fromEntries([...table].map(([route, roles]) => [route, [...roles].sort()])));
    const unexplained = harness.app.routeList.filter((r) => !served.has(`${r.method} ${r.url}`) && !OPEN.test(r.url)).map((r) => `${r.method} ${r.url}`);
    expect(unexplained, "routes that take no key and that the README does not list").toEqual([]);
  });

  it("every route, under every spelling of its path, admits exactly the roles the README gives it", async () => {
    const admitted = (status: number) => status !== 401 && status !== 403;
    const table = await readmeRoles();
    const failures: string[] = [];
    let tried = 0;
    for (const route of harness.app.routeList) {
      const path = route.url.replace(/:\w+/g, "x").replace(/\*$/, "x");
      const roles = table.get(`${route.method} ${route.url}`);
      const plain: Record<string, Awaited<ReturnType<typeof call>>> = {};
      for (const [spelling, url] of Object.entries(spellings(path))) {
        await Promise.all(
          Object.entries(callers()).map(async ([caller, authorization]) => {
            const result = await call(route.method, url, authorization);
            tried++;
            const where = `${caller} → ${route.method} ${url} (${spelling} of ${route.url}): ${result.status}`;
            if (spelling === "plain") plain[caller] = result;
            else if (plain[caller] && plain[caller].status !== result.status && !(roles && admitted(result.status) && admitted(plain[caller].status))) {
              // An admitted call may change what the next one finds (PUT creates, then updates); a refusal may not.
              failures.push(`${where}, plainly ${plain[caller].status}`);
            }
            // A wildcard's handler may itself answer "no such file" for the made-up name.
            if (result.unrouted && !route.url.endsWith("*")) failures.push(`${where}: no route`);
            if (roles !== undefined) {
              const role = caller === "the write key" ? "ingest" : (ROLES as readonly string[]).includes(caller) ? caller : undefined;
              const expected = role === undefined ? [401] : role === "ops" || roles.includes(role) ? undefined : [403];
              if (expected ? !expected.includes(result.status) : [401, 403].includes(result.status)) failures.push(`${where}, expected ${expected ? expected.join("/") : "admitted"}`);
            }
          }),
        );
      }
    }
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(3000);
  }, 120_000);

  it("no path matrix parameter, encoded slash or malformed escape reaches a guarded route without a key", async () => {
    for (const url of ["/api/keys;x", "/api;/keys", "/metrics;", "/%2561pi/keys", "/api%2Fkeys", "/api/keys%", "/api/%E0%A4%A", "/%6detrics?x=1", "/api/keys/..", "/api/customers/%2e%2e/keys"]) {
      const response = await harness.app.inject({ method: "GET", url });
      expect([400, 401, 404], url).toContain(response.statusCode);
      expect(response.json<{ error: { code: string } }>().error.code, url).toMatch(/^[a-z_]+$/);
    }
  });

  it("over a real socket, the reported bypasses answer 401", async () => {
    const raw = (path: string, method = "GET", body?: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(harness.url);
        const request = httpRequest({ host: url.hostname, port: url.port, path, method, headers: body ? { "content-type": "application/json" } : {} }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
        request.end(body);
      });
    expect(await raw("/%61pi/customers?q=a")).toBe(401);
    expect(await raw("/%6detrics")).toBe(401);
    expect(await raw("/%61pi/keys")).toBe(401);
    expect(await raw("/%61pi/customers/user-1", "PUT", JSON.stringify({ email: "mallory@example.com" }))).toBe(401);
    expect(await raw("//api//audit/")).toBe(401);
    expect(await raw("/API/STATUS")).toBe(401);
  });

  it("a route under /api or /metrics without declared roles cannot be registered", async () => {
    const app = Fastify();
    installAccess(app, harness.deps);
    expect(() => app.get("/api/new-thing", async () => ({}))).toThrow(/declares no roles/);
    expect(() => app.post("/API/Other", async () => ({}))).toThrow(/declares no roles/);
    expect(() => app.get("/metrics/extra", async () => ({}))).toThrow(/declares no roles/);
    expect(() => app.get("/api/declared", { config: { roles: ["support"] } }, async () => ({}))).not.toThrow();
    await app.close();
  });

  it("shows a key once, stores only its digest, and refuses it once revoked", async () => {
    const list = (await (await fetch(`${harness.url}/api/keys`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { keys: { id: number; role: string; prefix: string }[] };
    expect(JSON.stringify(list)).not.toContain(present(keys.support, "keys.support"));
    const support = present(list.keys.find((k) => k.role === "support"), "list.keys.find((k) => k.role === 'support')");
    expect(keys.support?.startsWith(support.prefix)).toBe(true);
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
      expect(body.queues.map((q) => q.name).sort()).toEqual(harness.deps.queues.all().map((q) => q.name).sort());
    } finally {
      await harness.stop();
    }
  });
});
