/**
 * One `rekindle worker` with the delivery settings a user gets out of the box (no SEND_CONCURRENCY,
 * SMTP_MAX_CONNECTIONS, DISPATCH_INTERVAL, DISPATCH_HORIZON or SEND_RATE_LIMIT), EMAILS win-back
 * emails due at the same instant, timed from their commit until the SMTP sink has taken them all;
 * next to pooled nodemailer sending the same email to the same sink in the same run.
 *
 * Part of `npm run bench`; alone, on a small database of its own:
 *
 *   BENCH_DATABASE=rekindle_bench_send tsx test/bench/send-defaults.ts [--customers 40000] [--emails 20000] [--profile]
 *
 * (`npm run build` first: the worker is the built `bin/rekindle.js`.) `--profile` writes the
 * worker's CPU profile to .rekindle/bench/profile-send.
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import { z } from "zod";
import { isEventTrigger, scanCampaign } from "../../src/campaigns/index.js";
import { type Config, loadConfig } from "../../src/config/index.js";
import { col, queryRows } from "../../src/db/index.js";
import { renderTemplate, sampleContext } from "../../src/render/index.js";
import { buildDeps, createLogger, reloadCampaigns } from "../../src/runtime/index.js";
import { freshSeededDatabase } from "./bench-database.js";
import { benchEnv, cpuMsOf, startService, startSink } from "./processes.js";
import { starterTemplate } from "./starter-template.js";
import { present } from "../helpers/present.js";

type Deps = Awaited<ReturnType<typeof buildDeps>>["deps"];
type Sink = Awaited<ReturnType<typeof startSink>>;

/** The settings that size a worker's sending; the scenario leaves every one of them at its default. */
export const DELIVERY_SETTINGS = ["SEND_CONCURRENCY", "SMTP_MAX_CONNECTIONS", "DISPATCH_INTERVAL", "DISPATCH_HORIZON", "SEND_RATE_LIMIT"] as const;

/** Sends the raw baseline keeps in flight: more than any pool's connections, so the pool never waits for its caller. */
const RAW_IN_FLIGHT = 100;
const TIMEOUT_MS = 300_000;

export interface SendDefaultsResult {
  /** Emails created due at once (fewer than asked only when the base ran out of customers to mail). */
  emails: number;
  seconds: number;
  emailsPerSecond: number;
  /** The faster of the two raw baselines (each the mean of a measurement before and one after the worker's run). */
  rawPerSecond: number;
  ratio: number;
  completed: boolean;
  settings: { sendConcurrency: number; smtpMaxConnections: number; dispatchInterval: string; dispatchHorizon: string; databasePoolSize: number };
  raw: {
    /** `createTransport({ pool: true })`: nodemailer's own defaults (5 connections, 100 emails each). */
    poolDefaultsPerSecond: number;
    /** The pool with as many connections as the worker opens by default. */
    sameConnectionsPerSecond: number;
    connections: number;
    inFlight: number;
    /** Each measurement, before and after the worker's run. */
    runs: { poolDefaults: number; sameConnections: number }[];
  };
  /** CPU the worker process used while sending, in cores (1 = one core busy all the time). */
  workerCores: number;
  /** The worker's CPU per email sent, in milliseconds (everything it does: dispatch, claims, render, SMTP, results, the queue). */
  workerCpuMsPerEmail: number;
  /** The raw sender's CPU per email, in milliseconds: what nodemailer alone costs. */
  rawCpuMsPerEmail: number;
  /** CPU of the whole machine while sending, in cores (out of `cpus`). */
  machineCores: number;
  /** The same by command name (every `node` process together: the worker, the sink, the bench, and whatever else runs), processes that ended meanwhile left out. */
  commandCores: Record<string, number>;
  outcomes: Record<string, number>;
}

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

/**
 * The environment with the delivery settings blanked, so the worker runs on their defaults: an
 * empty value counts as unset, and it also hides any the bench's own environment holds (the
 * worker inherits it).
 */
