/**
 * `npm run bench [-- --customers 1000000]`: Rekindle at scale, next to the raw limits of Postgres,
 * Redis and SMTP measured in the same run on this machine. From a clean database:
 *  0. seed the customer base (seed.ts);
 *  1. first scan of each scan-triggered starter campaign vs the raw INSERT … SELECT of its predicate;
 *  2. the same scans again with nothing new;
 *  3. ingestion through /v1/batch (batches of 100, event triggers live) vs a raw multi-row INSERT;
 *  4. DISPATCH messages falling due at once, until the SMTP sink has taken them all, vs raw nodemailer;
 *  5. peak RSS of the API and worker processes; Redis memory with 1M messages waiting in the outbox;
 *  6. render throughput.
 * Prints a table and writes .rekindle/bench/report.json.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { type SQL, sql, TransactionRollbackError } from "drizzle-orm";
import nodemailer from "nodemailer";
import pg from "pg";
import { z } from "zod";
import { isEventTrigger, type LoadedCampaign, scanCampaign, scanCampaigns } from "../../src/campaigns/index.js";
import { loadConfig } from "../../src/config/index.js";
import { col, queryRows, retryTransient } from "../../src/db/index.js";
import { renderTemplate, sampleContext } from "../../src/render/index.js";
import { buildDeps, createLogger, reloadCampaigns, scanLanes } from "../../src/runtime/index.js";
import { databaseUrl } from "../helpers/postgres.js";
import { BENCH_DATABASE, freshSeededDatabase } from "./bench-database.js";
import { benchEventPartitions } from "./partitions.js";
import { descendants } from "../helpers/process-tree.js";
import { benchEnv, cpuOf, peakRssOf, startService, startSink } from "./processes.js";
import { sendDefaults } from "./send-defaults.js";
import { starterTemplate } from "./starter-template.js";
import { storeFloor } from "./store-floor.js";
import { present } from "../helpers/present.js";

const { values: args } = parseArgs({
  options: {
    customers: { type: "string", default: process.env.BENCH_CUSTOMERS ?? "1000000" },
    dispatch: { type: "string", default: process.env.BENCH_DISPATCH ?? "100000" },
    events: { type: "string", default: process.env.BENCH_EVENTS ?? "100000" },
    import: { type: "string", default: process.env.BENCH_IMPORT ?? "1000000" },
    // For working on some scenarios: e.g. --only ingestion,import (scan, ingestion, import, floor, dispatch, redis, render).
    only: { type: "string" },
    waiting: { type: "string", default: process.env.BENCH_WAITING ?? "1000000" },
    seed: { type: "string", default: "42" },
    workers: { type: "string", default: process.env.BENCH_WORKERS ?? "2" },
    // API_PROCESSES of the API under measurement: one per core, as the README recommends.
    "api-processes": { type: "string", default: process.env.BENCH_API_PROCESSES ?? String(cpus().length) },
    // For working on one scenario: keep the database of the previous run (its figures are then not a clean run's).
    reuse: { type: "boolean", default: false },
  },
});
const CUSTOMERS = Number(args.customers);
const DISPATCH = Number(args.dispatch);
const EVENTS = Number(args.events);
const IMPORT = Number(args.import);
const ONLY = args.only ? new Set(args.only.split(",")) : undefined;
const runs = (scenario: string) => !ONLY || ONLY.has(scenario);
const WAITING = Number(args.waiting);
/** Worker processes: one per core, as the README recommends. */
const WORKERS = Number(args.workers);
const SEND_CONCURRENCY = 50;
const SMTP_CONNECTIONS = 20;
const INGEST_CLIENTS = 8;
const DISPATCH_TIMEOUT_MS = 240_000;

/** Distinguishes this run's events and enrollments from a reused database's. */
const RUN = randomBytes(3).toString("hex");
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const ratio = (ours: number, raw: number) => +(ours / raw).toFixed(2);
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);

/**
 * The predicate of each starter trigger written by hand, as one would in psql, inserting what a
 * scan writes for each match: the enrollment (`enrollmentsOnly`), and with it the first outbox row.
 */
function rawScanWithOutbox(campaign: LoadedCampaign, insertEnrollments: SQL): SQL {
  const d = campaign.definition;
  const firstStep = present(d.steps[0], `the first step of ${campaign.id}`);
  return sql`with enrolled as (${insertEnrollments} returning id, customer_id)
    insert into messages (enrollment_id, step_id, kind, category, priority, campaign_version_id, customer_id, status, due_at, created_at, updated_at)
    select id, ${firstStep.id}, 'email', ${d.category}, ${d.priority}, ${campaign.versionId}, customer_id, 'scheduled', now(), now(), now() from enrolled`;
}

