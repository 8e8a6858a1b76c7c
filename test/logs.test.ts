import { generateKeyPairSync } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { warnAboutDevelopmentKeys } from "../src/cli/services.js";
import { loadConfig } from "../src/config/index.js";
import { queryRows } from "../src/db/index.js";
import { unsubscribeToken } from "../src/delivery/index.js";
import { signToken } from "../src/tokens/index.js";
import { API_KEY, basic, type Harness, startHarness, WRITE_KEY } from "./helpers/harness.js";
import { signed, STRIPE_SECRET, stripeCustomer, stripeEvent } from "./helpers/stripe.js";
import { present } from "./helpers/present.js";

const SMTP_PASSWORD = "smtp-Passw0rd-never-logged";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const DKIM_KEY = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
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

describe("logs carry no secret, at any level", () => {
  let harness: Harness;
  const lines: string[] = [];
  const keys: string[] = [];
  beforeAll(async () => {
    harness = await startHarness({
      logTo: { write: (line: string) => void lines.push(line) },
      campaigns: { winback: CAMPAIGN },
      env: {
        LOG_LEVEL: "trace",
        STRIPE_WEBHOOK_SECRETS: STRIPE_SECRET,
        // Never connected to in this test: only its password matters.
        SMTP_URL: `smtp://rekindle:${SMTP_PASSWORD}@127.0.0.1:2`,
        DKIM_DOMAIN: "acme.example",
        DKIM_SELECTOR: "rk",
        DKIM_PRIVATE_KEY: DKIM_KEY.replace(/\n/g, "\\n"),
      },
    });
  });
  afterAll(async () => {
    await harness.stop();
  });

  it("neither keys, signing secrets, tokens, passwords nor the parameters of failed SQL", async () => {
    const api = (method: string, url: string, authorization: string, body?: unknown) =>
      fetch(`${harness.url}${url}`, { method, headers: { authorization, "content-type": "application/json" }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    for (const role of ["ingest", "support", "marketer", "ops"]) {
      const created = (await (await api("POST", "/api/keys", `Bearer ${API_KEY}`, { name: role, role })).json()) as { key: string };
      keys.push(created.key);
      await api("GET", "/api/me", `Bearer ${created.key}`);
      await api("GET", "/api/status", `Bearer ${created.key}`);
      // A key sent where it does not belong: as a write key, and as Basic.
      await api("POST", "/v1/track", basic(created.key), { userId: "u", event: "x" });
      await api("POST", "/v1/track", "", { userId: "u", event: "x", writeKey: created.key });
    }
    await api("GET", "/api/customers?q=private.query%40example.com", `Bearer ${API_KEY}`);
    await api("GET", "/metrics", `Bearer ${API_KEY}`);
    await api("POST", "/v1/identify", basic(WRITE_KEY), { userId: "logged-1", traits: { email: "private.person@example.com" } });
    await api("POST", "/v1/track", basic(WRITE_KEY), { userId: "logged-1", event: "Went Quiet" });
    await api("POST", "/v1/track", "", { userId: "logged-1", event: "Body key", writeKey: WRITE_KEY });
    await api("GET", "/api/keys", "Bearer rk_ops_SomeoneGuessingAKey0000000000");
    await api("GET", "/api/keys", basic("a-wrong-write-key-000000"));
    const ops = Buffer.from(`ops:${API_KEY}`).toString("base64");
    await fetch(`${harness.url}/ops/queues/api/queues`, { headers: { authorization: `Basic ${ops}` } });

    const stripe = signed(stripeEvent("customer.created", stripeCustomer("cus_L", "stripe.person@example.com"), new Date()));
    await fetch(`${harness.url}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": stripe.header }, body: stripe.payload });
    const [message] = await queryRows(harness.deps.db, z.object({ id: z.string() }), sql`select id::text from messages limit 1`);
    const token = unsubscribeToken(harness.deps.secretKey, Number(present(message, "an email").id));
    await fetch(`${harness.url}/unsubscribe/${token}`);
    await fetch(`${harness.url}/unsubscribe/${token}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    const [customer] = await queryRows(harness.deps.db, z.object({ id: z.string() }), sql`select id::text from customers where external_id = 'logged-1'`);
    const cardToken = signToken(harness.deps.secretKey, "card-update", present(customer, "customer logged-1").id, new Date(Date.now() + 3_600_000));
    await fetch(`${harness.url}/card/${cardToken}`, { redirect: "manual" });

    // A statement that fails with customer data among its parameters, logged as the code logs faults.
    const failed = await harness.deps.db.execute(sql`select ${"failing.person@example.com"}::int`).catch((error: unknown) => error);
    harness.deps.logger.error({ err: failed }, "request failed");
    // Secrets that reached a log call by mistake, under any name.
    harness.deps.logger.debug({ config: harness.config, smtp: harness.config.mail.smtpUrl }, "configuration");
    warnAboutDevelopmentKeys(loadConfig({ NODE_ENV: "test", API_KEYS: "only-the-api-key-is-real-0001" }), harness.deps.logger);

    const log = lines.join("");
    expect(lines.length).toBeGreaterThan(40);
    expect(harness.deps.logger.isLevelEnabled("trace")).toBe(true);
    expect(log).toContain('"req":{"method":"GET","path":"/api/customers"');
    expect(log).toContain("Failed query: select $1::int"); // the failed statement was logged, with its SQL
    expect(log).toContain("using the development keys of WRITE_KEYS");
    const secrets = {
      API_KEY,
      WRITE_KEY,
      ...Object.fromEntries(keys.map((key, i) => [`role key ${i}`, key])),
      // The key after its `rk_<role>_` prefix (the body itself may contain `_`).
      "role key body": present(keys[0], "keys[0]").replace(/^rk_[a-z]+_/, ""),
      STRIPE_SECRET,
      SMTP_PASSWORD,
      "DKIM key": present(DKIM_KEY.split("\n")[1], "DKIM_KEY.split('\\n')[1]"),
      SECRET_KEY: harness.deps.secretKey,
      "unsubscribe token": present(token.split(".")[1], "token.split('.')[1]"),
      "card-update token": present(cardToken.split(".")[2], "cardToken.split('.')[2]"),
      "a key from API_KEYS alone": "only-the-api-key-is-real-0001",
      "the failed statement's parameter": "failing.person@example.com",
      "a Stripe signature": present(stripe.header.split("v1=")[1], "stripe.header.split('v1=')[1]").slice(0, 20),
      "a search's query string": "private.query",
    };
    for (const [what, secret] of Object.entries(secrets)) {
      const found = lines.filter((line) => line.includes(secret));
      expect(found, `${what} appears in the log`).toEqual([]);
    }
  });
});
