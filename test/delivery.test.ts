import { cp } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { FixedClock } from "../src/time/index.js";
import { resetState } from "./helpers/campaigns.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { present } from "./helpers/present.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const HOUR = 3_600_000;

const DUNNING = `id: dunning
name: Payment failed
category: dunning
trigger:
  type: payment_failed
exit:
  - event: invoice_paid
steps:
  - id: first
    type: email
    template: first
  - id: wait-an-hour
    type: wait
    duration: PT1H
  - id: second
    type: email
    template: second
`;
const email = (subject: string, body: string) => `---
subject: "${subject}"
preheader: About your {{company.name}} payment
---
<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>${body}</mj-text>
        <mj-button href="{{links.billing}}">Update payment</mj-button>
        <mj-text><a href="{{links.unsubscribe}}">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`;
const FILES = {
  "first.mjml": email("{{customer.firstName}}, your payment failed", "Hi {{customer.firstName}}, we could not charge your {{card.brand}} ending {{card.last4}}."),
  "first.sv.mjml": email("{{customer.firstName}}, din betalning gick inte igenom", "Hej {{customer.firstName}}, vi kunde inte dra pengar från ditt {{card.brand}}-kort som slutar på {{card.last4}}."),
  "second.mjml": email("Reminder: your payment failed", "Hi {{customer.firstName}}, a reminder."),
};