/** The enrollments-only half of the raw statement. */
function rawScan(campaign: LoadedCampaign): SQL | undefined {
  const d = campaign.definition;
  const firstStep = present(d.steps[0], `the first step of ${campaign.id}`);
  const insert = sql`insert into enrollments (campaign_id, campaign_version_id, customer_id, status, current_step_id, trigger_key, entered_at)`;
  const values = (customer: SQL) => sql`select ${campaign.id}, ${campaign.versionId}, ${customer}, 'active', ${firstStep.id}, 'raw', now()`;
  const audience = (customer: SQL) =>
    d.audience && "attribute" in d.audience && d.audience.attribute === "subscription.status" && "in" in d.audience
      ? sql`and exists (select 1 from subscriptions s where s.customer_id = ${customer} and s.status::text = any(${`{${(d.audience.in as string[]).join(",")}}`}::text[]))`
      : sql``;
  const t = d.trigger;
  switch (t.type) {
    case "card_expiring":
      return sql`${insert} ${values(sql`pm.customer_id`)} from payment_methods pm
        where pm.is_default and pm.detached_at is null and pm.expires_on between current_date and (now() + ${t.within}::interval)::date ${audience(sql`pm.customer_id`)}`;
    case "inactive":
      return sql`${insert} ${values(sql`a.customer_id`)} from customer_activity a
        where a.last_seen_at > now() - ${t.for}::interval - ${t.lookback}::interval and a.last_seen_at <= now() - ${t.for}::interval ${audience(sql`a.customer_id`)}`;
    case "not_activated":
      return sql`${insert} ${values(sql`c.id`)} from customers c
        where c.signed_up_at > now() - ${t.after}::interval - ${t.lookback}::interval and c.signed_up_at <= now() - ${t.after}::interval
          and not exists (select 1 from events e where e.customer_id = c.id and e.name = ${t.activation_event}) ${audience(sql`c.id`)}`;
    case "cancel_page_visited":
      return sql`${insert} select distinct on (e.customer_id) ${campaign.id}, ${campaign.versionId}, e.customer_id, 'active', ${firstStep.id}, 'raw', now()
        from events e
        where e.type = 'page' and e.occurred_at <= now() - ${t.grace}::interval and e.occurred_at > now() - ${t.grace}::interval - ${t.lookback}::interval
          and e.properties ->> 'path' like ${t.path.replace(/\*/g, "%")} ${audience(sql`e.customer_id`)}
          -- and did not cancel after the visit
          and not exists (select 1 from events x where x.customer_id = e.customer_id and x.name = 'subscription_canceled' and x.occurred_at >= e.occurred_at)
          and not exists (select 1 from subscriptions sx where sx.customer_id = e.customer_id and sx.status = 'canceled' and sx.canceled_at >= e.occurred_at)`;
    default:
      return undefined;
  }
}