export function withDefaultDelivery(env: Record<string, string>): Record<string, string> {
  return { ...env, ...Object.fromEntries(DELIVERY_SETTINGS.map((key) => [key, ""])) };
}

/** Seconds of CPU the whole machine has used (every core, everything but idle and iowait), from /proc. */
async function machineCpuSeconds(): Promise<number> {
  const stat = await readFile("/proc/stat", "utf8");
  const cpu = (stat.split("\n", 1)[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  if (cpu.length < 8) throw new Error(`/proc/stat's cpu line has ${cpu.length} fields, not 8 or more`);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** CPU seconds used so far by each process of the machine, by pid, with its command name (postgres, redis-server, node...). */
async function cpuByProcess(): Promise<Map<string, { command: string; seconds: number }>> {
  const processes = new Map<string, { command: string; seconds: number }>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => undefined);
    const match = stat && /^\d+ \((.*)\) (.*)$/s.exec(stat);
    const [, command, rest] = match || [];
    if (command === undefined || rest === undefined) continue;
    const fields = rest.split(" ");
    processes.set(entry, { command, seconds: (Number(fields[11]) + Number(fields[12])) / 100 });
  }
  return processes;
}

/** CPU used between two snapshots, summed by command name; a process that ended meanwhile is not counted. */
function cpuByCommand(before: Map<string, { command: string; seconds: number }>, after: Map<string, { command: string; seconds: number }>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [pid, { command, seconds }] of after) totals.set(command, (totals.get(command) ?? 0) + seconds - (before.get(pid)?.seconds ?? 0));
  return totals;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** CPU milliseconds per email of the bench process while sending raw (the last measurement): nodemailer's own cost. */
let rawCpuMsPerEmail = 0;

/** Pooled nodemailer, `count` emails to the sink with RAW_IN_FLIGHT in flight; emails per second. */
async function rawPool(deps: Deps, sink: Sink, count: number, connections: number | undefined): Promise<number> {
  const template = starterTemplate(deps, "winback-inactive", "check-in");
  const email = renderTemplate(template, sampleContext());
  const transport = nodemailer.createTransport({ url: sink.url, pool: true, ...(connections !== undefined && { maxConnections: connections }) });
  let next = 0;
  const t = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: RAW_IN_FLIGHT }, async () => {
    for (let i = next++; i < count; i = next++) {
      await transport.sendMail({ from: "Bench <bench@example.com>", to: `raw${i}@example.com`, subject: email.subject, html: email.html, text: email.text });
    }
  }));
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  rawCpuMsPerEmail = (used.user + used.system) / 1000 / count;
  transport.close();
  return rate(count, ms);
}

/**
 * The scenario. `env` is the bench's environment for Rekindle's processes; the delivery settings
 * are taken out of it. No other worker may run on the database meanwhile (its dispatcher would
 * take the emails).
 */
