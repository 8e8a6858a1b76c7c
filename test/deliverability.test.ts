import { generateKeyPairSync } from "node:crypto";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
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

describe("DKIM", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({
      worker: true,
      env: {
        SMTP_URL: smtp.url,
        MAIL_FROM: "Acme <hello@acme.example>",
        PUBLIC_URL: "https://rekindle.acme.example",
        DKIM_DOMAIN: "acme.example",
        DKIM_SELECTOR: "rk2026",
        DKIM_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString().replace(/\n/g, "\\n"),
      },
    });
    await harness.setCampaign("winback", CAMPAIGN);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  it("signs every email, and the signature covers both unsubscribe headers", async () => {
    await fetch(`${harness.url}/api/customers/u1`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: "u1@example.com" }),
    });
    await post(harness, "/v1/track", { userId: "u1", event: "Went Quiet" });
    await dispatchDue(harness.deps);
    await smtp.waitFor(1);
    const dnsRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`;
    const result = await dkimVerify(present(smtp.raw[0], "smtp.raw[0]"), {
      resolver: async (name: string, type: string) => {
        if (type === "TXT" && name === "rk2026._domainkey.acme.example") return [[dnsRecord]];
        throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      },
    });
    const [signature] = result.results as unknown as { status: { result: string }; signingDomain: string; signingHeaders: { keys: string } }[];
    expect(signature?.status.result).toBe("pass");
    expect(signature?.signingDomain).toBe("acme.example");
    const signed = present(signature, "signature").signingHeaders.keys.toLowerCase().split(": ").join(":").split(":");
    expect(signed).toEqual(expect.arrayContaining(["from", "subject", "list-unsubscribe", "list-unsubscribe-post"]));
    const unsubscribe = present(present(smtp.received[0], "smtp.received[0]").headerLines.find((h) => h.key === "list-unsubscribe"), "smtp.received[0].headerLines.find((h) => h.key === 'list-unsubscribe')").line;
    expect(unsubscribe).toMatch(/<https:\/\/rekindle\.acme\.example\/unsubscribe\/[^>]+>/);
  });
});

describe("consent: categories, billing notices and the suppression list", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const BILLING = `id: billing
name: Card declined
category: dunning
delivery:
  unsubscribable: false
trigger:
  type: event
  name: Card Declined
reentry: always
steps:
  - id: notice
    type: email
    template: notice
`;
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ worker: true, env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "none" } });
    await harness.setCampaign("winback", CAMPAIGN.replace("type: event", "type: event").replace("steps:", "reentry: always\nsteps:"));
    await harness.setCampaign("billing", BILLING);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${harness.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const send = async (userId: string, event: string) => {
    const before = smtp.received.length;
    await post(harness, "/v1/track", { userId, event });
    await dispatchDue(harness.deps);
    for (let i = 0; i < 400; i++) {
      const [row] = await queryRows(harness.deps.db, z.object({ status: z.string() }), sql`select m.status::text as status from messages m order by m.id desc limit 1`);
      if (row && ["sent", "skipped", "failed"].includes(row.status)) return { status: row.status, mail: smtp.received[before] };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("not sent");
  };

  it("a billing notice carries no unsubscribe headers and still reaches someone who unsubscribed from everything", async () => {
    await api("PUT", "/api/customers/ann", { email: "ann@example.com" });
    const first = await send("ann", "Went Quiet");
    const header = present(present(first.mail, "the first email").headerLines.find((h) => h.key === "list-unsubscribe"), "its List-Unsubscribe header");
    const link = present(header.line.match(/<(https?[^>]+)>/)?.[1], "an http(s) link in List-Unsubscribe");
    const page = await (await fetch(`${harness.url}${new URL(link).pathname}`)).text();
    expect(page).toContain('value="all"');
    const choose = await fetch(`${harness.url}${new URL(link).pathname}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "scope=all" });
    expect(await choose.text()).toContain("will get no more emails from");
    expect((await send("ann", "Went Quiet")).status).toBe("skipped");
    const billing = await send("ann", "Card Declined");
    expect(billing.status).toBe("sent");
    expect(present(billing.mail, "billing.mail").headerLines.some((h) => h.key === "list-unsubscribe")).toBe(false);
  });

  it("suppresses, lists and re-subscribes through the API, each act in the audit log", async () => {
    await api("PUT", "/api/customers/bob", { email: "Bob@Example.com" });
    expect((await api("POST", "/api/suppressions", { email: "Bob@Example.com", category: "winback", detail: "asked support" })).status).toBe(201);
    expect((await api("POST", "/api/suppressions", { email: "bob@example.com", category: "winback" })).status).toBe(200);
    expect((await api("POST", "/api/suppressions", { email: "nope" })).status).toBe(400);
    expect((await send("bob", "Went Quiet")).status).toBe("skipped");
    const listed = (await (await api("GET", "/api/suppressions?email=bob@example.com")).json()) as { suppressions: { category: string; reason: string }[] };
    expect(listed.suppressions).toMatchObject([{ category: "winback", reason: "manual" }]);
    expect(await (await api("DELETE", "/api/suppressions", { email: "bob@example.com", category: "winback" })).json()).toEqual({ lifted: 1 });
    expect((await send("bob", "Went Quiet")).status).toBe("sent");
    expect((await api("POST", "/api/complaints", { email: "bob@example.com" })).status).toBe(201);
    expect((await send("bob", "Went Quiet")).status).toBe("skipped");
    const audit = await queryRows(harness.deps.db, z.object({ actor: z.string(), action: z.string(), target_id: z.string() }), sql`select actor, action, target_id from audit_log where target_id = 'bob@example.com' order by id`);
    expect(audit.map((a) => a.action)).toEqual(["suppression.manual", "suppression.lifted", "suppression.complaint"]);
    expect(audit[0]?.actor).toMatch(/^api-key:/);
  });
});