async function main() {
  const report: Record<string, unknown> = {
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    at: new Date().toISOString(),
  };
  const started = performance.now();

  // 0. The customer base.
  log(`seeding ${CUSTOMERS.toLocaleString("en")} customers`);
  const { url, seeded } = args.reuse
    ? { url: databaseUrl(BENCH_DATABASE), seeded: { customers: CUSTOMERS, subscriptions: 0, paymentMethods: 0, events: 0, ms: 0 } }
    : await freshSeededDatabase({ customers: CUSTOMERS, seed: Number(args.seed), now: new Date(), log: (line) => log(`  ${line}`) });
  report.seed = seeded;
  log(`seeded: ${JSON.stringify(seeded)}`);

  const sink = await startSink();
  const prefix = `bench-${randomBytes(3).toString("hex")}`;
  const env = {
    ...benchEnv({ databaseUrl: url, smtpUrl: sink.url, prefix }),
    SEND_CONCURRENCY: String(SEND_CONCURRENCY),
    // The same SMTP connections in all as the raw baseline, shared out between the workers.
    SMTP_MAX_CONNECTIONS: String(Math.max(1, Math.round(SMTP_CONNECTIONS / WORKERS))),
    // The bench times the first scans itself, before the worker starts.
    SCAN_INTERVAL: "PT1M",
    // The re-scan runs campaigns side by side as the scan task does; SCAN_CONCURRENCY=1 for one at a time.
    ...(process.env.SCAN_CONCURRENCY ? { SCAN_CONCURRENCY: process.env.SCAN_CONCURRENCY } : {}),
  };
  const config = loadConfig({ ...env, PORT: "0" });
  const runtime = await buildDeps(config, createLogger("warn"));
  const { deps } = runtime;
  const admin = new pg.Pool({ connectionString: url, max: INGEST_CLIENTS });
  try {
    await reloadCampaigns(deps);
    // Each scenario starts from a settled database: statistics brought up to date (what
    // autovacuum does on its own; some machines run PostgreSQL without it) and the previous
    // scenario's dirty pages written out.
    const settle = async () => {
      await deps.db.execute(sql`analyze`);
      await deps.db.execute(sql`checkpoint`);
    };
    const [server] = await queryRows(
      deps.db,
      z.object({ autovacuum: z.string(), shared_buffers: z.string(), version: z.string() }),
      sql`select current_setting('autovacuum') as autovacuum, current_setting('shared_buffers') as shared_buffers, current_setting('server_version') as version`,
    );
    report.postgres = server;
    // Event reads, partitioned events next to one plain table (test/bench/partitions.ts).
    await settle();
    if (!args.reuse && runs("partitions")) report.eventPartitions = await benchEventPartitions(deps.db, deps.campaigns, { now: new Date(), log });
    await settle();
    const smtpBaseline = runs("dispatch") ? await rawSmtp(deps, sink) : { count: 0, ms: 1 };
    if (runs("dispatch")) log(`raw SMTP: ${rate(smtpBaseline.count, smtpBaseline.ms)} emails/s`);
    const scanned = args.reuse || !runs("scan") ? [] : deps.campaigns.running().filter((c) => !isEventTrigger(c.definition.trigger));

    // 1. First scans, each next to its raw statement (rolled back, so it leaves nothing behind).
    const scans: Record<string, unknown>[] = [];
    for (const campaign of scanned) {
      const raw = rawScan(campaign);
      if (!raw) continue;
      const timeRolledBack = async (statement: SQL) => {
        let ms = 0;
        let rows = 0;
        await deps.db
          .transaction(async (tx) => {
            const t = performance.now();
            const result = (await tx.execute(statement)) as { rowCount?: number };
            ms = performance.now() - t;
            rows = result.rowCount ?? 0;
            tx.rollback();
          })
          .catch((error: unknown) => {
            if (!(error instanceof TransactionRollbackError)) throw error;
          });
        return { ms, rows };
      };
      const enrollmentsOnly = await timeRolledBack(raw);
      const { ms: rawMs, rows: rawRows } = await timeRolledBack(rawScanWithOutbox(campaign, raw));
      const t = performance.now();
      const enrolled = await scanCampaign(deps.db, campaign, new Date(), config.delivery.defaultTimeZone);
      const ms = performance.now() - t;
      scans.push({
        campaign: campaign.id,
        enrolled: enrolled.length,
        ms: Math.round(ms),
        rawRows,
        rawMs: Math.round(rawMs),
        ratio: ratio(ms, rawMs),
        rawEnrollmentsOnlyMs: Math.round(enrollmentsOnly.ms),
        ratioToEnrollmentsOnly: ratio(ms, enrollmentsOnly.ms),
      });
      log(`scan ${campaign.id}: ${enrolled.length} enrolled in ${Math.round(ms)} ms; raw ${rawRows} rows in ${Math.round(rawMs)} ms (enrollments only: ${Math.round(enrollmentsOnly.ms)} ms)`);
    }
    const scanTotal = scans.reduce((sum, s) => sum + (s.ms as number), 0);
    const rawTotal = scans.reduce((sum, s) => sum + (s.rawMs as number), 0);
    const rawOnlyTotal = scans.reduce((sum, s) => sum + (s.rawEnrollmentsOnlyMs as number), 0);
    if (scans.length > 0) report.firstScan = {
      campaigns: scans,
      ms: scanTotal,
      rawMs: rawTotal,
      ratio: ratio(scanTotal, rawTotal),
      rawEnrollmentsOnlyMs: rawOnlyTotal,
      ratioToEnrollmentsOnly: ratio(scanTotal, rawOnlyTotal),
      target: "<= 1.5x raw",
    };

    // 2. The scan job again (exit conditions and scans of every running campaign), nothing new.
    if (runs("scan")) {
    await settle();
    // The scan task's own pass: campaigns side by side, SCAN_CONCURRENCY at once.
    const t = performance.now();
    const passes = await scanCampaigns(deps.db, deps.campaigns.running(), new Date(), {
      defaultTimeZone: config.delivery.defaultTimeZone,
      concurrency: scanLanes(deps),
      previousMs: Object.fromEntries(scans.map((s) => [s.campaign as string, s.ms as number])),
    });
    const rescans = Object.fromEntries(passes.map((p) => [p.campaignId, p.ms]));
    const again = passes.reduce((sum, p) => sum + p.enrolled, 0);
    report.rescan = { ms: Math.round(performance.now() - t), enrolled: again, campaigns: rescans, concurrency: scanLanes(deps), target: "<= 500 ms" };
    log(`re-scan: ${again} enrolled in ${Math.round(performance.now() - t)} ms ${JSON.stringify(rescans)}`);
    }

    // The scans' first emails wait a month, so that what the processes do next is the scenario's work alone.
    const [parked] = await queryRows(deps.db, z.object({ n: col.int }), sql`with p as (update messages set due_at = due_at + interval '30 days' where status = 'scheduled' returning 1) select count(*)::int as n from p`);
    log(`parked the ${present(parked, "the count of parked emails").n} emails the scans scheduled`);

    // Rekindle's own processes from here on.
    // BENCH_PROFILE=1 writes a CPU profile of the API and the worker to .rekindle/bench/profile (open it in Chrome's DevTools).
    const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=.rekindle/bench/profile"] : [];
    const api = await startService("api", { ...env, PORT: "0", API_PROCESSES: args["api-processes"] }, "listening on", profile);
    const apiUrl = (JSON.parse(api.readyLine) as { url: string }).url;
    // With API_PROCESSES > 1, the processes that take requests are the children of the one started.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const apiPid = present(api.child.pid, "the API process's pid");
    const apiPids = [apiPid, ...descendants(apiPid).map((p) => p.pid)];
    report.apiProcesses = Number(args["api-processes"]);
    if (runs("ingestion")) {
      await settle();
      report.ingestion = await ingestion(apiUrl, apiPids, admin);
    }
    if (runs("import")) {
      await settle();
      report.import = await backfill(apiUrl, apiPids, admin);
    }
    if (runs("floor")) {
      await settle();
      // Storing alone, one group after another (rolled back): what the two ingestion figures above are to be read against.
      report.storeFloor = await storeFloor(deps.db, admin, [
        { label: "/v1/batch's events, groups of 200", batches: Math.ceil(EVENTS / 100), batch: (b) => batchOf(b, `floor-${RUN}`), batchesPerGroup: 2 },
        { label: "the backfill's events, groups of 10,000", batches: Math.ceil(Math.min(IMPORT, 300_000) / IMPORT_BATCH), batch: (b) => importBatchOf(b, `floor-import-${RUN}`), batchesPerGroup: 10 },
      ], log);
    }
    // The workers start once ingestion is measured: the API and PostgreSQL have the machine to
    // themselves, as the raw INSERT does, instead of sharing it with the sending of what the
    // ingestion passes triggered (whose emails go out first in the dispatch scenario below).
    const workers = [];
    for (let i = 0; i < WORKERS; i++) workers.push(await startService("worker", { ...env, PORT: "0" }, "worker running", profile));
    if (runs("dispatch")) {
      await settle();
      report.dispatch = await dispatch(deps, sink, smtpBaseline);
    }
    const workerPeaks = await Promise.all(workers.map((worker) => worker.peakRss()));
    report.memory = { apiPeakRssBytes: Math.max(...(await Promise.all(apiPids.map((pid) => peakRssOf(pid).catch(() => 0))))), workerPeakRssBytes: Math.max(...workerPeaks), workerPeaksBytes: workerPeaks, target: "<= 400 MB each" };
    if (runs("redis")) report.redis = await redisWithWaiting(deps);
    await api.stop();
    await Promise.all(workers.map((worker) => worker.stop()));
    if (runs("render")) report.render = render(deps);
    if (runs("send-defaults")) {
      // One worker on its default delivery settings (send-defaults.ts), once the others have stopped.
      await settle();
      report.sendDefaults = await sendDefaults(deps, env, sink, { emails: Math.min(DISPATCH, 20_000), log });
      log(`one worker, default settings: ${JSON.stringify(report.sendDefaults)}`);
    }
  } finally {
    const keys = await deps.redis.keys(`${prefix}:*`);
    for (let i = 0; i < keys.length; i += 1000) await deps.redis.del(...keys.slice(i, i + 1000));
    await admin.end();
    await runtime.close();
    await sink.close();
  }
  report.totalSeconds = Math.round((performance.now() - started) / 1000);
  await mkdir(".rekindle/bench", { recursive: true });
  await writeFile(".rekindle/bench/report.json", `${JSON.stringify(report, null, 2)}\n`);
  printTable(report);
}