export async function sendDefaults(
  deps: Deps,
  env: Record<string, string>,
  sink: Sink,
  options: { emails: number; log: (line: string) => void; nodeArgs?: string[]; overrides?: Record<string, string> },
): Promise<SendDefaultsResult> {
  const { log } = options;
  // Overrides are for trying other settings while working on the defaults (`--set`); the bench has none.
  const workerEnv = { ...withDefaultDelivery(env), ...options.overrides, PORT: "0" };
  const config: Config = loadConfig(workerEnv);
  const settings = {
    sendConcurrency: config.delivery.sendConcurrency,
    smtpMaxConnections: config.mail.maxConnections,
    dispatchInterval: config.delivery.dispatchInterval,
    dispatchHorizon: config.delivery.dispatchHorizon,
    databasePoolSize: config.database.poolSize,
  };
  const campaign = present(deps.campaigns.get("winback-inactive"), "the starter campaign winback-inactive");
  const run = randomBytes(3).toString("hex");

  // The raw baselines before and after the worker's run, each figure the mean of the two, so that
  // whatever else loads the machine meanwhile weighs on both sides alike.
  const rawRuns: { poolDefaults: number; sameConnections: number }[] = [];
  const rawCpu: number[] = [];
  const measureRaw = async () => {
    const poolDefaults = await rawPool(deps, sink, options.emails, undefined);
    rawCpu.push(rawCpuMsPerEmail);
    const sameConnections = await rawPool(deps, sink, options.emails, settings.smtpMaxConnections);
    rawCpu.push(rawCpuMsPerEmail);
    rawRuns.push({ poolDefaults, sameConnections });
    log(`  raw nodemailer pool: ${poolDefaults} emails/s with its defaults, ${sameConnections} emails/s with ${settings.smtpMaxConnections} connections`);
  };
  await measureRaw();

  const worker = await startService("worker", workerEnv, "worker running", options.nodeArgs ?? []);
  try {
    // What the worker does when it starts (the first runs of its periodic tasks) ends first.
    await waitFor(async () => (await queryRows(deps.db, z.object({}), sql`select 1 from scheduled_tasks where running_until > clock_timestamp()`)).length === 0, 120_000);
    const outboxDue = async () => present((await queryRows(deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status in ('queued', 'sending') or (status = 'scheduled' and due_at <= now())`))[0], "the count of emails due").n;
    await waitFor(async () => (await outboxDue()) === 0, 120_000);

    const before = await sink.count();
    const [created] = await queryRows(deps.db, z.object({ n: col.int }), sql`
      with picked as (
        -- Nobody in the win-back already, and nothing sent to them yet (the frequency cap would rightly hold them).
        select c.id from customers c
        where c.email is not null
          and not exists (select 1 from enrollments e where e.customer_id = c.id and e.campaign_id = ${campaign.id} and e.status = 'active')
          and not exists (select 1 from messages m where m.customer_id = c.id and m.status in ('queued', 'sending', 'sent'))
        order by c.id limit ${options.emails}),
      enrolled as (
        insert into enrollments (campaign_id, campaign_version_id, customer_id, status, current_step_id, trigger_key, matched_facts, entered_at)
        select ${campaign.id}, ${campaign.versionId}, id, 'active', 'check-in', ${`send-defaults-${run}`}, '{"inactiveDays": 20}'::jsonb, now() from picked
        on conflict do nothing
        returning id, customer_id),
      scheduled as (
        insert into messages (enrollment_id, step_id, kind, category, priority, campaign_version_id, customer_id, status, due_at, created_at, updated_at)
        select id, 'check-in', 'email', ${campaign.definition.category}, ${campaign.definition.priority}, ${campaign.versionId}, customer_id, 'scheduled', now(), now(), now()
        from enrolled returning 1)
      select count(*)::int as n from scheduled`);
    const emails = present(created, "the count of emails scheduled").n;
    const workerPid = present(worker.child.pid, "the worker's pid");
    const t = performance.now();
    const [workerCpu, machineCpu, commandsCpu] = [cpuMsOf(workerPid) / 1000, await machineCpuSeconds(), await cpuByProcess()];
    let handed = 0;
    const completed = await waitFor(async () => {
      handed = (await sink.count()) - before;
      return handed >= emails;
    }, TIMEOUT_MS);
    const ms = performance.now() - t;
    const workerCpuSeconds = (cpuMsOf(workerPid) / 1000) - workerCpu;
    const workerCores = +(workerCpuSeconds / (ms / 1000)).toFixed(2);
    const machineCores = +(((await machineCpuSeconds()) - machineCpu) / (ms / 1000)).toFixed(2);
    const commandCores = Object.fromEntries(
      [...cpuByCommand(commandsCpu, await cpuByProcess())]
        .map(([command, seconds]) => [command, +(seconds / (ms / 1000)).toFixed(2)] as const)
        .filter(([, cores]) => cores >= 0.01)
        .sort((a, b) => b[1] - a[1]),
    );
    // The rows' last writes may trail the sink's count by a batch.
    await waitFor(async () => (await outboxDue()) === 0, 30_000);
    const outcomes = await queryRows(deps.db, z.object({ status: z.string(), n: col.int }), sql`
      select m.status::text, count(*)::int as n from messages m join enrollments e on e.id = m.enrollment_id
      where e.trigger_key = ${`send-defaults-${run}`} and m.step_id = 'check-in' group by 1 order by 1`);
    await worker.stop();
    await measureRaw();
    const mean = (key: "poolDefaults" | "sameConnections") => Math.round(rawRuns.reduce((sum, run) => sum + run[key], 0) / rawRuns.length);
    const [poolDefaultsPerSecond, sameConnectionsPerSecond] = [mean("poolDefaults"), mean("sameConnections")];
    const emailsPerSecond = rate(handed, ms);
    const rawPerSecond = Math.max(poolDefaultsPerSecond, sameConnectionsPerSecond);
    return {
      emails,
      seconds: +(ms / 1000).toFixed(1),
      emailsPerSecond,
      rawPerSecond,
      ratio: +(emailsPerSecond / rawPerSecond).toFixed(2),
      completed,
      settings,
      raw: { poolDefaultsPerSecond, sameConnectionsPerSecond, connections: settings.smtpMaxConnections, inFlight: RAW_IN_FLIGHT, runs: rawRuns },
      workerCores,
      workerCpuMsPerEmail: +((workerCpuSeconds * 1000) / Math.max(1, handed)).toFixed(2),
      rawCpuMsPerEmail: +(rawCpu.reduce((a, b) => a + b, 0) / rawCpu.length).toFixed(2),
      machineCores,
      commandCores,
      outcomes: Object.fromEntries(outcomes.map((o) => [o.status, o.n])),
    };
  } finally {
    await worker.stop();
  }
}

/** Alone: a small seeded database of its own, the starter campaigns' first scans parked, the scenario. */
async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      customers: { type: "string", default: "40000" },
      emails: { type: "string", default: "20000" },
      seed: { type: "string", default: "42" },
      profile: { type: "boolean", default: false },
      // `--set SEND_CONCURRENCY=50`: the worker with this setting instead of its default (the figures are then not the defaults').
      set: { type: "string", multiple: true, default: [] },
    },
  });
  const overrides = Object.fromEntries(args.set.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
  const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  log(`seeding ${args.customers} customers into ${process.env.BENCH_DATABASE ?? "rekindle_bench"}`);
  const { url } = await freshSeededDatabase({ customers: Number(args.customers), seed: Number(args.seed), now: new Date(), log: (line) => log(`  ${line}`) });
  const sink = await startSink();
  const prefix = `bench-send-${randomBytes(3).toString("hex")}`;
  const env = benchEnv({ databaseUrl: url, smtpUrl: sink.url, prefix });
  const runtime = await buildDeps(loadConfig({ ...env, PORT: "0" }), createLogger("warn"));
  const { deps } = runtime;
  try {
    await reloadCampaigns(deps);
    // The first scans enroll part of the base; their emails wait a month, so the worker's work is the scenario's alone.
    for (const campaign of deps.campaigns.running()) {
      if (!isEventTrigger(campaign.definition.trigger)) await scanCampaign(deps.db, campaign, new Date(), deps.config.delivery.defaultTimeZone);
    }
    await deps.db.execute(sql`update messages set due_at = due_at + interval '30 days' where status = 'scheduled'`);
    await deps.db.execute(sql`analyze`);
    await deps.db.execute(sql`checkpoint`);
    const nodeArgs = args.profile ? ["--cpu-prof", "--cpu-prof-dir=.rekindle/bench/profile-send"] : [];
    const result = await sendDefaults(deps, env, sink, { emails: Number(args.emails), log, nodeArgs, overrides });
    log(`one worker, ${args.set.length > 0 ? `settings ${args.set.join(" ")}` : "default settings"}: ${JSON.stringify(result)}`);
  } finally {
    const keys = await deps.redis.keys(`${prefix}:*`);
    for (let i = 0; i < keys.length; i += 1000) await deps.redis.del(...keys.slice(i, i + 1000));
    await runtime.close();
    await sink.close();
  }
}

// Run as a script, not imported by bench.ts.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await main();
  process.exit(0);
}
