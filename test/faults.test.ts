import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import type { AddressObject } from "mailparser";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { basic, type Harness, startHarness, WRITE_KEY } from "./helpers/harness.js";
import { childEnv, type RekindleProcess, spawnApi, spawnWorker } from "./helpers/processes.js";
import { type PrivateRedis, startPrivateRedis } from "./helpers/redis-server.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { present } from "./helpers/present.js";

/*
 * Ops' promise, tried with the real faults: several hundred emails due at once, one `rekindle api`
 * and two `rekindle worker` processes, then Redis flushed, Redis killed and restarted, every
 * PostgreSQL connection terminated, and the statements recording results cancelled after SMTP
 * accepted. Each time, the SMTP server must receive every email exactly once, nothing may be left
 * `uncertain` (no process was killed), and every process must still be running.
 */

const EMAILS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CAMPAIGN = `id: blast
name: Blast
category: loyalty
trigger:
  type: event
  name: Blast
steps:
  - id: thanks
    type: email
    template: thanks
`;

describe("nothing lost, nothing twice, when Redis or PostgreSQL fails mid-send", () => {
  let redis: PrivateRedis;
  let smtp: TestSmtp;
  let harness: Harness;
  let api: RekindleProcess & { url: string };
  let workers: RekindleProcess[] = [];
  let admin: pg.Client;
  let proxy: TcpProxy;
  const figures: string[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    smtp = await startSmtp();
    // A provider that takes a moment per email, so that the faults land while emails are in flight.
    smtp.slowDown(20);
    harness = await startHarness({ env: { REDIS_URL: redis.url, SMTP_URL: smtp.url, FREQUENCY_CAP: "none" } });
    await harness.setCampaign("blast", CAMPAIGN);
    // The processes reach PostgreSQL through a proxy the test can cut, as a network or a failover would.
    const database = new URL(present(harness.config.database.url, "harness.config.database.url"));
    proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
    const throughProxy = new URL(database);
    throughProxy.host = `127.0.0.1:${proxy.port}`;
    const env = childEnv(harness, {
      DATABASE_URL: throughProxy.toString(),
      DISPATCH_INTERVAL: "PT1S",
      SEND_CONCURRENCY: "8",
      SEND_BACKOFF: "PT0.2S",
      FREQUENCY_CAP: "none",
      DATABASE_POOL_SIZE: "4",
      SHUTDOWN_TIMEOUT: "PT20S",
    });
    api = await spawnApi(env);
    workers = await Promise.all([spawnWorker(env), spawnWorker(env)]);
    admin = new pg.Client({ connectionString: present(harness.config.database.url, "harness.config.database.url") });
    await admin.connect();
  }, 90_000);

  afterAll(async () => {
    for (const process of [api, ...workers]) process?.child.kill("SIGTERM");
    await Promise.all([api, ...workers].map((process) => process?.exited));
    await admin?.end();
    await proxy?.close();
    await harness?.stop();
    await smtp?.close();
    await redis?.stop();
    if (figures.length > 0) console.log(figures.join("\n"));
    if (process.env.FAULTS_LOG) (await import("node:fs")).writeFileSync(process.env.FAULTS_LOG, [api, ...workers].map((p) => p.output()).join("\n=====\n"));
  });

  /** What a Segment library does: retry 5xx and dropped connections with backoff. Counts the 503s it saw. */
  let unavailable = 0;
  async function send(path: string, body: unknown): Promise<void> {
    for (let attempt = 0; attempt < 40; attempt++) {
      let status: number;
      try {
        const response = await fetch(`${api.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: basic(WRITE_KEY) },
          body: JSON.stringify(body),
        });
        status = response.status;
        const text = await response.text();
        if (status === 200) return;
        if (status !== 503) throw new Error(`${path} answered ${status}: ${text}`);
        expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
        expect(JSON.parse(text)).toMatchObject({ error: { code: "unavailable" } });
        unavailable++;
      } catch (error) {
        if ((error as Error).message.includes("answered")) throw error;
      }
      await sleep(Math.min(2_000, 100 * 2 ** attempt));
    }
    throw new Error(`${path} never succeeded`);
  }

  /** Creates `EMAILS` customers named `<prefix><n>` and sends each the trigger event, in batches of 25. */
  async function ingest(prefix: string): Promise<void> {
    for (let from = 0; from < EMAILS; from += 25) {
      const ids = Array.from({ length: Math.min(25, EMAILS - from) }, (_, i) => `${prefix}${from + i}`);
      await send("/v1/batch", { batch: ids.map((id) => ({ type: "identify", userId: id, messageId: `identify-${id}`, traits: { email: `${id}@example.com` } })) });
      await send("/v1/batch", { batch: ids.map((id) => ({ type: "track", userId: id, messageId: `blast-${id}`, event: "Blast" })) });
    }
  }

  const received = (prefix: string) =>
    smtp.received.filter((mail) => (mail.to as AddressObject | undefined)?.value[0]?.address?.startsWith(prefix)).map((mail) => mail.messageId);

  /** The test's own reads ride out the faults it causes. */
  async function read<T>(query: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await query();
      } catch {
        await sleep(100);
      }
    }
  }

  const statuses = (prefix: string) =>
    read(() =>
      queryRows(
        harness.deps.db,
        z.object({ status: z.string(), n: col.int }),
        sql`select m.status::text, count(*)::int as n from messages m join customers c on c.id = m.customer_id
            where c.external_id like ${`${prefix}%`} group by m.status order by m.status`,
      ),
    );
  const sent = async (prefix: string) => (await statuses(prefix)).find((s) => s.status === "sent")?.n ?? 0;

  async function until(what: () => Promise<boolean>, timeoutMs: number, label: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await what())) {
      if (Date.now() > deadline) {
        throw new Error(`${label} timed out\napi:\n${api.output().slice(-3000)}\nworkers:\n${workers.map((w) => w.output().slice(-3000)).join("\n---\n")}`);
      }
      await sleep(50);
    }
  }

  /** Every email of the prefix arrived once, every row is `sent`, and every process still runs. */
  async function expectAllDeliveredOnce(prefix: string, faultAt: number, label: string): Promise<void> {
    try {
      await until(async () => (await sent(prefix)) === EMAILS, 120_000, `${label}: all ${EMAILS} sent`);
    } catch (error) {
      const stuck = await read(() =>
        queryRows(
          harness.deps.db,
          z.object({ id: col.int, status: z.string(), attempts: col.int, outcome: col.jsonObject.nullable(), lease_until: z.string().nullable(), updated_at: z.string() }),
          sql`select m.id::int, m.status::text, m.attempts, m.outcome, m.lease_until, m.updated_at from messages m join customers c on c.id = m.customer_id
              where c.external_id like ${`${prefix}%`} and m.status <> 'sent' order by m.id limit 20`,
        ),
      );
      throw new Error(`${(error as Error).message}
not sent: ${JSON.stringify(stuck)}`);
    }
    const drainedMs = Date.now() - faultAt;
    // Late duplicates would show up now.
    await sleep(1_000);
    const ids = received(prefix);
    expect(new Set(ids).size).toBe(EMAILS);
    expect(ids).toHaveLength(EMAILS);
    expect(await statuses(prefix)).toEqual([{ status: "sent", n: EMAILS }]);
    const [uncertain] = await read(() => queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status = 'uncertain'`));
    expect(uncertain?.n).toBe(0);
    for (const process of [api, ...workers]) expect(process.alive(), process.output().slice(-3000)).toBe(true);
    figures.push(`[faults] ${label}: ${EMAILS} emails, 0 duplicates, 0 missing, 0 uncertain; all sent ${(drainedMs / 1000).toFixed(1)} s after the fault`);
  }

  it("Redis flushed (FLUSHALL) mid-send: the lost jobs are dispatched again at once", async () => {
    await ingest("flush");
    await until(async () => (await sent("flush")) >= EMAILS / 5, 60_000, "first sends");
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    const faultAt = Date.now();
    await expectAllDeliveredOnce("flush", faultAt, "FLUSHALL mid-send");
    // The schedule lives in PostgreSQL: customers who qualify after the flush are mailed too.
    await ingest("after-flush");
    await expectAllDeliveredOnce("after-flush", faultAt, "new customers after FLUSHALL");
  }, 180_000);

  it("Redis killed and restarted empty mid-send", async () => {
    await ingest("restart");
    await until(async () => (await sent("restart")) >= EMAILS / 5, 60_000, "first sends");
    await redis.kill();
    const faultAt = Date.now();
    await sleep(2_000);
    await redis.start();
    await expectAllDeliveredOnce("restart", faultAt, "Redis restart mid-send (down 2 s)");
  }, 180_000);

  it("every PostgreSQL connection terminated, several times, mid-ingest and mid-send", async () => {
    unavailable = 0;
    let ingested = false;
    const ingesting = ingest("terminate").then(() => (ingested = true));
    await sleep(150);
    let terminated = 0;
    let duringIngest = 0;
    let duringSend = 0;
    const faultAt = Date.now();
    for (let round = 0; round < 8; round++) {
      const { rows } = await admin.query<{ n: number }>(
        "select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      );
      terminated += present(rows[0], "rows[0]").n;
      if (!ingested) duringIngest++;
      const now = await sent("terminate");
      if (now > 0 && now < EMAILS) duringSend++;
      await sleep(300);
    }
    await ingesting;
    expect(duringIngest).toBeGreaterThan(0);
    expect(duringSend).toBeGreaterThan(0);
    await expectAllDeliveredOnce(
      "terminate",
      faultAt,
      `pg_terminate_backend of every connection, 8 rounds 300 ms apart (${terminated} connections, ${duringIngest} rounds mid-ingest, ${duringSend} mid-send; the client saw ${unavailable} 503s and retried)`,
    );
    // Every event the client sent was stored, once.
    const [events] = await read(() =>
      queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from events e join customers c on c.id = e.customer_id where c.external_id like 'terminate%'`),
    );
    expect(events?.n).toBe(EMAILS * 2);
  }, 180_000);

  it("the statement recording results cancelled after SMTP accepted: recorded on retry, never sent again", async () => {
    await ingest("cancel");
    await until(async () => (await sent("cancel")) >= 10, 60_000, "first sends");
    const faultAt = Date.now();
    const locker = new pg.Client({ connectionString: present(harness.config.database.url, "harness.config.database.url") });
    await locker.connect();
    let cancelled = 0;
    try {
      // Hold the rows being sent, so that their results wait on the lock; then cancel those statements.
      for (let round = 0; round < 8 && (await sent("cancel")) < EMAILS; round++) {
        await locker.query("begin");
        await locker.query("select id from messages where status = 'sending' for update");
        await sleep(300);
        const { rows } = await admin.query<{ n: number }>(
          `select count(*) filter (where pg_cancel_backend(pid))::int as n from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock' and query like '%with finished as%'`,
        );
        cancelled += present(rows[0], "rows[0]").n;
        await locker.query("rollback");
        await sleep(100);
      }
    } finally {
      await locker.end();
    }
    expect(cancelled).toBeGreaterThan(0);
    await expectAllDeliveredOnce("cancel", faultAt, `result statements cancelled after SMTP accepted (${cancelled} cancelled)`);
  }, 180_000);

  it("PostgreSQL unreachable for 8 s mid-send: the API answers 503 with Retry-After, /readyz names PostgreSQL, and everything recovers by itself", async () => {
    await ingest("outage");
    await until(async () => (await sent("outage")) >= EMAILS / 5, 60_000, "first sends");
    await proxy.cut();
    const faultAt = Date.now();
    try {
      await sleep(500);
      const refused = await fetch(`${api.url}/v1/track`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: basic(WRITE_KEY) },
        body: JSON.stringify({ userId: "outage-late", event: "Blast" }),
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("5");
      expect(await refused.json()).toEqual({ error: { code: "unavailable", message: expect.stringMatching(/try again/), problems: [] } });
      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(503);
      const { down, checks } = (await ready.json()) as { down: string[]; checks: { name: string; ok: boolean }[] };
      expect(down).toEqual(["postgres"]);
      expect(checks.find((c) => c.name === "postgres")).toMatchObject({ ok: false, detail: "not answering" });
      // It takes no key: what is down, in words, never the driver's message with hosts and ports.
      expect(JSON.stringify(checks)).not.toMatch(/127\.0\.0\.1|ECONN|:\d{4,5}/);
      expect(checks.find((c) => c.name === "redis")).toMatchObject({ ok: true });
      await sleep(7_500);
    } finally {
      await proxy.restore();
    }
    await expectAllDeliveredOnce("outage", faultAt, "PostgreSQL unreachable for 8 s (connections dropped, new ones refused)");
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
  }, 180_000);
});