type Deps = Awaited<ReturnType<typeof buildDeps>>["deps"];

/** The events of batch `b`: mostly logins, page views, some cancel-page visits and failed payments (dunning's trigger). */
function batchOf(b: number, tag: string): Record<string, unknown>[] {
  const at = new Date().toISOString();
  return Array.from({ length: 100 }, (_, k) => {
    const n = b * 100 + k;
    const userId = `u${(n * 7919) % CUSTOMERS}`;
    const r = (n * 2_654_435_761) % 1000;
    const messageId = `${tag}-${n}`;
    if (r < 20) return { type: "track", event: "payment_failed", userId, messageId, timestamp: at, properties: { amount: 4900, currency: "usd", attempt: 1 } };
    if (r < 30) return { type: "page", name: "Cancel", userId, messageId, timestamp: at, properties: { path: "/account/cancel" } };
    if (r < 130) return { type: "page", name: "Pricing", userId, messageId, timestamp: at, properties: { path: "/pricing" } };
    return { type: "track", event: "Logged In", userId, messageId, timestamp: at, properties: {} };
  });
}

/** Runs `work(i)` for i in [0, count) on `clients` concurrent loops. */
async function concurrently(count: number, clients: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = next++; i < count; i = next++) await work(i);
  }));
  return performance.now() - t;
}

const perThousand = (ms: number, events: number) => +((ms / events) * 1000).toFixed(1);

/** POSTs `batches` bodies to `path` from INGEST_CLIENTS concurrent clients; returns the time taken and the failures. */
async function post(apiUrl: string, path: string, batches: number, body: (b: number) => unknown) {
  const auth = `Basic ${Buffer.from("bench-write-key-000000:").toString("base64")}`;
  const failures: string[] = [];
  const ms = await concurrently(batches, INGEST_CLIENTS, async (b) => {
    const response = await fetch(`${apiUrl}${path}`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify(body(b)) });
    if (response.status !== 200) failures.push(`${response.status} ${await response.text()}`);
    else await response.arrayBuffer();
  });
  return { ms, failures };
}

