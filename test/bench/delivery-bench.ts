/**
 * `npm run bench`: Rekindle's costs next to the raw limits measured in the same run, on this machine.
 *  1. render: emails/s/core through Rekindle's renderer vs the same compiled Handlebars template alone;
 *  2. delivery: end-to-end (outbox → dispatch → BullMQ → SMTP) vs raw pooled nodemailer, same connections;
 *  3. Redis memory with 0 and with 1,000,000 messages waiting days in the outbox.
 * Prints a table and writes .rekindle/bench/delivery.json.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import { fork } from "node:child_process";
import { loadConfig } from "../../src/config/index.js";
import { queryRows } from "../../src/db/index.js";
import { dispatchDue } from "../../src/delivery/index.js";
import { renderTemplate, sampleContext } from "../../src/render/index.js";
import { buildDeps, createLogger, reloadCampaigns, startWorker } from "../../src/runtime/index.js";
import { databaseUrl, withAdmin } from "../helpers/postgres.js";

const EMAILS = Number(process.env.BENCH_EMAILS ?? 3000);
const RENDERS = Number(process.env.BENCH_RENDERS ?? 50_000);
const WAITING = Number(process.env.BENCH_WAITING ?? 1_000_000);
const CONNECTIONS = 5;

/** The SMTP sink, in a child process; `count()` asks it how many emails it has taken. */
async function sink(): Promise<{ url: string; count: () => Promise<number>; close: () => Promise<void> }> {
  const child = fork(new URL("./smtp-sink.ts", import.meta.url).pathname, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve) => child.once("message", (m: { port: number }) => resolve(m.port)));
  return {
    url: `smtp://127.0.0.1:${port}`,
    count: () =>
      new Promise((resolve) => {
        child.once("message", (m: { count: number }) => resolve(m.count));
        child.send({ ask: "count" });
      }),
    close: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.send({ ask: "close" });
      }),
  };
}

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

