import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows } from "../src/db/index.js";
import { API_KEY, basic, type Harness, startHarness, WRITE_KEY } from "./helpers/harness.js";
import { signed, STRIPE_SECRET } from "./helpers/stripe.js";
import { present } from "./helpers/present.js";

/**
 * Property-based fuzzing of every way in: /v1, the /api bodies, queries and path parameters, and
 * signed Stripe deliveries. Seeded, so a failure replays exactly (fast-check prints the seed and
 * the shrunk counterexample). Each input must get an answer below 500 in Rekindle's error shape,
 * with no stack trace or internals, and a refused request must leave every table as it was.
 */
const SEED = 15_2026;
const RUNS = { segment: 3_000, batch: 1_000, apiBodies: 2_500, apiQueries: 2_500, stripe: 1_500 };

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

/** What no answer may contain: a stack frame, a file of ours, an internal name, an SQL text. */
const INTERNALS = /\n\s+at |node_modules|\.ts:\d+|\/work\/|\[object Object\]|DrizzleQueryError|Failed query|SQLSTATE|syntax error at|pg_|ZodError|FST_ERR|TypeError|RangeError|Handlebars/;


// ---- arbitraries -------------------------------------------------------------------------------

const nasty = fc.constantFrom(
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x\udc00y",
  "\ud83d\ude00",
  "😀",
  "\u202eevil",
  "'; drop table customers; --",
  "{{customer.email}}",
  "{{#each this}}{{/each}}",
  "<script>alert(1)</script>",
  "%00",
  "%zz",
  "../../etc/passwd",
  "NaN",
  "Infinity",
  "null",
  "__proto__",
  "constructor",
  "0000-01-01T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "+275760-09-13T00:00:00Z",
  "9999-12-31",
  "2100-01-01T00:00:00Z",
  "1969-12-31T23:59:59Z",
  "2026-02-30",
  "2026-11-22T10:00:00Z",
  "P1D",
  "PT0S",
  "Europe/Stockholm",
  "Mars/Olympus",
  "sv-SE",
  "x".repeat(256),
  "é".repeat(300),
  "a@b.c",
  "UPPER@EXAMPLE.COM",
  "",
  " ",
);
// Mostly strings a validator accepts (so they reach the handlers and PostgreSQL), often ones meant to hurt.
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 2, arbitrary: nasty },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1e308, -1e308, 2 ** 53 + 1, 1_700_000_000, 1_700_000_000_000, 4_102_444_800, -62_167_219_200, 1e21),
);
const validWhen = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2035-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
const when = fc.oneof(
  { weight: 9, arbitrary: validWhen },
  { weight: 1, arbitrary: fc.oneof(text, number, fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? "Invalid Date" : d.toISOString()))) },
);
/** Mostly what a field expects, sometimes anything: so that hostile values reach the handlers and the database, not only the validators. */
const mostly = <T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<unknown> = text) => fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: hostile });
const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null));
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("json"), { maxLength: 4 }), fc.dictionary(text, tie("json"), { maxKeys: 4 })),
}));
const nested = fc.integer({ min: 28, max: 400 }).map((depth) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
});
const anyJson = fc.oneof({ weight: 12, arbitrary: json }, { weight: 1, arbitrary: nested });