/** A copy of the events table with the same indexes and foreign key, for the raw baselines. */
async function rawEventsTable(pool: pg.Pool, name: string) {
  await pool.query(`drop table if exists ${name}`);
  await pool.query(`create table ${name} (like events including all)`);
  await pool.query(`alter table ${name} add foreign key (customer_id) references customers (id) on delete cascade`);
}

/** The raw baseline: the same events, one multi-row INSERT per batch (customers joined by their external id). */
async function rawInsert(pool: pg.Pool, table: string, batches: number, events: (b: number) => Record<string, unknown>[]) {
  return concurrently(batches, INGEST_CLIENTS, async (b) => {
    const rows = events(b).map((e) => ({ message_id: e.messageId, type: e.type, name: e.event ?? e.name ?? e.type, user_id: e.userId, properties: e.properties ?? e.traits ?? {}, occurred_at: e.timestamp }));
    // Its foreign key locks customers a worker's claim may hold (dunning emails go out meanwhile): a deadlock is retried, as Rekindle's own writes are.
    await retryTransient(() => pool.query(
      `insert into ${table} (message_id, type, name, customer_id, properties, source, occurred_at, received_at)
       select r.message_id, r.type::event_type, r.name, c.id, r.properties, 'segment', r.occurred_at, now()
       from jsonb_to_recordset($1::jsonb) as r(message_id text, type text, name text, user_id text, properties jsonb, occurred_at timestamptz)
       join customers c on c.external_id = r.user_id`,
      [JSON.stringify(rows)],
    ), { forMs: 10_000, firstWaitMs: 10 });
  });
}

/**
 * /v1/batch with triggers live, twice over the same customers: cold (their rows not yet read since
 * the seed: the first hour of a new installation, or a burst from customers long quiet) and warm.
 */
async function ingestion(apiUrl: string, apiPids: number[], pool: pg.Pool) {
  const batches = Math.ceil(EVENTS / 100);
  const events = batches * 100;
  const passes: Record<string, { eventsPerSecond: number; failedRequests: number; firstFailure?: string; cpuMsPer1000: { api: number; postgres: number } }> = {};
  for (const pass of ["cold", "warm"]) {
    const { result, processMs, postgresMs } = await cpuOf(pool, apiPids, () => post(apiUrl, "/v1/batch", batches, (b) => ({ batch: batchOf(b, `ingest-${pass}-${RUN}`) })));
    const { ms, failures } = result;
    passes[pass] = {
      eventsPerSecond: rate(events, ms),
      failedRequests: failures.length,
      ...(failures.length > 0 && { firstFailure: failures[0] }),
      cpuMsPer1000: { api: perThousand(processMs, events), postgres: perThousand(postgresMs, events) },
    };
    log(`ingestion ${pass}: ${JSON.stringify(passes[pass])}`);
  }
  await rawEventsTable(pool, "bench_raw_events");
  const raw = await cpuOf(pool, [process.pid], () => rawInsert(pool, "bench_raw_events", batches, (b) => batchOf(b, `raw-${RUN}`)));
  const rawMs = raw.result;
  await pool.query("drop table bench_raw_events");
  const [stored] = (await pool.query<{ n: number }>("select count(*)::int as n from events where message_id like 'ingest-%-' || $1 || '-%'", [RUN])).rows;
  const [dunning] = (await pool.query<{ n: number }>("select count(*)::int as n from enrollments where campaign_id = 'dunning'")).rows;
  const rawEventsPerSecond = rate(batches * 100, rawMs);
  const cold = present(passes.cold, "the cold ingestion pass");
  const warm = present(passes.warm, "the warm ingestion pass");
  const result = {
    events: batches * 100,
    stored: present(stored, "the stored count").n,
    dunningEnrolled: present(dunning, "the dunning count").n,
    cold,
    warm,
    eventsPerSecond: cold.eventsPerSecond,
    rawEventsPerSecond,
    ratio: ratio(cold.eventsPerSecond, rawEventsPerSecond),
    warmRatio: ratio(warm.eventsPerSecond, rawEventsPerSecond),
    rawCpuMsPer1000: { client: perThousand(raw.processMs, events), postgres: perThousand(raw.postgresMs, events) },
    clients: INGEST_CLIENTS,
    target: ">= 10000 events/s and >= 0.4x raw",
  };
  log(`ingestion: ${JSON.stringify(result)}`);
  return result;
}

const IMPORT_BATCH = 1_000;

/** A backfill's batch `b`: a year of history (logins, page views, a few identifies), spread over the whole customer base. */
function importBatchOf(b: number, tag: string): Record<string, unknown>[] {
  const now = Date.now();
  return Array.from({ length: IMPORT_BATCH }, (_, k) => {
    const n = b * IMPORT_BATCH + k;
    const userId = `u${(n * 104_729) % CUSTOMERS}`;
    const r = (n * 2_654_435_761) % 100;
    const messageId = `${tag}-${n}`;
    const timestamp = new Date(now - ((n * 7_919) % 365) * 86_400_000 - (n % 86_400) * 1000).toISOString();
    if (r < 2) return { type: "identify", userId, messageId, timestamp, traits: { plan: r === 0 ? "pro" : "team" } };
    if (r < 12) return { type: "page", name: "Pricing", userId, messageId, timestamp, properties: { path: "/pricing" } };
    return { type: "track", event: "Logged In", userId, messageId, timestamp, properties: {} };
  });
}

