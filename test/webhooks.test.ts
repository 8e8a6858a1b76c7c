import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { DestinationRefusedError, guardedFetcher, parseAllowance } from "../src/webhooks/index.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { present } from "./helpers/present.js";

/** An HTTP server on a loopback address that records what reaches it (and can redirect). */
async function listen(host: string, handler?: (url: string) => { status: number; location?: string }) {
  const hits: { url: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      hits.push({ url: request.url ?? "", headers: request.headers, body });
      const answer = handler?.(request.url ?? "") ?? { status: 200 };
      response.writeHead(answer.status, answer.location ? { location: answer.location } : {}).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const call = (fetcher: ReturnType<typeof guardedFetcher>, url: string) =>
  fetcher(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}", timeoutMs: 3_000 });

describe("webhook destinations", () => {
  let inside: Awaited<ReturnType<typeof listen>>;
  let allowed: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    inside = await listen("127.0.0.1");
    allowed = await listen("127.0.0.2", (url) => (url.startsWith("/to-inside") ? { status: 302, location: `${inside.url}/stolen` } : url.startsWith("/to-localhost") ? { status: 307, location: inside.url.replace("127.0.0.1", "localhost") } : { status: 200 }));
  });
  afterAll(async () => {
    await inside.close();
    await allowed.close();
  });

  const strict = guardedFetcher(parseAllowance([]));
  const permissive = guardedFetcher(parseAllowance(["127.0.0.2"]));

  it("refuses loopback, link-local (cloud metadata), private ranges and names that resolve to loopback", async () => {
    for (const url of [`${inside.url}/x`, "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hook", "http://192.168.1.10/", "http://[::1]:9/", "http://[::ffff:127.0.0.1]:9/", `${inside.url.replace("127.0.0.1", "localhost")}/x`]) {
      await expect(call(strict, url), url).rejects.toBeInstanceOf(DestinationRefusedError);
    }
    expect(inside.hits).toEqual([]);
  });

  it("refuses a redirect to a private address, even from an allowed destination", async () => {
    await expect(call(permissive, `${allowed.url}/to-inside`)).rejects.toBeInstanceOf(DestinationRefusedError);
    await expect(call(permissive, `${allowed.url}/to-localhost`)).rejects.toBeInstanceOf(DestinationRefusedError);
    expect(inside.hits).toEqual([]);
    expect(allowed.hits.map((h) => h.url)).toEqual(["/to-inside", "/to-localhost"]);
  });

  it("calls a destination allowed in WEBHOOK_ALLOW_PRIVATE", async () => {
    const response = await call(permissive, `${allowed.url}/ok`);
    expect(response.status).toBe(200);
  });
});

describe("webhook steps", () => {
  let harness: Harness;
  let team: Awaited<ReturnType<typeof listen>>;
  let inside: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    team = await listen("127.0.0.2");
    inside = await listen("127.0.0.1");
    harness = await startHarness({ worker: true, env: { WEBHOOK_ALLOW_PRIVATE: "127.0.0.2" } });
    const campaign = (id: string, url: string) => `id: ${id}
name: ${id}
category: success
trigger:
  type: event
  name: Big Account Quiet
steps:
  - id: alert
    type: webhook
    url: ${url}
    body:
      channel: "#success"
`;
    await harness.setCampaign("alert-team", campaign("alert-team", `${team.url}/hooks/rekindle`));
    await harness.setCampaign("alert-inside", campaign("alert-inside", `${inside.url}/admin`));
  });
  afterAll(async () => {
    await harness.stop();
    await team.close();
    await inside.close();
  });

  it("post a signed JSON payload to the success team, and refuse a private destination", async () => {
    await fetch(`${harness.url}/api/customers/acme`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: "ops@acme.example", name: "Acme" }),
    });
    await post(harness, "/v1/track", { userId: "acme", event: "Big Account Quiet", properties: { seats: 40 } });
    await dispatchDue(harness.deps);
    let rows: { campaign: string; status: string; outcome: Record<string, unknown> | null }[] = [];
    for (let i = 0; i < 400 && rows.filter((r) => r.status === "sent" || r.status === "failed").length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows = await queryRows(harness.deps.db, z.object({ campaign: z.string(), status: z.string(), outcome: col.jsonObject.nullable() }), sql`select en.campaign_id as campaign, m.status::text as status, m.outcome from messages m join enrollments en on en.id = m.enrollment_id order by en.campaign_id`);
    }
    expect(rows).toMatchObject([
      { campaign: "alert-inside", status: "failed", outcome: { type: "webhook_refused" } },
      { campaign: "alert-team", status: "sent" },
    ]);
    expect(inside.hits).toEqual([]);
    const [hit] = team.hits;
    expect(JSON.parse(present(hit, "hit").body)).toMatchObject({ channel: "#success", campaign: { id: "alert-team" }, customer: { id: "acme", email: "ops@acme.example" }, facts: { properties: { seats: 40 } } });
    const expected = createHmac("sha256", harness.deps.secretKey).update(present(hit, "hit").body).digest("hex");
    expect(hit?.headers["x-rekindle-signature"]).toBe(`sha256=${expected}`);
  });
});