const free = fc.dictionary(text, json, { maxKeys: 5 });
const traits = fc.record(
  {
    email: mostly(fc.emailAddress()),
    name: text,
    firstName: text,
    createdAt: mostly(fc.oneof(validWhen, fc.integer({ min: 0, max: 2_000_000_000 })), when),
    timezone: mostly(fc.constantFrom("Europe/Stockholm", "UTC", "America/New_York")),
    locale: mostly(fc.constantFrom("sv-SE", "en", "pt-BR")),
    plan: text,
    extra: anyJson,
  },
  { requiredKeys: [] },
);
const identity = fc.oneof({ weight: 6, arbitrary: fc.constantFrom("fuzz-user-1", "fuzz-user-2", "fuzz-user-3") }, { weight: 3, arbitrary: text }, { weight: 1, arbitrary: number });
const segmentMessage = fc.record(
  {
    type: fc.constantFrom("identify", "track", "page", "screen", "group", "alias"),
    userId: identity,
    anonymousId: identity,
    messageId: mostly(fc.uuid()),
    event: fc.oneof(text, fc.constant("Went Quiet")),
    name: text,
    category: text,
    groupId: identity,
    previousId: identity,
    timestamp: when,
    sentAt: when,
    traits: mostly(traits, anyJson),
    properties: mostly(free, anyJson),
    context: mostly(fc.record({ locale: text, timezone: text, page: free, ip: text }, { requiredKeys: [] }), anyJson),
  },
  { requiredKeys: ["userId"] },
).map((message) => message as Record<string, unknown>);
/** Percent-encodes any string, lone surrogates included (as the WTF-8 bytes a hostile client would send). */
function encode(value: string): string {
  let out = "";
  for (const char of value) {
    const cp = present(char.codePointAt(0), "char.codePointAt(0)");
    const bytes = cp >= 0xd800 && cp <= 0xdfff ? Buffer.from([0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]) : Buffer.from(char);
    for (const byte of bytes) out += /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
const segment = fc.oneof({ weight: 8, arbitrary: text.map(encode) }, { weight: 1, arbitrary: fc.constantFrom("%zz", "%", "%E0%A4%A", "%2F", "..", ".", "fuzz-user-1", "winback", "hello", "1") });
const query = fc.dictionary(fc.oneof(fc.constantFrom("q", "limit", "target", "type", "from", "to", "campaign", "sample", "customer", "locale", "email"), text), fc.oneof(text, number.map(String)), { maxKeys: 4 }).map((entries) =>
  Object.entries(entries)
    .map(([key, value]) => `${encode(key)}=${encode(value)}`)
    .join("&"),
);

// ---- the harness and the checks ----------------------------------------------------------------

describe("fuzzing every way in", () => {
  let harness: Harness;
  let tried = 0;
  let last = 0;
  /** Answers by class, so the run shows it reached the handlers (2xx) as well as the refusals (4xx). */
  const answers: Record<string, number> = {};
  beforeAll(async () => {
    harness = await startHarness({ env: { STRIPE_WEBHOOK_SECRETS: STRIPE_SECRET }, campaigns: { winback: CAMPAIGN } });
    // Every row written to any table of this test's own database is counted, in the writing
    // transaction (a rolled-back write counts nothing): one indexed read then tells whether a
    // request stored, changed or deleted anything, where counting each table took most of the run.
    await harness.deps.db.execute(sql`create table fuzz_writes (n bigint not null); insert into fuzz_writes values (0)`);
    await harness.deps.db.execute(sql`create function fuzz_count() returns trigger language plpgsql as $$ begin update fuzz_writes set n = n + 1; return null; end $$`);
    const tables = await queryRows(harness.deps.db, z.object({ name: z.string() }), sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'fuzz_writes'
          and table_name not in (select relname from pg_class where relispartition)`);
    expect(tables.length).toBeGreaterThan(10);
    // A partitioned table's trigger reaches its partitions, those made later included.
    for (const { name } of tables) await harness.deps.db.execute(sql.raw(`create trigger fuzz_count after insert or update or delete on "${name}" for each row execute function fuzz_count()`));
    last = await fingerprint();
  });
  afterAll(async () => {
    await harness.stop();
  });

  /** How many rows have been written so far. */
  async function fingerprint(): Promise<number> {
    const [row] = await queryRows(harness.deps.db, z.object({ n: z.string() }), sql`select n::text from fuzz_writes`);
    return Number(present(row, "the count of fuzz writes").n);
  }

  /** Sends one request and checks everything an answer must be. */
  async function check(request: { method: string; url: string; headers?: Record<string, string>; body?: string | Buffer }, accept: (status: number) => boolean = () => true) {
    tried++;
    const response = await harness.app.inject({ method: request.method as "GET", url: request.url, headers: request.headers ?? {}, ...(request.body !== undefined && { payload: request.body }) });
    const where = `${request.method} ${request.url.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
    expect(response.statusCode, where).toBeLessThan(500);
    expect(accept(response.statusCode), where).toBe(true);
    expect(response.body, where).not.toMatch(INTERNALS);
    // The queue dashboard's own API keeps bull-board's error shape, which its page reads.
    if (response.statusCode >= 400 && (response.headers["content-type"] ?? "").toString().startsWith("application/json") && !request.url.startsWith("/ops/")) {
      expect(response.json(), where).toEqual({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String), problems: expect.any(Array) } });
    }
    const kind = `${request.url.split(/[/?]/)[1]} ${Math.floor(response.statusCode / 100)}xx`;
    answers[kind] = (answers[kind] ?? 0) + 1;
    const now = await fingerprint();
    if (response.statusCode >= 400) expect(now, `a refused request wrote rows: ${where}`).toBe(last);
    last = now;
  }

  const json = (value: unknown) => {
    try {
      return JSON.stringify(value) ?? "null";
    } catch {
      return "[]";
    }
  };
  const auth = fc.oneof(
    { weight: 8, arbitrary: fc.constant<Record<string, string>>({ authorization: basic(WRITE_KEY) }) },
    { weight: 1, arbitrary: fc.constantFrom<Record<string, string>>({}, { authorization: "Basic !!!" }, { authorization: basic("not-the-key-00000000") }) },
  );
  const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/json; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "") });

  it(`/v1 single calls: ${RUNS.segment} generated messages`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("identify", "track", "page", "screen", "group", "alias"),
        fc.oneof({ weight: 8, arbitrary: segmentMessage }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) }),
        auth,
        contentType,
        fc.constantFrom("same", "same", "same", "none", "track"),
        async (type, message, headers, mediaType, named) => {
          // The path names the type; a message that names another is one more thing to refuse.
          const typed = named === "none" ? {} : { type: named === "same" ? type : named };
          const body = typeof message === "string" ? message : json(message && typeof message === "object" && !Array.isArray(message) ? { ...message, ...typed } : message);
          return check({ method: "POST", url: `/v1/${type}`, headers: { ...headers, ...(mediaType && { "content-type": mediaType }) }, body });
        },
      ),
      { seed: SEED, numRuns: RUNS.segment },
    );
  }, 120_000);

  it(`/v1/batch: ${RUNS.batch} generated batches`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ batch: fc.oneof(fc.array(segmentMessage, { maxLength: 5 }), anyJson), sentAt: when, context: anyJson, writeKey: text }, { requiredKeys: ["batch"] }),
        auth,
        async (body, headers) => check({ method: "POST", url: "/v1/batch", headers: { ...headers, "content-type": "application/json" }, body: json(body) }),
      ),
      { seed: SEED, numRuns: RUNS.batch },
    );
  }, 120_000);

  it(`/api bodies: ${RUNS.apiBodies} generated requests`, async () => {
    const subscription = fc.record(
      {
        id: mostly(fc.constantFrom("sub_1", "sub_2")),
        status: mostly(fc.constantFrom("active", "past_due", "canceled", "paused", "trialing")),
        plan: fc.oneof(text, fc.constant(null)),
        mrrMinor: mostly(fc.integer({ min: 0, max: 1_000_000 }), number),
        currency: mostly(fc.constantFrom("EUR", "usd", "SEK")),
        startedAt: when,
        trialEndsAt: when,
        currentPeriodEnd: when,
        cancelAtPeriodEnd: mostly(fc.boolean()),
        pausedAt: when,
        canceledAt: when,
        asOf: when,
      },
      { requiredKeys: ["status"] },
    );
    const paymentMethod = fc.record(
      { id: mostly(fc.constantFrom("pm_1", "pm_2")), brand: text, last4: mostly(fc.constant("4242")), expMonth: mostly(fc.integer({ min: 1, max: 12 }), number), expYear: mostly(fc.integer({ min: 2020, max: 2070 }), number), isDefault: fc.boolean(), detached: fc.boolean(), asOf: when },
      { requiredKeys: ["expMonth", "expYear"] },
    );
    const customerBody = fc.record(
      {
        email: mostly(fc.oneof(fc.emailAddress(), fc.constant(null))),
        name: fc.oneof(text, fc.constant(null)),
        locale: mostly(fc.constantFrom("sv-SE", "en", null)),
        timezone: mostly(fc.constantFrom("Europe/Stockholm", "UTC", null)),
        plan: text,
        signedUpAt: when,
        traits: mostly(free, anyJson),
        subscription: mostly(subscription, anyJson),
        paymentMethod: mostly(paymentMethod, anyJson),
      },
      { requiredKeys: [] },
    );
    const holdBody = fc.record({ reason: text, until: when, block: mostly(fc.constantFrom("P1D", "PT1H")) }, { requiredKeys: ["reason"] });
    const suppressBody = fc.record({ email: mostly(fc.emailAddress()), category: mostly(fc.constantFrom("winback", "all")), reason: mostly(fc.constantFrom("manual", "complaint")), detail: text }, { requiredKeys: ["email"] });
    const request = fc.oneof(
      fc.tuple(fc.constant("PUT"), mostly(fc.constantFrom("fuzz-user-1", "fuzz-user-2"), segment).map((id) => `/api/customers/${String(id)}`), mostly(customerBody, anyJson)),
      fc.tuple(fc.constantFrom("POST"), fc.tuple(mostly(fc.constantFrom("fuzz-user-1", "fuzz-user-2"), segment), fc.constantFrom("pause", "resume", "stop")).map(([id, act]) => `/api/customers/${String(id)}/${act}`), mostly(holdBody, anyJson)),
      fc.tuple(fc.constantFrom("POST"), fc.tuple(fc.oneof(segment, fc.constant("winback")), fc.constantFrom("pause", "resume")).map(([id, act]) => `/api/campaigns/${id}/${act}`), fc.oneof(holdBody, anyJson)),
      fc.tuple(fc.constantFrom("POST", "DELETE"), fc.constantFrom("/api/suppressions", "/api/complaints"), mostly(suppressBody, anyJson)),
      fc.tuple(fc.constant("POST"), fc.constantFrom("/api/keys"), fc.oneof(fc.record({ name: text, role: fc.oneof(fc.constantFrom("support", "ops"), text) }, { requiredKeys: [] }), anyJson)),
      fc.tuple(fc.constant("POST"), fc.tuple(fc.oneof(segment, fc.constant("winback")), fc.oneof(segment, fc.constant("hello"))).map(([id, step]) => `/api/campaigns/${id}/steps/${step}/test-send`), fc.oneof(fc.record({ to: fc.oneof(fc.emailAddress(), text), customer: text, locale: text }, { requiredKeys: [] }), anyJson)),
      fc.tuple(fc.constantFrom("POST"), fc.constantFrom("/api/pause-all", "/api/resume-all"), fc.oneof(holdBody, anyJson)),
    );
    await fc.assert(
      fc.asyncProperty(request, contentType, async ([method, url, body], type) =>
        check({ method, url, headers: { authorization: `Bearer ${API_KEY}`, ...(type && { "content-type": type }) }, body: json(body) }),
      ),
      { seed: SEED, numRuns: RUNS.apiBodies },
    );
  }, 120_000);

  it(`/api queries and parameters: ${RUNS.apiQueries} generated requests`, async () => {
    const path = fc.oneof(
      fc.constant("/api/customers"),
      segment.map((id) => `/api/customers/${id}`),
      segment.map((id) => `/api/customers/${id}/timeline`),
      fc.constantFrom("/api/audit", "/api/suppressions", "/api/reports/campaigns", "/api/reports/churn", "/api/campaigns", "/api/keys", "/api/status", "/api/me", "/metrics"),
      fc.oneof(segment, fc.constant("winback")).map((id) => `/api/campaigns/${id}`),
      fc.tuple(fc.oneof(segment, fc.constant("winback")), fc.constantFrom("dry-run", "report", "emails")).map(([id, what]) => `/api/campaigns/${id}/${what}`),
      fc.tuple(fc.oneof(segment, fc.constant("winback")), fc.oneof(segment, fc.constant("hello"))).map(([id, step]) => `/api/campaigns/${id}/steps/${step}/preview`),
      segment.map((token) => `/unsubscribe/${token}`),
      fc.tuple(fc.oneof(segment, fc.constant("send")), segment).map(([queue, job]) => `/ops/queues/api/queues/${queue}/${job}`),
      fc.oneof(segment, fc.constant("send")).map((queue) => `/ops/queues/queue/${queue}`),
    );
    const dashboard = `Basic ${Buffer.from(`ops:${API_KEY}`).toString("base64")}`;
    await fc.assert(
      fc.asyncProperty(path, query, fc.constantFrom("GET", "GET", "GET", "DELETE"), async (url, search, method) =>
        check({ method: method === "DELETE" && !url.startsWith("/api/keys") ? "GET" : method, url: `${method === "DELETE" && url.startsWith("/api/keys") ? `${url}/${search.slice(0, 8) || "1"}` : url}${search ? `?${search}` : ""}`, headers: { authorization: url.startsWith("/ops/") ? dashboard : `Bearer ${API_KEY}` } }),
      ),
      { seed: SEED, numRuns: RUNS.apiQueries },
    );
  }, 120_000);

  it(`Stripe deliveries, signed: ${RUNS.stripe} generated events, each acknowledged`, async () => {
    const types = fc.oneof(
      fc.constantFrom(
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "payment_method.attached",
        "payment_method.updated",
        "payment_method.detached",
        "customer.source.expiring",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.trial_will_end",
        "invoice.payment_failed",
        "invoice.paid",
      ),
      text,
    );
    const seconds = fc.oneof(fc.integer({ min: 0, max: 4_102_444_799 }), number, fc.constant(null));
    const price = fc.record({ unit_amount: fc.oneof(number, fc.constant(null)), unit_amount_decimal: fc.oneof(text, fc.constant(null)), currency: text, nickname: fc.oneof(text, fc.constant(null)), recurring: fc.oneof(fc.record({ interval: fc.oneof(fc.constantFrom("day", "week", "month", "year"), text), interval_count: number }), fc.constant(null)) }, { requiredKeys: [] });
    const object = fc.record(
      {
        id: fc.oneof(text, fc.constantFrom("cus_1", "sub_1", "pm_1", "in_1")),
        object: text,
        customer: fc.oneof(text, fc.constant("cus_1"), fc.constant(null), anyJson),
        email: fc.oneof(text, fc.emailAddress(), fc.constant(null)),
        name: fc.oneof(text, fc.constant(null)),
        metadata: fc.oneof(fc.dictionary(fc.constantFrom("user_id", "other"), text), anyJson),
        preferred_locales: fc.oneof(fc.array(text, { maxLength: 2 }), anyJson),
        status: fc.oneof(fc.constantFrom("active", "canceled", "paused", "past_due"), text),
        currency: text,
        start_date: seconds,
        trial_end: seconds,
        canceled_at: seconds,
        current_period_end: seconds,
        cancel_at_period_end: fc.oneof(fc.boolean(), anyJson),
        items: fc.oneof(fc.record({ data: fc.array(fc.record({ quantity: fc.oneof(number, fc.constant(null)), current_period_end: seconds, price: fc.oneof(price, anyJson) }, { requiredKeys: [] }), { maxLength: 3 }) }), anyJson),
        card: fc.oneof(fc.record({ brand: text, last4: text, exp_month: number, exp_year: number }), fc.constant(null), anyJson),
        brand: text,
        last4: text,
        exp_month: number,
        exp_year: number,
        amount_due: number,
        amount_paid: number,
        attempt_count: number,
        customer_email: fc.oneof(text, fc.constant(null)),
        next_payment_attempt: seconds,
        hosted_invoice_url: fc.oneof(text, fc.constant(null)),
        extra: anyJson,
      },
      { requiredKeys: [] },
    );
    let counter = 0;
    const event = fc.record(
      { type: types, created: fc.oneof(fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }), seconds, text), data: fc.oneof(fc.record({ object: fc.oneof({ weight: 6, arbitrary: object }, { weight: 1, arbitrary: anyJson }) }), anyJson), id: fc.option(text, { freq: 5 }) },
      { requiredKeys: ["type", "created", "data"] },
    );
    await fc.assert(
      fc.asyncProperty(event, async ({ id, ...rest }) => {
        const body = signed({ id: id ?? `evt_fuzz_${++counter}`, object: "event", ...rest });
        await check({ method: "POST", url: "/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": body.header }, body: body.payload }, (status) => status === 200);
      }),
      { seed: SEED, numRuns: RUNS.stripe },
    );
  }, 120_000);

  it("sent at least 10,000 inputs, and the process still answers over HTTP", async () => {
    expect(tried).toBeGreaterThanOrEqual(10_000);
    for (const kind of ["v1 2xx", "v1 4xx", "api 2xx", "api 4xx", "webhooks 2xx"]) expect(answers[kind], `${kind} in ${JSON.stringify(answers)}`).toBeGreaterThan(200);
    const health = await fetch(`${harness.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await fingerprint()).toBeGreaterThan(1_000);
  });
});