/** /v1/import: a backfill of IMPORT historical events in batches of 1,000, next to the raw INSERT of the same rows. */
async function backfill(apiUrl: string, apiPids: number[], pool: pg.Pool) {
  const batches = Math.ceil(IMPORT / IMPORT_BATCH);
  const events = batches * IMPORT_BATCH;
  const ours = await cpuOf(pool, apiPids, () => post(apiUrl, "/v1/import", batches, (b) => ({ batch: importBatchOf(b, `import-${RUN}`) })));
  const { ms, failures } = ours.result;
  await rawEventsTable(pool, "bench_raw_import");
  const raw = await cpuOf(pool, [process.pid], () => rawInsert(pool, "bench_raw_import", batches, (b) => importBatchOf(b, `raw-${RUN}`)));
  const rawMs = raw.result;
  await pool.query("drop table bench_raw_import");
  const [stored] = (await pool.query<{ n: number }>("select count(*)::int as n from events where message_id like 'import-' || $1 || '-%'", [RUN])).rows;
  const result = {
    events: batches * IMPORT_BATCH,
    stored: present(stored, "the stored count").n,
    failedRequests: failures.length,
    ...(failures.length > 0 && { firstFailure: failures[0] }),
    eventsPerSecond: rate(batches * IMPORT_BATCH, ms),
    rawEventsPerSecond: rate(batches * IMPORT_BATCH, rawMs),
    ratio: ratio(rawMs, ms),
    cpuMsPer1000: { api: perThousand(ours.processMs, events), postgres: perThousand(ours.postgresMs, events) },
    rawCpuMsPer1000: { client: perThousand(raw.processMs, events), postgres: perThousand(raw.postgresMs, events) },
    clients: INGEST_CLIENTS,
    target: ">= 50000 events/s",
  };
  log(`import: ${JSON.stringify(result)}`);
  return result;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`gave up waiting for ${what}`);
  return false;
}

/** Raw: pooled nodemailer, the same SMTP connections, the same email, on a quiet machine. */
async function rawSmtp(deps: Deps, sink: Awaited<ReturnType<typeof startSink>>): Promise<{ count: number; ms: number }> {
  const template = starterTemplate(deps, "winback-inactive", "check-in");
  const email = renderTemplate(template, sampleContext());
  const count = Math.min(DISPATCH, 20_000);
  const transport = nodemailer.createTransport(`${sink.url}?pool=true&maxConnections=${SMTP_CONNECTIONS}`);
  const ms = await concurrently(count, SEND_CONCURRENCY, async (i) => {
    await transport.sendMail({ from: "Bench <bench@example.com>", to: `raw${i}@example.com`, subject: email.subject, html: email.html, text: email.text });
  });
  transport.close();
  return { count, ms };
}

