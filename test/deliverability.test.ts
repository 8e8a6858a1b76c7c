import { generateKeyPairSync } from "node:crypto";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatchDue } from "../src/delivery/index.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";

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
    const result = await dkimVerify(smtp.raw[0]!, {
      resolver: async (name: string, type: string) => {
        if (type === "TXT" && name === "rk2026._domainkey.acme.example") return [[dnsRecord]];
        throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      },
    });
    const [signature] = result.results as unknown as { status: { result: string }; signingDomain: string; signingHeaders: { keys: string } }[];
    expect(signature!.status.result).toBe("pass");
    expect(signature!.signingDomain).toBe("acme.example");
    const signed = signature!.signingHeaders.keys.toLowerCase().split(": ").join(":").split(":");
    expect(signed).toEqual(expect.arrayContaining(["from", "subject", "list-unsubscribe", "list-unsubscribe-post"]));
    const unsubscribe = smtp.received[0]!.headerLines.find((h) => h.key === "list-unsubscribe")!.line;
    expect(unsubscribe).toMatch(/<https:\/\/rekindle\.acme\.example\/unsubscribe\/[^>]+>/);
  });
});