describe("delivery, end to end", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, MAIL_FROM: "Acme <billing@acme.example>", PUBLIC_URL: "https://rekindle.acme.example" } });
    await harness.setCampaign("dunning", DUNNING, FILES);
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });
  beforeEach(async () => {
    clock.set(NOW);
    smtp.received.length = 0;
    smtp.behave(undefined);
    await resetState(harness);
  });

  const customer = (id: string, body: Record<string, unknown>) =>
    fetch(`${harness.url}/api/customers/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const outbox = () =>
    queryRows(
      harness.deps.db,
      z.object({ step_id: z.string(), status: z.string(), due_at: z.string(), smtp_message_id: z.string().nullable(), subject: z.string().nullable(), outcome: col.jsonObject.nullable() }),
      sql`select step_id, status::text, due_at, smtp_message_id, subject, outcome from messages order by id`,
    );
  const waitForStatus = async (status: string, count: number) => {
    for (let i = 0; i < 200; i++) {
      const rows = await outbox();
      if (rows.filter((r) => r.status === status).length >= count) return rows;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${count} message(s) ${status}: ${JSON.stringify(await outbox())}`);
  };

  it("walks the steps on time: each email arrives once, personalised, in the customer's language", async () => {
    await customer("sven", {
      email: "sven@example.com",
      name: "Sven Svensson",
      locale: "sv-SE",
      paymentMethod: { brand: "visa", last4: "4242", expMonth: 1, expYear: 2027 },
    });
    await post(harness, "/v1/track", { userId: "sven", event: "payment_failed" });
    expect(await dispatchDue(harness.deps)).toMatchObject({ dispatched: 1 });
    const [first] = await smtp.waitFor(1);
    expect(first?.subject).toBe("Sven, din betalning gick inte igenom");
    expect(first?.to).toMatchObject({ value: [{ address: "sven@example.com", name: "Sven Svensson" }] });
    expect(first?.from).toMatchObject({ value: [{ address: "billing@acme.example", name: "Acme" }] });
    expect(first?.html).toContain("Hej Sven, vi kunde inte dra pengar från ditt Visa-kort som slutar på 4242.");
    expect(first?.text).toContain("Hej Sven, vi kunde inte dra pengar från ditt Visa-kort som slutar på 4242.");
    const header = (name: string) => present(first, "first").headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, "");
    expect(header("list-unsubscribe")).toMatch(/^<https:\/\/rekindle\.acme\.example\/unsubscribe\/[0-9a-z]+\.[\w-]+>$/);
    expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");

    let rows = await waitForStatus("sent", 1);
    expect(rows.map((r) => [r.step_id, r.status])).toEqual([
      ["first", "sent"],
      ["second", "scheduled"],
    ]);
    expect(rows[0]?.smtp_message_id).toMatch(/^<rekindle\.\d+@acme\.example>$/);
    expect(new Date(present(rows[1], "rows[1]").due_at).toISOString()).toBe(new Date(NOW.getTime() + HOUR).toISOString());

    // Not yet due: nothing more goes out.
    expect(await dispatchDue(harness.deps)).toMatchObject({ dispatched: 0 });
    clock.advance(HOUR);
    expect(await dispatchDue(harness.deps)).toMatchObject({ dispatched: 1 });
    await smtp.waitFor(2);
    expect(smtp.received[1]?.subject).toBe("Reminder: your payment failed"); // no Swedish variant: the default
    rows = await waitForStatus("sent", 2);
    const [enrollment] = await queryRows(harness.deps.db, z.object({ status: z.string(), end_reason: z.string() }), sql`select status::text, end_reason from enrollments`);
    expect(enrollment).toEqual({ status: "completed", end_reason: "completed" });
    await dispatchDue(harness.deps);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received).toHaveLength(2);
  });

  it("skips what is no longer needed: an exit goal reached while the email waited", async () => {
    await customer("ada", { email: "ada@example.com", name: "Ada" });
    await post(harness, "/v1/track", { userId: "ada", event: "payment_failed" });
    await post(harness, "/v1/track", { userId: "ada", event: "invoice_paid" });
    await dispatchDue(harness.deps);
    const rows = await waitForStatus("skipped", 1);
    expect(rows[0]?.outcome).toMatchObject({ type: "enrollment_ended", status: "exited" });
    expect(smtp.received).toHaveLength(0);
  });

  it("fails (and says why) an email whose template needs data the customer lacks, and goes on", async () => {
    await customer("no-card", { email: "no-card@example.com" });
    await post(harness, "/v1/track", { userId: "no-card", event: "payment_failed" });
    await dispatchDue(harness.deps);
    const rows = await waitForStatus("failed", 1);
    expect(rows[0]?.outcome).toMatchObject({ type: "render_failed" });
    expect(rows[1]).toMatchObject({ step_id: "second", status: "scheduled" });
    expect(smtp.received).toHaveLength(0);
  });

  it("previews an email for the sample or a real customer, and test-sends it, audited", async () => {
    await customer("sven", { email: "sven@example.com", name: "Sven Svensson", locale: "sv-SE", paymentMethod: { brand: "visa", last4: "4242", expMonth: 1, expYear: 2027 } });
    const auth = { authorization: `Bearer ${API_KEY}` };
    const sample = (await (await fetch(`${harness.url}/api/campaigns/dunning/steps/first/preview`, { headers: auth })).json()) as Record<string, string>;
    expect(sample).toMatchObject({ customer: "sample", locale: null, subject: "Grace, your payment failed" });
    const sven = (await (await fetch(`${harness.url}/api/campaigns/dunning/steps/first/preview?customer=sven`, { headers: auth })).json()) as Record<string, string>;
    expect(sven).toMatchObject({ customer: "sven", locale: "sv", subject: "Sven, din betalning gick inte igenom" });
    expect(sven.text).toContain("ditt Visa-kort som slutar på 4242");
    expect((await fetch(`${harness.url}/api/campaigns/dunning/steps/wait-an-hour/preview`, { headers: auth })).status).toBe(404);

    const bad = await fetch(`${harness.url}/api/campaigns/dunning/steps/first/test-send`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ to: "nope" }) });
    expect(bad.status).toBe(400);
    const sent = await fetch(`${harness.url}/api/campaigns/dunning/steps/first/test-send`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ to: "marketer@acme.example", customer: "sven" }),
    });
    expect(sent.status).toBe(200);
    const [mail] = await smtp.waitFor(1);
    expect(mail?.subject).toBe("[Test] Sven, din betalning gick inte igenom");
    const audit = await queryRows(harness.deps.db, z.object({ action: z.string(), target_id: z.string(), after: col.jsonObject }), sql`select action, target_id, after from audit_log`);
    expect(audit).toEqual([{ action: "campaign.test_send", target_id: "dunning", after: { step: "first", to: "marketer@acme.example", customer: "sven" } }]);
    expect(await queryRows(harness.deps.db, z.object({}), sql`select 1 from messages`)).toEqual([]);
    await harness.deps.db.execute(sql`truncate audit_log`);
  });

  it("never mails a suppressed address, and suppresses one the server rejects", async () => {
    await customer("gone", { email: "gone@example.com", paymentMethod: { expMonth: 1, expYear: 2027 } });
    smtp.behave((stage) => (stage === "rcpt" ? { code: 550, message: "5.1.1 No such user" } : undefined));
    await post(harness, "/v1/track", { userId: "gone", event: "payment_failed" });
    await dispatchDue(harness.deps);
    const rows = await waitForStatus("failed", 1);
    expect(rows[0]?.outcome).toMatchObject({ type: "rejected", code: 550 });
    const suppressed = await queryRows(harness.deps.db, z.object({ email: z.string(), reason: z.string() }), sql`select email, reason::text from suppressions`);
    expect(suppressed).toEqual([{ email: "gone@example.com", reason: "bounce" }]);
    // The next step is skipped as suppressed, not sent.
    smtp.behave(undefined);
    clock.advance(HOUR);
    await dispatchDue(harness.deps);
    const after = await waitForStatus("skipped", 1);
    expect(after[1]?.outcome).toMatchObject({ type: "suppressed" });
    expect(smtp.received).toHaveLength(0);
  });
});