async function dispatch(deps: Deps, sink: Awaited<ReturnType<typeof startSink>>, raw: { count: number; ms: number }) {
  const campaign = present(deps.campaigns.get("winback-inactive"), "the starter campaign winback-inactive");
  const { count: rawCount, ms: rawMs } = raw;

  // What ingestion set in motion (dunning emails) finishes first.
  const outboxDue = async () => present((await queryRows(deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status in ('queued', 'sending') or (status = 'scheduled' and due_at <= now())`))[0], "the count of emails due").n;
  await waitFor("the outbox to drain", async () => (await outboxDue()) === 0, 120_000);

  // DISPATCH customers get the win-back email, all due at the same instant.
  // From here the sink counts; emails of other campaigns sent from here on are counted below.
  const [windowStart] = await queryRows(deps.db, z.object({ at: z.string() }), sql`select clock_timestamp()::text as at`);
  const before = await sink.count();
  const [created] = await queryRows(deps.db, z.object({ n: col.int, due: z.string() }), sql`
    with picked as (
      -- Nobody in the win-back already, and nothing sent to them yet (the frequency cap would rightly hold them).
      select c.id from customers c
      where c.email is not null
        and not exists (select 1 from enrollments e where e.customer_id = c.id and e.campaign_id = ${campaign.id} and e.status = 'active')
        and not exists (select 1 from messages m where m.customer_id = c.id and m.status in ('queued', 'sending', 'sent'))
      order by c.id limit ${DISPATCH}),
    enrolled as (
      insert into enrollments (campaign_id, campaign_version_id, customer_id, status, current_step_id, trigger_key, matched_facts, entered_at)
      select ${campaign.id}, ${campaign.versionId}, id, 'active', 'check-in', ${`bench-${RUN}`}, '{"inactiveDays": 20}'::jsonb, now() from picked
      -- A worker's scan may enroll one of them in the win-back meanwhile: that customer is left to it.
      on conflict do nothing
      returning id, customer_id),
    scheduled as (
      insert into messages (enrollment_id, step_id, kind, category, priority, campaign_version_id, customer_id, status, due_at, created_at, updated_at)
      select id, 'check-in', 'email', ${campaign.definition.category}, ${campaign.definition.priority}, ${campaign.versionId}, customer_id, 'scheduled', now(), now(), now()
      from enrolled returning due_at)
    select count(*)::int as n, min(due_at)::text as due from scheduled`);
  const createdCount = present(created, "the count of emails scheduled").n;
  const t = performance.now();
  let handed = 0;
  const done = await waitFor("the sink to take every email", async () => {
    handed = (await sink.count()) - before;
    return handed >= createdCount;
  }, DISPATCH_TIMEOUT_MS);
  const ms = performance.now() - t;
  const outcomes = await queryRows(deps.db, z.object({ status: z.string(), n: col.int }), sql`
    select m.status::text, count(*)::int as n from messages m join enrollments e on e.id = m.enrollment_id
    where e.trigger_key = ${`bench-${RUN}`} and m.step_id = 'check-in' group by 1 order by 1`);
  // The sink counts every email: those of other campaigns that went out in the same window (a
  // worker's own scan, a retry come due) are counted here, so that handedToSmtp - messages is
  // accounted for and a duplicate would show as the difference left over.
  const [others] = await queryRows(deps.db, z.object({ n: col.int }), sql`
    select count(*)::int as n from messages m left join enrollments e on e.id = m.enrollment_id
    where m.status = 'sent' and m.sent_at >= ${present(windowStart, "the dispatch's start").at}::timestamptz
      and not (e.trigger_key is not distinct from ${`bench-${RUN}`} and m.step_id = 'check-in')`);
  const result = {
    messages: createdCount,
    handedToSmtp: handed,
    otherEmailsSentMeanwhile: present(others, "the count of other emails").n,
    completed: done,
    seconds: +(ms / 1000).toFixed(1),
    emailsPerSecond: rate(handed, ms),
    rawNodemailerPerSecond: rate(rawCount, rawMs),
    ratio: ratio(rate(handed, ms), rate(rawCount, rawMs)),
    outcomes: Object.fromEntries(outcomes.map((o) => [o.status, o.n])),
    workers: WORKERS,
    sendConcurrency: SEND_CONCURRENCY,
    smtpConnections: SMTP_CONNECTIONS,
    target: "all within 60 s",
  };
  log(`dispatch: ${JSON.stringify(result)}`);
  return result;
}

/** Redis memory with WAITING messages due in days sitting in the outbox, after a dispatch pass. */
async function redisWithWaiting(deps: Deps) {
  const memory = async () => Number(present((await deps.redis.info("memory")).match(/used_memory:(\d+)/)?.[1], "used_memory in Redis's INFO"));
  const { dispatchDue } = await import("../../src/delivery/index.js");
  await dispatchDue(deps);
  const empty = await memory();
  const campaign = present(deps.campaigns.get("card-expiring"), "the starter campaign card-expiring");
  let t = performance.now();
  // A worker's scan may take the same customers' locks meanwhile: a deadlock is retried, as Rekindle's own writes are.
  await retryTransient(() => deps.db.execute(sql`
    with enrolled as (
      insert into enrollments (campaign_id, campaign_version_id, customer_id, status, current_step_id, trigger_key, entered_at)
      select ${campaign.id}, ${campaign.versionId}, c.id, 'completed', 'reminder', ${`waiting-${RUN}:`} || g, now()
      from generate_series(1, ${WAITING}) g join customers c on c.id = (select min(id) from customers) + (g - 1) % ${CUSTOMERS}
      returning id, customer_id)
    insert into messages (enrollment_id, step_id, kind, category, campaign_version_id, customer_id, status, due_at)
    select id, 'reminder', 'email', 'dunning', ${campaign.versionId}, customer_id, 'scheduled', now() + interval '3 days' + (id % 86400) * interval '1 second'
    from enrolled`), { forMs: 120_000 });
  const insertMs = performance.now() - t;
  t = performance.now();
  const pass = await dispatchDue(deps);
  const passMs = performance.now() - t;
  const waiting = await memory();
  const result = {
    messagesWaiting: WAITING,
    usedMemoryEmptyBytes: empty,
    usedMemoryWithWaitingBytes: waiting,
    growthBytes: waiting - empty,
    dispatchPassMs: Math.round(passMs),
    dispatchedByThatPass: pass.dispatched,
    outboxInsertMs: Math.round(insertMs),
    target: "independent of messages waiting",
  };
  log(`redis: ${JSON.stringify(result)}`);
  return result;
}

function render(deps: Deps) {
  const RENDERS = 50_000;
  const template = starterTemplate(deps, "card-expiring", "first-notice");
  const contexts = Array.from({ length: 100 }, (_, i) => {
    const c = sampleContext();
    c.customer.firstName = `Customer${i}`;
    c.card = { ...present(c.card, "the sample context's card"), last4: String(1000 + i) };
    return c;
  });
  const contextAt = (i: number) => present(contexts[i % contexts.length], "a render context");
  let t = performance.now();
  for (let i = 0; i < RENDERS; i++) renderTemplate(template, contextAt(i));
  const ours = rate(RENDERS, performance.now() - t);
  t = performance.now();
  for (let i = 0; i < RENDERS; i++) template.html(contextAt(i));
  const raw = rate(RENDERS, performance.now() - t);
  return { rekindlePerSecond: ours, rawHandlebarsPerSecond: raw, ratio: ratio(ours, raw), target: ">= 10000/s/core" };
}

const MB = (bytes: number) => `${Math.round(bytes / 1_048_576)} MB`;
const n = (value: number) => value.toLocaleString("en");

function printTable(report: Record<string, unknown>) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the report is ours, printed as is
  const r = report as any;
  const rows: string[][] = [
    [`seed ${n(r.seed.customers)} customers, ${n(r.seed.events)} events (COPY)`, `${(r.seed.ms / 1000).toFixed(1)} s`, "", "", ""],
    ...(r.firstScan
      ? [
          ...r.firstScan.campaigns.map((s: Record<string, number | string>) => [`first scan: ${s.campaign} (${n(s.enrolled as number)} enrolled)`, `${n(s.ms as number)} ms`, `${n(s.rawMs as number)} ms`, `${s.ratio}x`, "≤ 1.5x"]),
          ["first scan: all scan campaigns", `${n(r.firstScan.ms)} ms`, `${n(r.firstScan.rawMs)} ms`, `${r.firstScan.ratio}x`, "≤ 1.5x"],
        ]
      : []),
    ...(r.rescan ? [[`re-scan, nothing new (scan job: exits + scans, ${r.rescan.concurrency ?? 1} at a time)`, `${n(r.rescan.ms)} ms`, "", "", "≤ 500 ms"]] : []),
    ...(r.ingestion
      ? [
          [`ingestion cold, /v1/batch of 100, ${r.ingestion.clients} clients (events/s)`, n(r.ingestion.cold.eventsPerSecond), n(r.ingestion.rawEventsPerSecond), `${r.ingestion.ratio}x`, "≥ 10,000/s, ≥ 0.4x"],
          ["ingestion warm, the same customers again (events/s)", n(r.ingestion.warm.eventsPerSecond), n(r.ingestion.rawEventsPerSecond), `${r.ingestion.warmRatio}x`, "≥ 10,000/s, ≥ 0.4x"],
        ]
      : []),
    ...(r.import ? [[`backfill, ${n(r.import.events)} events through /v1/import (events/s)`, n(r.import.eventsPerSecond), n(r.import.rawEventsPerSecond), `${r.import.ratio}x`, "≥ 50,000/s"]] : []),
    ...(r.storeFloor ?? []).map((f: Record<string, number | string>) => [
      `storing alone, ${f.label}: CPU µs/event parse ${f.parseUs} + store ${f.storeProcessUs} + PostgreSQL ${f.storePostgresUs} → at most (events/s, all cores)`,
      n(f.ceilingPerSecond as number), "", "", "",
    ]),
    ...(r.dispatch
      ? [
          [`dispatch: ${n(r.dispatch.messages)} due at once → SMTP sink (${r.dispatch.workers} workers)`, `${r.dispatch.seconds} s${r.dispatch.completed ? "" : " (timed out)"}`, "", "", "≤ 60 s"],
          [`delivery (emails/s, ${r.dispatch.smtpConnections} SMTP connections)`, n(r.dispatch.emailsPerSecond), n(r.dispatch.rawNodemailerPerSecond), `${r.dispatch.ratio}x`, "≥ 0.5x raw"],
        ]
      : []),
    ...(r.sendDefaults ? [[`one worker, default settings: ${n(r.sendDefaults.emails)} emails → sink (emails/s)`, n(r.sendDefaults.emailsPerSecond), n(r.sendDefaults.rawPerSecond), `${r.sendDefaults.ratio}x`, "≥ 0.5x raw"]] : []),
    ["peak RSS, API process", MB(r.memory.apiPeakRssBytes), "", "", "≤ 400 MB"],
    [`peak RSS, worker process (largest of ${r.memory.workerPeaksBytes.length})`, MB(r.memory.workerPeakRssBytes), "", "", "≤ 400 MB"],
    ...(r.redis ? [[`Redis used_memory, ${n(r.redis.messagesWaiting)} waiting in the outbox`, `${n(r.redis.usedMemoryWithWaitingBytes)} B`, `${n(r.redis.usedMemoryEmptyBytes)} B`, `${r.redis.growthBytes >= 0 ? "+" : ""}${n(r.redis.growthBytes)} B`, "flat"]] : []),
    ...(r.render ? [["render (emails/s, 1 core) vs compiled Handlebars alone", n(r.render.rekindlePerSecond), n(r.render.rawHandlebarsPerSecond), `${r.render.ratio}x`, "≥ 10,000/s"]] : []),
  ];
  console.log("\n| scenario | Rekindle | raw baseline | ratio | target |\n|---|---|---|---|---|");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log(`\nwhole run: ${r.totalSeconds} s on ${r.machine.cpus} × ${r.machine.cpu}, ${r.machine.memoryGiB} GiB; PostgreSQL ${r.postgres.version} (shared_buffers ${r.postgres.shared_buffers}, autovacuum ${r.postgres.autovacuum}); written to .rekindle/bench/report.json`);
}

await main();
process.exit(0);