async function main() {
  const results: Record<string, unknown> = { machine: { cpus: (await import("node:os")).cpus().length, node: process.version }, at: new Date().toISOString() };
  const name = `rekindle_bench_${randomBytes(3).toString("hex")}`;
  await withAdmin((c) => c.query(`create database ${name}`));
  const smtp = await sink();
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl(name),
    REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    REDIS_PREFIX: `bench-${randomBytes(3).toString("hex")}`,
    SMTP_URL: smtp.url,
    SEND_CONCURRENCY: process.env.BENCH_SEND_CONCURRENCY ?? "20",
    WRITE_KEYS: "bench-write-key-000000",
    API_KEYS: "bench-api-key-0000000000",
    LOG_LEVEL: "warn",
    TEMPLATES_DIR: "templates",
    DISPATCH_HORIZON: "PT5M",
  });
  const runtime = await buildDeps(config, createLogger("warn"));
  const { deps } = runtime;
  try {
    await deps.database.migrate();
    await reloadCampaigns(deps);
    const campaign = deps.campaigns.get("card-expiring")!;
    const template = campaign.templates.get("first-notice")!.get(null)!;

    // 1. Render.
    const contexts = Array.from({ length: 100 }, (_, i) => {
      const c = sampleContext();
      c.customer.firstName = `Customer${i}`;
      c.card = { ...c.card!, last4: String(1000 + i) };
      return c;
    });
    let t = performance.now();
    for (let i = 0; i < RENDERS; i++) renderTemplate(template, contexts[i % 100]!);
    const ours = rate(RENDERS, performance.now() - t);
    t = performance.now();
    for (let i = 0; i < RENDERS; i++) template.html(contexts[i % 100]!);
    const raw = rate(RENDERS, performance.now() - t);
    results.render = { rekindlePerSecond: ours, rawHandlebarsPerSecond: raw, ratio: +(ours / raw).toFixed(2), target: ">= 10000/s/core" };

    // 2. Delivery: raw pooled nodemailer first.
    const email = renderTemplate(template, contexts[0]!);
    const transport = nodemailer.createTransport(`${smtp.url}?pool=true&maxConnections=${CONNECTIONS}`);
    t = performance.now();
    await Promise.all(Array.from({ length: EMAILS }, (_, i) => transport.sendMail({ from: config.mail.from, to: `raw${i}@example.com`, subject: email.subject, html: email.html, text: email.text })));
    const rawMs = performance.now() - t;
    transport.close();

    // Then the same number through Rekindle: customers with cards expiring, one scan, dispatch, workers.
    await deps.db.execute(sql`insert into customers (external_id, email, name, created_at, updated_at)
      select 'b' || g, 'b' || g || '@example.com', 'Bench ' || g, now(), now() from generate_series(1, ${EMAILS}) g`);
    await deps.db.execute(sql`insert into subscriptions (customer_id, external_id, status, plan, mrr_minor, currency) select id, 'default', 'active', 'pro', 4900, 'USD' from customers`);
    // Cards expiring at the end of this month: always within the campaign's 30 days.
    const soon = new Date();
    await deps.db.execute(sql`insert into payment_methods (customer_id, external_id, brand, last4, exp_month, exp_year)
      select id, 'default', 'visa', '4242', ${soon.getUTCMonth() + 1}, ${soon.getUTCFullYear()} from customers`);
    const { scanCampaign } = await import("../../src/campaigns/index.js");
    const before = await smtp.count();
    const enrolled = await scanCampaign(deps.db, campaign, new Date());
    if (enrolled.length !== EMAILS) throw new Error(`expected ${EMAILS} enrollments, got ${enrolled.length}`);
    const worker = await startWorker(deps);
    // From "all due now" to "all accepted by SMTP": dispatch, queue, checks, render, SMTP, bookkeeping.
    t = performance.now();
    while ((await smtp.count()) - before < enrolled.length) {
      await dispatchDue(deps);
      await new Promise((r) => setTimeout(r, 50));
    }
    const oursMs = performance.now() - t;
    await worker.stop();
    const [sent] = await queryRows<{ n: number }>(deps.db, sql`select count(*)::int as n from messages where status = 'sent'`);
    results.delivery = {
      emails: EMAILS,
      rekindlePerSecond: rate(sent!.n, oursMs),
      rawNodemailerPerSecond: rate(EMAILS, rawMs),
      ratio: +((sent!.n / oursMs) / (EMAILS / rawMs)).toFixed(2),
      connections: CONNECTIONS,
      target: ">= 0.5x raw",
    };

    // 3. Redis memory while a million messages wait days.
    const memory = async () => Number((await deps.redis.info("memory")).match(/used_memory:(\d+)/)![1]);
    await dispatchDue(deps);
    const empty = await memory();
    await deps.db.execute(sql`insert into enrollments (campaign_id, campaign_version_id, customer_id, status, current_step_id, trigger_key, entered_at)
      select ${campaign.id}, ${campaign.versionId}, (select min(id) from customers), 'completed', 'reminder', 'bench:' || g, now() from generate_series(1, ${WAITING}) g`);
    t = performance.now();
    await deps.db.execute(sql`insert into messages (enrollment_id, step_id, kind, campaign_version_id, customer_id, status, due_at)
      select id, 'reminder', 'email', campaign_version_id, customer_id, 'scheduled', now() + interval '3 days' + (id % 86400) * interval '1 second'
      from enrollments where trigger_key like 'bench:%'`);
    const insertMs = performance.now() - t;
    t = performance.now();
    const pass = await dispatchDue(deps);
    const dispatchMs = performance.now() - t;
    const waiting = await memory();
    results.redisMemory = {
      messagesWaiting: WAITING,
      usedMemoryEmptyBytes: empty,
      usedMemoryWithWaitingBytes: waiting,
      growthBytes: waiting - empty,
      dispatchPassMs: Math.round(dispatchMs),
      dispatchedByThatPass: pass.dispatched,
      outboxInsertMs: Math.round(insertMs),
      target: "independent of messages waiting",
    };
  } finally {
    const keys = await deps.redis.keys(`${config.redis.prefix}:*`);
    if (keys.length) await deps.redis.del(...keys);
    await runtime.close();
    await smtp.close();
    await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
  }
  await mkdir(".rekindle/bench", { recursive: true });
  await writeFile(".rekindle/bench/delivery.json", `${JSON.stringify(results, null, 2)}\n`);
  const r = results as { render: Record<string, number>; delivery: Record<string, number>; redisMemory: Record<string, number> };
  const rows = [
    ["render (emails/s, 1 core)", r.render.rekindlePerSecond, r.render.rawHandlebarsPerSecond, `${r.render.ratio}x`, "≥ 10,000/s"],
    [`delivery (emails/s, ${CONNECTIONS} SMTP conns)`, r.delivery.rekindlePerSecond, r.delivery.rawNodemailerPerSecond, `${r.delivery.ratio}x`, "≥ 0.5x raw"],
    [`Redis used_memory, ${WAITING.toLocaleString("en")} waiting`, r.redisMemory.usedMemoryWithWaitingBytes, r.redisMemory.usedMemoryEmptyBytes, `+${r.redisMemory.growthBytes} B`, "flat"],
  ];
  console.log("\n| scenario | Rekindle | raw baseline | ratio | target |\n|---|---|---|---|---|");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log(`\n(dispatch pass over the outbox with ${WAITING.toLocaleString("en")} waiting: ${r.redisMemory.dispatchPassMs} ms; written to .rekindle/bench/delivery.json)`);
}

await main();
process.exit(0);