describe("an email in one language, from the first word to the unsubscribe page", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(NOW);
  const RENEWAL = `id: renewal
name: Payment failed
category: dunning
trigger:
  type: payment_failed
steps:
  - id: notice
    type: email
    template: notice
`;
  const notice = (subject: string, body: string) => `---\nsubject: "${subject}"\nlayout: default\n---\n<mj-section>\n  <mj-column>\n    <mj-text>${body}</mj-text>\n  </mj-column>\n</mj-section>\n`;
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, MAIL_FROM: "Acme <billing@acme.example>", PUBLIC_URL: "https://rekindle.acme.example" } });
    // The layout and footer as shipped, in every language they are shipped in.
    for (const folder of ["_layouts", "_partials"]) await cp(new URL(`../templates/${folder}`, import.meta.url), join(harness.config.campaigns.templatesDir, folder), { recursive: true });
    await harness.setCampaign("renewal", RENEWAL, {
      "notice.mjml": notice("{{customer.firstName}}, your payment failed", "Your {{subscription.plan}} plan is {{subscription.mrr}} a month, renewing on {{subscription.currentPeriodEnd}}."),
      "notice.sv.mjml": notice("{{customer.firstName}}, din betalning gick inte igenom", "Ditt {{subscription.plan}}-abonnemang kostar {{subscription.mrr}} i månaden och förnyas den {{subscription.currentPeriodEnd}}."),
    });
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  const customer = (id: string, name: string, locale: string, timezone: string) =>
    fetch(`${harness.url}/api/customers/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        email: `${id}@example.com`,
        name,
        locale,
        timezone,
        subscription: { status: "active", plan: "pro", mrrMinor: 30000, currency: "EUR", currentPeriodEnd: "2026-12-18T10:00:00Z" },
      }),
    });
  const unsubscribeLink = (mail: (typeof smtp.received)[number]) => new URL(present(present(present(mail.headerLines.find((h) => h.key === "list-unsubscribe"), "mail.headerLines.find((h) => h.key === 'list-unsubscribe')").line.match(/<(.+)>/), "mail.headerLines.find((h) => h.key === 'list-unsubscribe').line.match(/<(.+)>/)")[1], "present(mail.headerLines.find((h) => h.key === 'list-unsubscribe').line.match(/<(.+)>/), 'mail.headerLines.find((h) => h.key === 'list-unsubscribe').line.match(/<(.+)>/)')[1]")).pathname;

  it("a Swedish customer gets the Swedish email with a Swedish footer, Swedish money and dates, and a Swedish unsubscribe page; a German one on the English email gets it all in English", async () => {
    expect((await customer("sven", "Sven Svensson", "sv-SE", "Europe/Stockholm")).status).toBeLessThan(300);
    expect((await customer("klaus", "Klaus Kinski", "de-DE", "Europe/Berlin")).status).toBeLessThan(300);
    await post(harness, "/v1/track", { userId: "sven", event: "payment_failed" });
    await post(harness, "/v1/track", { userId: "klaus", event: "payment_failed" });
    expect(await dispatchDue(harness.deps)).toMatchObject({ dispatched: 2 });
    await smtp.waitFor(2);
    const to = (address: string) => present(smtp.received.find((mail) => mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address === address), "smtp.received.find((mail) => mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address === address)");

    const sven = to("sven@example.com");
    expect(sven.subject).toBe("Sven, din betalning gick inte igenom");
    expect(sven.text).toContain("Ditt pro-abonnemang kostar 300,00\u00a0€ i månaden och förnyas den 18 december 2026.");
    expect(sven.text).toContain("Du får det här mejlet eftersom du har ett konto hos Acme.");
    expect(sven.text).toContain(`Avsluta prenumerationen på de här mejlen [https://rekindle.acme.example${unsubscribeLink(sven)}]`);
    expect(sven.html).toContain("Avsluta prenumerationen på de här mejlen</a>");
    expect(`${sven.text}${sven.html}`).not.toMatch(/Unsubscribe from these emails|You get this email/);

    const klaus = to("klaus@example.com");
    expect(klaus.subject).toBe("Klaus, your payment failed");
    // The customer is German, the email English: English money and dates, not "300,00 €" and "18. Dezember 2026".
    expect(klaus.text).toContain("Your pro plan is €300.00 a month, renewing on December 18, 2026.");
    expect(klaus.text).toContain("You get this email because you have an account with Acme.");
    expect(klaus.text).toContain(`Unsubscribe from these emails [https://rekindle.acme.example${unsubscribeLink(klaus)}]`);

    // What the page says comes from the row, recorded just after SMTP accepted the email.
    const languages = () => queryRows(harness.deps.db, z.object({ email: z.string(), locale: z.string() }), sql`select to_address as email, locale from messages where status = 'sent' order by to_address`);
    await expect.poll(languages).toEqual([
      { email: "klaus@example.com", locale: "en" },
      { email: "sven@example.com", locale: "sv" },
    ]);

    const svenPage = await (await fetch(`${harness.url}${unsubscribeLink(sven)}`)).text();
    expect(svenPage).toContain('<html lang="sv">');
    expect(svenPage).toContain("<title>Avsluta prenumeration</title>");
    expect(svenPage).toContain("Vilka mejl ska Acme sluta skicka till <strong>sven@example.com</strong>?");
    expect(svenPage).toContain("Bara betalningspåminnelser, som ”Sven, din betalning gick inte igenom”");
    expect(svenPage).toContain("Alla mejl från Acme (utom meddelanden om betalningen för ditt konto)");
    expect(svenPage).not.toMatch(/Unsubscribe|emails/);
    const svenDone = await (
      await fetch(`${harness.url}${unsubscribeLink(sven)}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "scope=category" })
    ).text();
    expect(svenDone).toContain("sven@example.com får inga fler betalningspåminnelser från Acme.");

    const klausPage = await (await fetch(`${harness.url}${unsubscribeLink(klaus)}`)).text();
    expect(klausPage).toContain('<html lang="en">');
    expect(klausPage).toContain("Which emails should Acme stop sending to <strong>klaus@example.com</strong>?");
    expect(klausPage).toContain("Only dunning emails like “Klaus, your payment failed”");

    // A broken link says so in the language the browser asks for, among those shipped.
    const broken = await fetch(`${harness.url}/unsubscribe/nope`, { headers: { "accept-language": "de-DE, sv;q=0.8, en;q=0.5" } });
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain("Länken fungerar inte");
  });
});

describe("the unsubscribe link", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ worker: true, env: { SMTP_URL: smtp.url } });
    await harness.setCampaign("dunning", DUNNING, FILES);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  it("GET shows a page and changes nothing; one-click POST unsubscribes from the category; a forged token is refused", async () => {
    await fetch(`${harness.url}/api/customers/bo`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: "Bo@Example.com", name: "Bo", paymentMethod: { expMonth: 1, expYear: 2030 } }),
    });
    await post(harness, "/v1/track", { userId: "bo", event: "payment_failed" });
    await dispatchDue(harness.deps);
    const [mail] = await smtp.waitFor(1);
    const header = present(present(mail, "the email").headerLines.find((h) => h.key === "list-unsubscribe"), "its List-Unsubscribe header");
    const link = present(header.line.match(/<(.+)>/)?.[1], "a link in List-Unsubscribe");
    const path = new URL(link).pathname;
    // The page names the email by its subject, recorded just after SMTP accepted it.
    await expect.poll(async () => (await queryRows(harness.deps.db, z.object({ status: z.string() }), sql`select status::text from messages`))[0]?.status).toBe("sent");

    const shown = await fetch(`${harness.url}${path}`);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain("Only dunning emails like “Bo, your payment failed”");
    const none = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from suppressions`);
    expect(none[0]?.n).toBe(0);

    const clicked = await fetch(`${harness.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
      redirect: "manual",
    });
    expect(clicked.status).toBe(200);
    const rows = await queryRows(harness.deps.db, z.object({ email: z.string(), category: z.string(), reason: z.string() }), sql`select email, category, reason::text from suppressions`);
    expect(rows).toEqual([{ email: "bo@example.com", category: "dunning", reason: "unsubscribe" }]);

    const forged = await fetch(`${harness.url}${path.slice(0, -2)}xx`, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(forged.status).toBe(400);
  });
});

describe("state changes reaching messages already queued in Redis", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url } });
    await harness.setCampaign("dunning", DUNNING, FILES);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });
  beforeEach(async () => {
    clock.set(NOW);
    await resetState(harness);
  });

  /** Enrolls a customer whose first email is handed to Redis, due in a moment; returns its row id. */
  async function queuedFor(id: string): Promise<number> {
    await fetch(`${harness.url}/api/customers/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: `${id}@example.com`, paymentMethod: { expMonth: 1, expYear: 2030 } }),
    });
    await post(harness, "/v1/track", { userId: id, event: "payment_failed" });
    await harness.deps.db.execute(sql`update messages m set due_at = due_at + interval '1500 milliseconds' from customers c where c.id = m.customer_id and c.external_id = ${id}`);
    await dispatchDue(harness.deps);
    const [queued] = await queryRows(harness.deps.db, z.object({ id: col.int }), sql`select m.id::int from messages m join customers c on c.id = m.customer_id where c.external_id = ${id} and m.status = 'queued'`);
    const row = present(queued, `the queued email of ${id}`);
    expect(await harness.deps.queues.queue("send").getJob(`msg-${row.id}`)).toBeTruthy();
    return row.id;
  }
  const outcomeOf = async (id: number) => {
    for (let i = 0; i < 400; i++) {
      const [row] = await queryRows(harness.deps.db, z.object({ status: z.string(), outcome: col.jsonObject.nullable() }), sql`select status::text, outcome from messages where id = ${id}`);
      if (row && row.status !== "queued") return row;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("still queued");
  };

  it("an exit goal, a pause and an unsubscribe each stop the queued email", async () => {
    const exited = await queuedFor("exits");
    await post(harness, "/v1/track", { userId: "exits", event: "invoice_paid" });
    const paused = await queuedFor("pauses");
    const [pausedCustomer] = await queryRows(harness.deps.db, z.object({ id: col.int }), sql`select id::int from customers where external_id = 'pauses'`);
    await harness.deps.db.execute(sql`insert into pauses (scope, customer_id, until, reason, created_by) values ('customer', ${present(pausedCustomer, "customer pauses").id}, ${new Date(NOW.getTime() + 86_400_000).toISOString()}::timestamptz, 'on holiday', 'support@acme')`);
    const unsubscribed = await queuedFor("unsubscribes");
    const { unsubscribeToken } = await import("../src/delivery/index.js");
    const click = await fetch(`${harness.url}/unsubscribe/${unsubscribeToken(harness.deps.secretKey, unsubscribed)}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(click.status).toBe(200);

    expect(await outcomeOf(exited)).toMatchObject({ status: "skipped", outcome: { type: "enrollment_ended" } });
    // Held, not dropped: it goes out when the pause ends.
    expect(await outcomeOf(paused)).toMatchObject({ status: "scheduled", outcome: { type: "paused" } });
    expect(await outcomeOf(unsubscribed)).toMatchObject({ status: "skipped", outcome: { type: "suppressed" } });
    expect(smtp.received).toHaveLength(0);
  });
});
