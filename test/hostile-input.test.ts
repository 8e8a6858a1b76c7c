import { connect } from "node:net";
import { deflateSync, gzipSync } from "node:zlib";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { unsubscribeToken } from "../src/delivery/index.js";
import { API_KEY, basic, count, type ErrorBody, type Harness, startHarness, WRITE_KEY } from "./helpers/harness.js";
import { signed, STRIPE_SECRET, stripeCustomer, stripeEvent } from "./helpers/stripe.js";
import { present } from "./helpers/present.js";

const CAMPAIGN = `id: winback
name: We miss you
category: winback
trigger:
  type: event
  name: Went Quiet
steps:
  - id: hello
    type: email
    template: hello
`;

describe("hostile input", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      env: { HTTP_HEADERS_TIMEOUT: "PT1S", HTTP_BODY_TIMEOUT: "PT2S", STRIPE_WEBHOOK_SECRETS: STRIPE_SECRET },
      campaigns: { winback: CAMPAIGN },
    });
  });
  afterAll(async () => {
    await harness.stop();
  });

  const send = async (method: string, url: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await harness.app.inject({
      method: method as "POST",
      url,
      headers: { "content-type": "application/json", authorization: url.startsWith("/v1") ? basic(WRITE_KEY) : `Bearer ${API_KEY}`, ...headers },
      ...(body !== undefined && { payload: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
    });
    return { status: response.statusCode, body: response.body ? response.json<ErrorBody>() : undefined, headers: response.headers };
  };
  const paths = (body: ErrorBody | undefined) => body?.error.problems.map((p) => p.path) ?? [];

  it("refuses a NUL or half a surrogate pair anywhere — body, key, query, parameter — naming where, storing nothing", async () => {
    const before = await count(harness, "events");
    const track = await send("POST", "/v1/track", { userId: "u-1", event: "Signed\u0000Up", properties: { ok: "fine", ["k\u0000"]: 1, nested: [{ deep: "\ud800" }] } });
    expect(track.status).toBe(400);
    expect(paths(track.body)).toEqual(["event", 'properties."k\\u0000"', "properties.nested[0].deep"]);
    expect(track.body?.error.problems[0]?.message).toMatch(/NUL/);
    expect(track.body?.error.problems[2]?.message).toMatch(/surrogate/);
    expect((await send("POST", "/v1/batch", { batch: [{ type: "identify", userId: "\udc00abc" }] })).status).toBe(400);
    expect(await count(harness, "events")).toBe(before);

    const put = await send("PUT", "/api/customers/u-2", { name: "Ada\u0000", traits: { x: "\ud83d" } });
    expect(paths(put.body)).toEqual(["name", "traits.x"]);
    expect(paths((await send("GET", "/api/customers?q=%00abc", undefined)).body)).toEqual(["query.q"]);
    expect(paths((await send("GET", "/api/customers/ab%00c", undefined)).body)).toEqual(["params.id"]);
    expect(paths((await send("GET", "/api/audit?target=%00", undefined)).body)).toEqual(["query.target"]);
    expect(await count(harness, "customers")).toBe(0);
  });

  it("refuses nesting past 32 levels, however deep, without a 500", async () => {
    const nest = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    const ok = await send("POST", "/v1/track", `{"userId":"u-3","event":"Deep","properties":${nest(30)}}`);
    expect(ok.status).toBe(200);
    const deep = await send("POST", "/v1/track", `{"userId":"u-3","event":"Deep","properties":${nest(40)}}`);
    expect(deep.status).toBe(400);
    expect(deep.body?.error.problems[0]?.message).toMatch(/deeper than 32 levels/);
    const abyss = await send("POST", "/v1/batch", `{"batch":[${"[".repeat(200_000)}${"]".repeat(200_000)}]}`);
    expect(abyss.status).toBe(400);
  });

  it("keeps times within 1970–2099 and corrects a client's clock by at most a day", async () => {
    const year0 = await send("POST", "/v1/track", { userId: "u-4", event: "Old", timestamp: "0000-01-01T00:00:00Z" });
    expect(year0.status).toBe(400);
    expect(year0.body?.error.problems).toEqual([{ path: "timestamp", message: expect.stringMatching(/1970/) }]);
    expect((await send("POST", "/v1/track", { userId: "u-4", event: "Late", timestamp: "2100-01-01T00:00:00Z" })).status).toBe(400);
    expect((await send("PUT", "/api/customers/u-4", { subscription: { status: "active", currentPeriodEnd: "9999-12-31" } })).status).toBe(400);
    expect((await send("GET", "/api/reports/churn?from=0001-01-01", undefined)).status).toBe(400);

    const timestamp = "2026-01-01T10:00:00.000Z";
    expect((await send("POST", "/v1/track", { userId: "u-4", event: "Skewed", messageId: "skew-1", timestamp, sentAt: "1970-01-01T00:00:00Z" })).status).toBe(200);
    const [event] = await queryRows(harness.deps.db, z.object({ ms: col.int }), sql`select (extract(epoch from occurred_at) * 1000)::float8 as ms from events where message_id = 'skew-1'`);
    expect(new Date(present(event, "event skew-1").ms).toISOString()).toBe(timestamp);

    expect((await send("POST", "/v1/identify", { userId: "u-5", traits: { createdAt: "0000-06-01T00:00:00Z" } })).status).toBe(200);
    expect((await send("POST", "/v1/identify", { userId: "u-6", traits: { createdAt: -62_000_000_000 } })).status).toBe(200);
    const profiles = await queryRows(
      harness.deps.db,
      z.object({ external_id: z.string(), signed_up_at: col.timestamp.nullable(), traits: col.jsonObject }),
      sql`select external_id, signed_up_at, traits from customers where external_id in ('u-5', 'u-6') order by external_id`,
    );
    expect(profiles).toEqual([
      { external_id: "u-5", signed_up_at: null, traits: { createdAt: "0000-06-01T00:00:00Z" } },
      { external_id: "u-6", signed_up_at: null, traits: { createdAt: -62_000_000_000 } },
    ]);
  });

  it("answers the router's and the parser's own errors in Rekindle's shape", async () => {
    const shape = { error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String), problems: expect.any(Array) } };
    const long = await send("GET", `/api/customers/${"x".repeat(5000)}`, undefined);
    expect(long).toMatchObject({ status: 414, body: shape });
    const overlong = await send("GET", `/api/customers/${"x".repeat(300)}`, undefined);
    expect(overlong).toMatchObject({ status: 400, body: { error: { problems: [{ path: "params.id" }] } } });
    const id200 = "y".repeat(200);
    expect((await send("POST", "/v1/identify", { userId: id200 })).status).toBe(200);
    expect((await send("GET", `/api/customers/${id200}`, undefined)).status).toBe(200);
    expect(await send("GET", "/api/customers/%E0%A4%A", undefined)).toMatchObject({ status: 400, body: shape });
    expect(await send("POST", "/v1/track", "<xml/>", { "content-type": "application/xml" })).toMatchObject({ status: 415, body: shape });
    const binary = await send("POST", "/v1/track", Buffer.from([0x1f, 0x8b, 0x08, 0, 0xff, 0xfe]));
    expect(binary).toMatchObject({ status: 400, body: shape });
    expect(JSON.stringify(binary.body)).not.toMatch(/\\u001f|\\ufffd|�/);
    expect(await send("POST", "/v1/track", { userId: "u", event: "x".repeat(40_000) })).toMatchObject({ status: 413, body: shape });
  });

  it("takes gzip and deflate bodies on /v1, counting the limits after decompression", async () => {
    const before = await count(harness, "events");
    const gz = await send("POST", "/v1/track", gzipSync(JSON.stringify({ userId: "gz-1", event: "Zipped" })), { "content-encoding": "gzip" });
    expect(gz.status).toBe(200);
    const deflated = await send("POST", "/v1/batch", deflateSync(JSON.stringify({ batch: [{ type: "track", userId: "gz-1", event: "Deflated" }] })), { "content-encoding": "deflate" });
    expect(deflated.status).toBe(200);
    expect(await count(harness, "events")).toBe(before + 2);

    // 5 MB of padding squeezes into about 5 KB: under the limit on the wire, far over it inflated.
    const bomb = gzipSync(JSON.stringify({ batch: [{ type: "track", userId: "gz-1", event: "Bomb", properties: { pad: "0".repeat(5_000_000) } }] }));
    expect(bomb.length).toBeLessThan(32 * 1024);
    const response = await fetch(`${harness.url}/v1/batch`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip", authorization: basic(WRITE_KEY) }, body: bomb });
    expect(response.status).toBe(413);
    expect(((await response.json()) as ErrorBody).error.code).toBe("payload_too_large");
    expect(await count(harness, "events")).toBe(before + 2);

    expect((await send("POST", "/v1/track", Buffer.from("not gzip at all"), { "content-encoding": "gzip" })).status).toBe(400);
    expect((await send("POST", "/v1/track", gzipSync("{}"), { "content-encoding": "br" })).status).toBe(415);
    expect((await send("PUT", "/api/customers/gz-1", gzipSync("{}"), { "content-encoding": "gzip" })).status).toBe(415);
    // A request without a body has nothing to decompress, whatever its headers say.
    expect((await send("GET", "/api/customers?q=gz", undefined, { "content-encoding": "gzip" })).status).toBe(200);
  });

  it("closes a connection whose body trickles in, with a 408 in Rekindle's shape", async () => {
    const url = new URL(harness.url);
    const trickle = (head: string, drip: string) =>
      new Promise<{ text: string; ms: number }>((resolve, reject) => {
        const started = Date.now();
        const socket = connect(Number(url.port), url.hostname);
        let text = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => (text += chunk));
        socket.on("error", reject);
        socket.write(head);
        const timer = setInterval(() => socket.writable && socket.write(drip), 300);
        socket.on("close", () => {
          clearInterval(timer);
          resolve({ text, ms: Date.now() - started });
        });
      });
    const body = await trickle(`POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(WRITE_KEY)}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`, " ");
    expect(body.text).toMatch(/^HTTP\/1\.1 408/);
    expect(JSON.parse(body.text.slice(body.text.indexOf("\r\n\r\n") + 4))).toMatchObject({ error: { code: "request_timeout" } });
    expect(body.ms).toBeGreaterThanOrEqual(1_900);
    expect(body.ms).toBeLessThan(5_000);
    const headers = await trickle("GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n");
    expect(headers.text).toMatch(/^HTTP\/1\.1 408/);
    expect(headers.ms).toBeLessThan(4_000);
  }, 15_000);

  it("one-click unsubscribe works in every encoding a mail client may use, with one token spelling", async () => {
    await send("POST", "/v1/identify", { userId: "oc-1", traits: { email: "oc@example.com" } });
    await send("POST", "/v1/track", { userId: "oc-1", event: "Went Quiet" });
    const [message] = await queryRows(harness.deps.db, z.object({ id: col.int8 }), sql`select m.id from messages m join customers c on c.id = m.customer_id where c.external_id = 'oc-1'`);
    const token = unsubscribeToken(harness.deps.secretKey, present(message, "the email to oc-1").id);
    const suppressions = () => queryRows(harness.deps.db, z.object({ category: z.string().nullable(), detail: z.string().nullable() }), sql`select category, detail from suppressions where email = 'oc@example.com'`);
    const unsubscribe = async (headers: Record<string, string>, body?: string | Buffer) => {
      await harness.deps.db.execute(sql`delete from suppressions`);
      const response = await fetch(`${harness.url}/unsubscribe/${token}`, { method: "POST", headers, ...(body !== undefined && { body }), redirect: "manual" });
      return { status: response.status, page: await response.text() };
    };

    const boundary = "----mailclient7d1";
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    expect(await unsubscribe({ "content-type": `multipart/form-data; boundary=${boundary}` }, multipart)).toMatchObject({ status: 200, page: expect.stringContaining("You are unsubscribed") });
    expect(await suppressions()).toEqual([{ category: "winback", detail: "one-click" }]);
    expect((await unsubscribe({ "content-type": "application/x-www-form-urlencoded" }, "List-Unsubscribe=One-Click")).status).toBe(200);
    expect(await suppressions()).toEqual([{ category: "winback", detail: "one-click" }]);
    expect((await unsubscribe({})).status).toBe(200);
    expect((await unsubscribe({ "content-type": "application/octet-stream" }, "whatever")).status).toBe(200);
    expect(await suppressions()).toEqual([{ category: "winback", detail: "unsubscribe page" }]);

    const [id, signature] = token.split(".");
    expect((await unsubscribe({ "content-type": "application/x-www-form-urlencoded" }, "List-Unsubscribe=One-Click")).status).toBe(200);
    await harness.deps.db.execute(sql`delete from suppressions`);
    for (const variant of [`0${id}.${signature}`, `00${id}.${signature}`, `${present(id, "id").toUpperCase()}.${signature}`]) {
      if (variant === token) continue;
      const response = await fetch(`${harness.url}/unsubscribe/${variant}`, { method: "POST" });
      expect(response.status, variant).toBe(400);
    }
    expect(await suppressions()).toEqual([]);
  });

  it("acknowledges a signed Stripe event it cannot apply, recording it as ignored with the reason", async () => {
    const deliver = async (event: unknown, timestamp?: number) => {
      const body = signed(event, timestamp ? { timestamp } : {});
      const response = await fetch(`${harness.url}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": body.header }, body: body.payload });
      return { status: response.status, body: (await response.json()) as { outcome?: string; reason?: string; error?: { code: string } } };
    };
    const now = new Date();
    const future = await deliver(stripeEvent("customer.created", stripeCustomer("cus_F", "f@example.com"), now), Math.floor(now.getTime() / 1000) + 3600);
    expect(future).toMatchObject({ status: 400, body: { error: { code: "invalid_signature" } } });

    const cases = [
      { ...stripeEvent("customer.created", stripeCustomer("cus_N", "nul\u0000@example.com"), now) },
      { ...stripeEvent("customer.created", stripeCustomer("cus_Y", "y@example.com"), now), created: -62_167_219_200 },
      { ...stripeEvent("customer.created", stripeCustomer("cus_Z", "z@example.com"), now), data: { object: null } },
      stripeEvent("customer.subscription.created", { id: "sub_W", object: "subscription", customer: "cus_W", status: "active", items: { data: [{ quantity: 1e300, price: { unit_amount: 1e300, currency: "eur", recurring: { interval: "month" } } }] } }, now),
      stripeEvent("charge.refunded", { id: "ch_1", object: "charge" }, now),
    ];
    for (const event of cases) {
      const result = await deliver(event);
      expect(result, JSON.stringify(event).slice(0, 120)).toMatchObject({ status: 200, body: { outcome: "ignored", reason: expect.any(String) } });
    }
    const rows = await queryRows(harness.deps.db, z.object({ id: z.string(), outcome: z.string(), reason: z.string() }), sql`select id, outcome, reason from stripe_events order by received_at, id`);
    expect(rows).toHaveLength(cases.length);
    expect(rows.every((row) => row.outcome === "ignored" && row.reason.length > 0)).toBe(true);
    expect(rows.map((r) => r.reason).join("\n")).toMatch(/NUL/);
    expect(await count(harness, "stripe_customers")).toBe(0);
    // Delivered again, it is a duplicate: acknowledged, nothing more.
    expect((await deliver(cases[0])).body.outcome).toBe("duplicate");
  });
});

describe("a request that takes too long", () => {
  it("is answered 503 with Retry-After in Rekindle's shape once HTTP_REQUEST_TIMEOUT has passed", async () => {
    const harness = await startHarness({ env: { HTTP_REQUEST_TIMEOUT: "PT1S" } });
    const blocker = new pg.Client({ connectionString: harness.config.database.url });
    await blocker.connect();
    try {
      // Holding the customers table stalls the search behind it, as a stuck query would.
      await blocker.query("begin; lock table customers in access exclusive mode");
      const started = Date.now();
      const response = await fetch(`${harness.url}/api/customers?q=a`, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(await response.json()).toMatchObject({ error: { code: "timeout", message: expect.stringMatching(/HTTP_REQUEST_TIMEOUT/) } });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await blocker.query("rollback").catch(() => {});
      await blocker.end();
      await harness.stop();
    }
  });
});
