import type { ChildProcess } from "node:child_process";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { FixedClock } from "../src/time/index.js";
import { resetState } from "./helpers/campaigns.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { childEnv, spawnRekindle } from "./helpers/processes.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { until } from "./helpers/wait.js";
import { present } from "./helpers/present.js";

const TWO_STEPS = `id: dunning
name: Payment failed
category: dunning
trigger:
  type: payment_failed
steps:
  - id: first
    type: email
    template: first
  - id: later
    type: wait
    duration: P1D
  - id: second
    type: email
    template: second
`;

async function customers(harness: Harness, count: number, prefix = "c") {
  for (let i = 0; i < count; i++) {
    await fetch(`${harness.url}/api/customers/${prefix}${i}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: `${prefix}${i}@example.com` }),
    });
  }
  await post(harness, "/v1/batch", { batch: Array.from({ length: count }, (_, i) => ({ type: "track", userId: `${prefix}${i}`, event: "payment_failed" })) });
}

const statuses = (harness: Harness) =>
  queryRows(
    harness.deps.db,
    z.object({ id: col.int, step_id: z.string(), status: z.string(), attempts: col.int, outcome: col.jsonObject.nullable() }),
    sql`select id::int, step_id, status::text, attempts, outcome from messages where step_id = 'first' order by id`,
  );

describe("delivery when things fail", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(new Date("2026-12-01T12:00:00Z"));
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, SEND_BACKOFF: "PT0.1S", SEND_ATTEMPTS: "3" } });
    await harness.setCampaign("dunning", TWO_STEPS);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });
  beforeEach(async () => {
    clock.set(new Date("2026-12-01T12:00:00Z"));
    smtp.received.length = 0;
    smtp.behave(undefined);
    await resetState(harness);
  });

  it("an SMTP server answering 421 and 451 and then recovering: delivered once, after retries", async () => {
    let refusals = 0;
    smtp.behave((stage) => {
      if (stage !== "data" || refusals >= 2) return undefined;
      refusals++;
      return refusals === 1 ? { code: 421, message: "4.3.2 Service shutting down" } : { code: 451, message: "4.3.0 Try again later" };
    });
    await customers(harness, 1);
    await dispatchDue(harness.deps);
    await smtp.waitFor(1);
    const [row] = await until(() => statuses(harness), (rows) => rows[0]?.status === "sent");
    expect(row).toMatchObject({ status: "sent", attempts: 3 });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received).toHaveLength(1);
  });

  it("a server that keeps answering 4xx: failed after SEND_ATTEMPTS, and the sequence goes on", async () => {
    smtp.behave((stage) => (stage === "data" ? { code: 451, message: "4.3.0 Try again later" } : undefined));
    await customers(harness, 1);
    await dispatchDue(harness.deps);
    const [row] = await until(() => statuses(harness), (rows) => rows[0]?.status === "failed");
    expect(row).toMatchObject({ attempts: 3, outcome: { type: "failed", reason: "smtp_transient" } });
    const next = await queryRows(harness.deps.db, z.object({ status: z.string() }), sql`select status::text from messages where step_id = 'second'`);
    expect(next).toEqual([{ status: "scheduled" }]);
  });

  it("a rejection at DATA for the content (550 5.7.1): the message fails with the reply recorded, the address is not suppressed, and the next email still reaches it", async () => {
    smtp.behave((stage) => (stage === "data" ? { code: 550, message: "5.7.1 Message refused by policy" } : undefined));
    await customers(harness, 1);
    await dispatchDue(harness.deps);
    const [row] = await until(() => statuses(harness), (rows) => rows[0]?.status === "failed");
    expect(row).toMatchObject({ attempts: 1, outcome: { type: "rejected", code: 550, bounce: false } });
    const [recorded] = await queryRows(harness.deps.db, z.object({ smtp_response: z.string() }), sql`select smtp_response from messages where step_id = 'first'`);
    expect(recorded?.smtp_response).toMatch(/^550 5\.7\.1 Message refused by policy/);
    expect(await queryRows(harness.deps.db, z.object({ email: z.string() }), sql`select email from suppressions`)).toEqual([]);

    // A day later the sequence's next email goes to the same address, and arrives.
    smtp.behave(undefined);
    clock.advance(24 * 3_600_000 + 60_000);
    await dispatchDue(harness.deps);
    const [mail] = await smtp.waitFor(1);
    expect(mail?.to).toMatchObject({ value: [{ address: "c0@example.com" }] });
    await until(
      () => queryRows(harness.deps.db, z.object({ status: z.string() }), sql`select status::text from messages where step_id = 'second'`),
      (rows) => rows[0]?.status === "sent",
    );
  });

  it("a refused recipient (550 5.1.1 at RCPT TO) is a bounce: the address is suppressed", async () => {
    smtp.behave((stage) => (stage === "rcpt" ? { code: 550, message: "5.1.1 No such user" } : undefined));
    await customers(harness, 1);
    await dispatchDue(harness.deps);
    const [row] = await until(() => statuses(harness), (rows) => rows[0]?.status === "failed");
    expect(row).toMatchObject({ attempts: 1, outcome: { type: "rejected", code: 550, bounce: true } });
    expect(await queryRows(harness.deps.db, z.object({ email: z.string(), reason: z.string() }), sql`select email, reason::text from suppressions`)).toEqual([{ email: "c0@example.com", reason: "bounce" }]);
  });

  it("Redis losing the queued jobs loses no email: the lease returns them to the outbox", async () => {
    await customers(harness, 5);
    // Due in two minutes: dispatched now as delayed jobs, which then vanish with Redis's data.
    await harness.deps.db.execute(sql`update messages set due_at = due_at + interval '2 minutes'`);
    expect(await dispatchDue(harness.deps)).toMatchObject({ dispatched: 5 });
    const keys = await harness.deps.redis.keys(`${harness.config.redis.prefix}:send:*`);
    expect(keys.length).toBeGreaterThan(0);
    await harness.deps.redis.del(...keys);
    clock.advance(13 * 60_000);
    expect(await dispatchDue(harness.deps)).toMatchObject({ requeued: 5, dispatched: 5 });
    await smtp.waitFor(5);
    await until(() => statuses(harness), (rows) => rows.every((r) => r.status === "sent"));
    expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(5);
  });
});

describe("a worker killed in the middle of sending", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ env: { SMTP_URL: smtp.url, SEND_LEASE: "PT1S" } });
    await harness.setCampaign("dunning", TWO_STEPS);
  });
  afterEach(() => {
    child?.kill("SIGKILL");
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  it("sends nothing twice and loses nothing: what it held is reported uncertain, the rest is delivered", async () => {
    await customers(harness, 8, "k");
    await dispatchDue(harness.deps);

    // A real worker process, with the test SMTP server's DATA phase frozen for it.
    smtp.freezeData(true);
    child = spawnRekindle("worker", childEnv(harness, { SEND_LEASE: "PT1S", SEND_CONCURRENCY: "3" })).child;
    const sending = await until(
      async () => (await statuses(harness)).filter((r) => r.status === "sending").length,
      (n) => n === 3,
    );
    expect(sending).toBe(3);
    child.kill("SIGKILL");
    await new Promise((r) => present(child, "child").once("exit", r));
    smtp.freezeData(false);

    // A healthy worker takes over; the dispatcher reclaims expired leases.
    const { startWorker } = await import("../src/runtime/index.js");
    const worker = await startWorker(harness.deps);
    try {
      await new Promise((r) => setTimeout(r, 1_200));
      const final = await until(
        async () => {
          await dispatchDue(harness.deps);
          return statuses(harness);
        },
        (rows) => rows.every((r) => r.status === "sent" || r.status === "uncertain"),
      );
      const uncertain = final.filter((r) => r.status === "uncertain");
      expect(uncertain).toHaveLength(3);
      expect(final.filter((r) => r.status === "sent")).toHaveLength(5);
      // The frozen three may or may not have reached the server; none was handed over twice.
      const ids = smtp.received.map((m) => m.messageId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(uncertain[0]?.outcome).toMatchObject({ type: "uncertain" });
      // Reported as a metric too.
      const metrics = await (await fetch(`${harness.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
      expect(metrics).toMatch(/^rekindle_messages_uncertain 3$/m);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});

describe("the SMTP provider's rate limit", () => {
  it("is kept by all workers together", async () => {
    const smtp = await startSmtp();
    const harness = await startHarness({ worker: true, env: { SMTP_URL: smtp.url, SEND_RATE_LIMIT: "4/PT1S", FREQUENCY_CAP: "none" } });
    try {
      await harness.setCampaign("dunning", TWO_STEPS);
      // A second worker on the same queue: the limit is shared, not per worker.
      const { startWorker } = await import("../src/runtime/index.js");
      const second = await startWorker(harness.deps);
      await customers(harness, 12);
      const started = Date.now();
      await dispatchDue(harness.deps);
      await smtp.waitFor(12, 20_000);
      const elapsed = Date.now() - started;
      await second.stop();
      // 12 emails at 4 a second need at least two full windows after the first.
      expect(elapsed).toBeGreaterThanOrEqual(2_000);
    } finally {
      await harness.stop();
      await smtp.close();
    }
  }, 30_000);
});
