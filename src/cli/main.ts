import { Command } from "commander";
import type { LoadedCampaign } from "../campaigns/index.js";
import type { Db } from "../db/index.js";
import { ConfigError, type Config, loadConfig } from "../config/index.js";
import { RedisUnavailableError } from "../redis/index.js";
import { buildDeps, createLogger, reloadCampaigns, requireMigrated, type Runtime, type Service, startApi, startWorker } from "../runtime/index.js";
import { durationMs } from "../time/index.js";

/** Loads the configuration or stops with the one message that names every bad variable. */
function configOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** A mistake in what was typed: said plainly, exit code 2. */
class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Expected start-up failures are told plainly; anything else keeps its stack for the operator. */
function fail(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(`rekindle: ${error.message}\n`);
    process.exit(2);
  }
  const known =
    error instanceof RedisUnavailableError ||
    (error instanceof Error && (error.name === "DatabaseInUseError" || /migrat|ECONNREFUSED|password authentication|does not exist/i.test(error.message)));
  process.stderr.write(`rekindle: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
}

/**
 * Runs services until SIGINT/SIGTERM, then stops them gracefully: the API stops taking
 * requests, workers finish the jobs in hand (within SHUTDOWN_TIMEOUT), connections close.
 * A second signal exits at once.
 */
async function runServices(what: { api: boolean; worker: boolean; migrate: boolean }): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel);
  let runtime: Runtime | undefined;
  const services: Service[] = [];
  try {
    runtime = await buildDeps(config, logger, { env: process.env });
    const { deps } = runtime;
    if (config.usingDevelopmentKeys) {
      logger.warn(
        { writeKeys: config.writeKeys, apiKeys: config.apiKeys },
        "using development keys: set WRITE_KEYS and API_KEYS before exposing Rekindle",
      );
    }
    if (what.migrate) await deps.database.migrate();
    else await requireMigrated(deps);
    await reloadCampaigns(deps);
    logger.info({ database: deps.database.kind, redis: deps.redisUrl.replace(/\/\/[^@]*@/, "//***@") }, "connected");
    if (what.worker) services.push(await startWorker(deps));
    if (what.api) services.push(await startApi(deps));
  } catch (error) {
    for (const service of services.reverse()) await service.stop().catch(() => {});
    // runtime is unset when buildDeps itself failed; it cleans up after itself then.
    await runtime?.close().catch(() => {});
    fail(error);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timeout = setTimeout(() => {
      logger.error("shutdown timed out; exiting");
      process.exit(1);
    }, durationMs(config.shutdownTimeout));
    timeout.unref();
    // The API first, so no new work arrives while workers drain.
    for (const service of [...services].reverse()) {
      await service.stop().catch((error: unknown) => logger.error({ err: error, service: service.name }, "stop failed"));
    }
    await runtime?.close();
    clearTimeout(timeout);
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

const program = new Command()
  .name("rekindle")
  .description("Retention email engine for subscription businesses.")
  .showHelpAfterError();

program
  .command("start")
  .description("apply migrations, then run the API, the worker and the schedulers in one process")
  .action(() => runServices({ api: true, worker: true, migrate: true }));

program
  .command("api")
  .description("run the HTTP API only (run `rekindle migrate` first)")
  .action(() => runServices({ api: true, worker: false, migrate: false }));

program
  .command("worker")
  .description("run a worker only; run as many as you like, on as many machines")
  .action(() => runServices({ api: false, worker: true, migrate: false }));

program
  .command("migrate")
  .description("apply pending database migrations (safe to run while other processes start)")
  .action(async () => {
    const config = configOrExit();
    const { openDatabase, pendingMigrations } = await import("../db/index.js");
    try {
      const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2 });
      const pending = await pendingMigrations(database.db);
      await database.migrate();
      process.stdout.write(pending.length > 0 ? `applied ${pending.length} migration(s): ${pending.join(", ")}\n` : "database is up to date\n");
      await database.close();
    } catch (error) {
      fail(error);
    }
  });

program
  .command("validate")
  .description("check every campaign folder; print each problem with file, line and reason")
  .option("--dir <dir>", "campaign folders (default: TEMPLATES_DIR)")
  .action(async (options: { dir?: string }) => {
    const config = configOrExit();
    const { formatProblem, readCampaignFolders } = await import("../campaigns/index.js");
    const folders = await readCampaignFolders(options.dir ?? config.campaigns.templatesDir);
    for (const folder of folders) {
      if (folder.type === "valid") {
        const { trigger, steps, enabled } = folder.campaign;
        process.stdout.write(`ok       ${folder.id} (${trigger.type}, ${steps.length} step(s)${enabled ? "" : ", disabled"})\n`);
      } else {
        process.stdout.write(`invalid  ${folder.id}\n`);
        for (const problem of folder.problems) process.stdout.write(`  ${formatProblem(problem)}\n`);
      }
    }
    const invalid = folders.filter((f) => f.type === "invalid").length;
    process.stdout.write(`${folders.length - invalid} valid, ${invalid} invalid\n`);
    process.exit(invalid > 0 ? 1 : 0);
  });

program
  .command("dry-run")
  .description("who would enter a campaign right now, with the facts that matched; enrolls no one")
  .argument("<campaign>", "campaign id (its folder name)")
  .option("--sample <n>", "how many customers to list", "10")
  .option("--json", "print JSON")
  .action(async (id: string, options: { sample: string; json?: boolean }) => {
    const config = configOrExit();
    const { dryRun, formatProblem, readCampaignFolders } = await import("../campaigns/index.js");
    const { openDatabase } = await import("../db/index.js");
    const folder = (await readCampaignFolders(config.campaigns.templatesDir)).find((f) => f.id === id);
    if (!folder) fail(new UsageError(`no campaign folder ${id} in ${config.campaigns.templatesDir}`));
    if (folder.type === "invalid") {
      process.stderr.write(`campaign ${id} is invalid:\n${folder.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}\n`);
      process.exit(1);
    }
    const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2 }).catch(fail);
    try {
      const campaign = { id, versionId: 0, contentHash: folder.contentHash, definition: folder.campaign, directory: folder.directory, templates: folder.templates };
      const result = await dryRun(database.db, campaign, new Date(), { sample: Number.parseInt(options.sample, 10) || 10 });
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        const basis = result.basis === "scan" ? "if the scan ran now" : "from the events of the last hour";
        process.stdout.write(`${result.wouldEnter} customer(s) would enter ${id} ${basis}.\n`);
        for (const entry of result.sample) {
          process.stdout.write(`  ${entry.customerId}${entry.email ? ` <${entry.email}>` : ""}  ${JSON.stringify(entry.facts)}\n`);
        }
      }
    } catch (error) {
      fail(error);
    } finally {
      await database.close();
    }
  });

/** A campaign from the templates folder, with a database for what needs one; exits on problems. */
async function withCampaign<T>(config: Config, id: string, work: (campaign: LoadedCampaign, db: Db) => Promise<T>): Promise<T> {
  const { formatProblem, readCampaignFolders } = await import("../campaigns/index.js");
  const { openDatabase } = await import("../db/index.js");
  const folder = (await readCampaignFolders(config.campaigns.templatesDir)).find((f) => f.id === id);
  if (!folder) fail(new UsageError(`no campaign folder ${id} in ${config.campaigns.templatesDir}`));
  if (folder.type === "invalid") {
    process.stderr.write(`campaign ${id} is invalid:\n${folder.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}\n`);
    process.exit(1);
  }
  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2 }).catch(fail);
  try {
    const campaign = { id, versionId: 0, contentHash: folder.contentHash, definition: folder.campaign, directory: folder.directory, templates: folder.templates };
    await assertMigrated(database.db);
    return await work(campaign, database.db);
  } finally {
    await database.close();
  }
}

program
  .command("preview")
  .description("render one email of a campaign as a customer will get it; writes the HTML and text, prints the subject")
  .argument("<campaign>", "campaign id")
  .argument("<step>", "email step id")
  .option("--customer <id>", "render for this customer (their data and locale) instead of the sample")
  .option("--locale <locale>", "render this locale variant")
  .option("--out <dir>", "where to write <campaign>.<step>.html and .txt", ".rekindle/previews")
  .action(async (id: string, stepId: string, options: { customer?: string; locale?: string; out: string }) => {
    const config = configOrExit();
    const { previewStep } = await import("../delivery/index.js");
    const { mkdir, writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const result = await withCampaign(config, id, (campaign, db) =>
      previewStep({ db, config }, campaign, stepId, { ...(options.customer && { customerId: options.customer }), ...(options.locale && { locale: options.locale }) }),
    ).catch(fail);
    if (result.type !== "ok") fail(new UsageError(result.what));
    await mkdir(options.out, { recursive: true });
    const base = join(options.out, `${id}.${stepId}${result.locale ? `.${result.locale}` : ""}`);
    await writeFile(`${base}.html`, result.email.html);
    await writeFile(`${base}.txt`, result.email.text);
    process.stdout.write(`subject:   ${result.email.subject}\npreheader: ${result.email.preheader ?? ""}\nfor:       ${result.customer} (locale ${result.locale ?? "default"})\nwrote:     ${base}.html, ${base}.txt\n`);
  });

program
  .command("test-send")
  .description("send one email of a campaign to an address, marked as a test")
  .argument("<campaign>", "campaign id")
  .argument("<step>", "email step id")
  .requiredOption("--to <address>", "where to send it")
  .option("--customer <id>", "render for this customer instead of the sample")
  .option("--locale <locale>", "render this locale variant")
  .action(async (id: string, stepId: string, options: { to: string; customer?: string; locale?: string }) => {
    const config = configOrExit();
    const { testSend } = await import("../delivery/index.js");
    const { createMailer } = await import("../mail/index.js");
    const logger = createLogger(config.logLevel);
    const mailer = createMailer(config.mail.smtpUrl, logger);
    try {
      const result = await withCampaign(config, id, (campaign, db) =>
        testSend({ db, config, mailer }, campaign, stepId, options.to, { ...(options.customer && { customerId: options.customer }), ...(options.locale && { locale: options.locale }) }),
      );
      if (result.type !== "sent") fail(new UsageError(result.what));
      process.stdout.write(`sent "${result.subject}" to ${options.to}: ${result.response}\n`);
    } catch (error) {
      fail(error);
    } finally {
      await mailer.close();
    }
  });

program
  .command("uncertain")
  .description("list emails that may or may not have been sent (a worker stopped mid-SMTP); they are never resent on their own")
  .option("--json", "print JSON")
  .action(async (options: { json?: boolean }) => {
    const config = configOrExit();
    const { openDatabase, queryRows } = await import("../db/index.js");
    const { sql } = await import("drizzle-orm");
    const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2 }).catch(fail);
    try {
      const rows = await queryRows<{ id: number; customer: string; campaign: string; step: string; to_address: string | null; updated_at: string }>(
        database.db,
        sql`select m.id::int, c.external_id as customer, en.campaign_id as campaign, m.step_id as step, m.to_address, m.updated_at
            from messages m join customers c on c.id = m.customer_id join enrollments en on en.id = m.enrollment_id
            where m.status = 'uncertain' order by m.updated_at`,
      );
      if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        process.stdout.write(`${rows.length} uncertain message(s)\n`);
        for (const r of rows) process.stdout.write(`  #${r.id}  ${r.campaign}/${r.step}  to ${r.to_address ?? "?"} (customer ${r.customer}), since ${new Date(r.updated_at).toISOString()}\n`);
      }
    } catch (error) {
      fail(error);
    } finally {
      await database.close();
    }
  });

/** Runs `work` with the database only (no Redis): the support commands. */
async function withDatabase(work: (db: Db, config: Config) => Promise<void>): Promise<void> {
  const config = configOrExit();
  const { openDatabase } = await import("../db/index.js");
  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2 }).catch(fail);
  try {
    await assertMigrated(database.db);
    await work(database.db, config);
  } catch (error) {
    await database.close();
    fail(error);
  }
  await database.close();
}

async function assertMigrated(db: Db): Promise<void> {
  const { pendingMigrations } = await import("../db/index.js");
  const pending = await pendingMigrations(db);
  if (pending.length > 0) throw new UsageError(`the database is missing migrations (${pending.join(", ")}); run \`rekindle migrate\` first`);
}

const cliActor = async () => `cli:${(await import("node:os")).userInfo().username}`;

program
  .command("suppress")
  .description("stop all mail (or one category's) to an address; recorded in the audit log")
  .argument("<email>")
  .option("--category <category>", "only this category (winback, onboarding…)")
  .option("--complaint", "record a spam complaint rather than a manual suppression")
  .option("--note <text>", "why")
  .action((email: string, options: { category?: string; complaint?: boolean; note?: string }) =>
    withDatabase(async (db) => {
      const { SuppressInput, suppress } = await import("../suppressions/index.js");
      const input = SuppressInput.safeParse({ email, reason: options.complaint ? "complaint" : "manual", ...(options.category && { category: options.category }), ...(options.note && { detail: options.note }) });
      if (!input.success) fail(new UsageError(input.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")));
      const result = await suppress(db, input.data, await cliActor(), new Date());
      process.stdout.write(result.created ? `suppressed ${input.data.email} (${options.category ?? "all mail"})\n` : `${input.data.email} was already suppressed that way\n`);
    }),
  );

program
  .command("unsuppress")
  .description("re-subscribe an address (one category with --category, the all-mail suppression with --category all, or every one); audited")
  .argument("<email>")
  .option("--category <category>")
  .action((email: string, options: { category?: string }) =>
    withDatabase(async (db) => {
      const { UnsuppressInput, unsuppress } = await import("../suppressions/index.js");
      const input = UnsuppressInput.safeParse({ email, ...(options.category && { category: options.category }) });
      if (!input.success) fail(new UsageError(input.error.issues.map((i) => i.message).join("; ")));
      const { lifted } = await unsuppress(db, input.data, await cliActor(), new Date());
      process.stdout.write(`lifted ${lifted} suppression(s) of ${input.data.email}\n`);
    }),
  );

program
  .command("suppressions")
  .description("list active suppressions (of one address, or the latest)")
  .argument("[email]")
  .action((email: string | undefined) =>
    withDatabase(async (db) => {
      const { listSuppressions } = await import("../suppressions/index.js");
      const rows = await listSuppressions(db, email);
      for (const r of rows) process.stdout.write(`${r.email}  ${r.category ?? "all"}  ${r.reason}  by ${r.createdBy} at ${r.createdAt.toISOString()}${r.detail ? `  (${r.detail})` : ""}\n`);
      process.stdout.write(`${rows.length} suppression(s)\n`);
    }),
  );

async function customerScope(db: Db, id: string) {
  const { customers } = await import("../db/index.js");
  const { eq } = await import("drizzle-orm");
  const [row] = await db.select({ id: customers.id }).from(customers).where(eq(customers.externalId, id));
  if (!row) fail(new UsageError(`no customer ${id}`));
  return { scope: "customer" as const, customerId: row.id, label: id };
}

function parsed<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) fail(new UsageError(result.error.issues.map((i) => `${i.path.map(String).join(".") || "input"}: ${i.message}`).join("; ")));
  return result.data;
}

program
  .command("pause")
  .description("hold one customer's emails (queued ones too) until --until or a resume; audited")
  .argument("<customer>")
  .requiredOption("--reason <text>", "why (support will read it)")
  .option("--until <date>", "ISO date or date-time, e.g. 2026-12-31")
  .action((id: string, options: { reason: string; until?: string }) =>
    withDatabase(async (db) => {
      const { pause, PauseInput } = await import("../support/index.js");
      const input = parsed(PauseInput, { reason: options.reason, ...(options.until && { until: options.until }) });
      await pause(db, await customerScope(db, id), input, await cliActor(), new Date());
      process.stdout.write(`paused ${id}${input.until ? ` until ${input.until.toISOString()}` : ""}\n`);
    }),
  );

program
  .command("resume")
  .description("lift a customer's pause; what it held goes out now")
  .argument("<customer>")
  .action((id: string) =>
    withDatabase(async (db) => {
      const { resume } = await import("../support/index.js");
      const result = await resume(db, await customerScope(db, id), await cliActor(), new Date());
      process.stdout.write(`resumed ${id}: ${result.lifted} pause(s) lifted, ${result.released} email(s) released\n`);
    }),
  );

program
  .command("stop")
  .description("end a customer's active sequences now (queued emails are skipped); audited")
  .argument("<customer>")
  .requiredOption("--reason <text>", "why")
  .option("--block <duration>", "keep them out of every campaign this long, e.g. P30D")
  .action((id: string, options: { reason: string; block?: string }) =>
    withDatabase(async (db) => {
      const { stop, StopInput } = await import("../support/index.js");
      const scope = await customerScope(db, id);
      const result = await stop(db, { id: scope.customerId, label: id }, parsed(StopInput, { reason: options.reason, ...(options.block && { block: options.block }) }), await cliActor(), new Date());
      process.stdout.write(`stopped ${result.stopped} sequence(s) of ${id}, skipped ${result.skipped} email(s)${result.blockedUntil ? `; no new ones before ${result.blockedUntil.toISOString()}` : ""}\n`);
    }),
  );

const campaignCommand = program.command("campaign").description("act on one campaign");
for (const [name, verb] of [
  ["pause", "hold every email of a campaign (queued ones too)"],
  ["resume", "lift a campaign's pause"],
] as const) {
  const command = campaignCommand.command(name).description(verb).argument("<campaign>");
  if (name === "pause") command.requiredOption("--reason <text>", "why").option("--until <date>");
  command.action((id: string, options: { reason?: string; until?: string }) =>
    withDatabase(async (db) => {
      const { pause, PauseInput, resume } = await import("../support/index.js");
      if (name === "pause") {
        await pause(db, { scope: "campaign", campaignId: id }, parsed(PauseInput, { reason: options.reason, ...(options.until && { until: options.until }) }), await cliActor(), new Date());
        process.stdout.write(`paused campaign ${id}\n`);
      } else {
        const result = await resume(db, { scope: "campaign", campaignId: id }, await cliActor(), new Date());
        process.stdout.write(`resumed campaign ${id}: ${result.released} email(s) released\n`);
      }
    }),
  );
}

program
  .command("pause-all")
  .description("the kill switch: hold every email of every campaign until resume-all")
  .requiredOption("--reason <text>", "why")
  .action((options: { reason: string }) =>
    withDatabase(async (db) => {
      const { pause, PauseInput } = await import("../support/index.js");
      await pause(db, { scope: "global" }, parsed(PauseInput, { reason: options.reason }), await cliActor(), new Date());
      process.stdout.write("all sending paused\n");
    }),
  );

program
  .command("resume-all")
  .description("lift the kill switch")
  .action(() =>
    withDatabase(async (db) => {
      const { resume } = await import("../support/index.js");
      const result = await resume(db, { scope: "global" }, await cliActor(), new Date());
      process.stdout.write(`sending resumed: ${result.released} email(s) released\n`);
    }),
  );

program
  .command("timeline")
  .description("why a customer got what they got, and what comes next")
  .argument("<customer>")
  .option("--json", "print JSON")
  .action((id: string, options: { json?: boolean }) =>
    withDatabase(async (db) => {
      const { customerTimeline } = await import("../support/index.js");
      const timeline = await customerTimeline(db, id);
      if (!timeline) fail(new UsageError(`no customer ${id}`));
      if (options.json) return void process.stdout.write(`${JSON.stringify(timeline, null, 2)}\n`);
      process.stdout.write(`${timeline.customer.id}${timeline.customer.email ? ` <${timeline.customer.email}>` : ""}\n`);
      for (const entry of timeline.entries) process.stdout.write(`  ${entry.at}  ${entry.summary}\n`);
      process.stdout.write(timeline.next.length ? "next:\n" : "nothing scheduled\n");
      for (const n of timeline.next) process.stdout.write(`  ${n.due}  ${n.campaign}/${n.step} (${n.status})\n`);
    }),
  );

program
  .command("audit")
  .description("what people did: pauses, stops, suppressions, test sends")
  .option("--target <id>", "one customer, address or campaign")
  .option("--limit <n>", "how many", "50")
  .action((options: { target?: string; limit: string }) =>
    withDatabase(async (db) => {
      const { auditLog } = await import("../db/index.js");
      const { desc, eq } = await import("drizzle-orm");
      const rows = await db
        .select()
        .from(auditLog)
        .where(options.target ? eq(auditLog.targetId, options.target) : undefined)
        .orderBy(desc(auditLog.at), desc(auditLog.id))
        .limit(Number.parseInt(options.limit, 10) || 50);
      for (const r of rows) process.stdout.write(`${r.at.toISOString()}  ${r.actor}  ${r.action}  ${r.targetType}${r.targetId ? ` ${r.targetId}` : ""}  ${JSON.stringify(r.after ?? r.before ?? {})}\n`);
    }),
  );

program
  .command("status")
  .description("one screen for ops: queues, outbox lag, the last hour's sends and failures, uncertain emails, campaigns")
  .option("--json", "print JSON")
  .action(async (options: { json?: boolean }) => {
    const config = configOrExit();
    const logger = createLogger("warn");
    let runtime: Runtime | undefined;
    try {
      runtime = await buildDeps(config, logger, { env: process.env });
      await assertMigrated(runtime.deps.db);
      const { collectStatus } = await import("../support/index.js");
      const status = await collectStatus(runtime.deps);
      if (options.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else {
        const h = status.lastHour;
        const lines = [
          `Rekindle status at ${status.at}`,
          status.globalPause ? `ALL SENDING PAUSED by ${status.globalPause.by}: ${status.globalPause.reason ?? ""}` : "sending: on",
          `outbox: ${status.outbox.due} due, oldest waiting ${status.outbox.lagSeconds}s, ${status.outbox.inFlight} in flight`,
          `last hour: ${h.sent} sent (avg ${h.avgSendLatencySeconds ?? "-"}s after due), ${h.failed} failed, ${h.uncertain} uncertain; ${h.eventsReceived} events received`,
          `uncertain (all time): ${status.uncertainTotal}${status.uncertainTotal > 0 ? "  ← see `rekindle uncertain`" : ""}`,
          "queues:",
          ...Object.entries(status.queues).map(([q, c]) => `  ${q.padEnd(12)} ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(", ")}`),
          "campaigns:",
          ...status.campaigns.map((c) => `  ${c.id.padEnd(20)} ${c.state}${c.detail ? `  (${c.detail})` : ""}`),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      }
    } catch (error) {
      await runtime?.close();
      fail(error);
    }
    await runtime?.close();
  });

program
  .command("report")
  .description("churn by month (customers, gross and net MRR, voluntary/involuntary); with --campaign, its uplift over the holdout and the churn of its entrants vs everyone else")
  .option("--campaign <id>", "campaign id")
  .option("--from <date>", "from (default: 30 days before --to; for churn, the start of that month)")
  .option("--to <date>", "until (default: now)")
  .option("--json", "print JSON")
  .action((options: { campaign?: string; from?: string; to?: string; json?: boolean }) =>
    withDatabase(async (db, config) => {
      const { readCampaignFolders } = await import("../campaigns/index.js");
      const { campaignReport, churnByMonth } = await import("../reports/index.js");
      const pctOf = (r: number | null) => (r === null ? "-" : `${(r * 100).toFixed(1)}%`);
      const printChurn = (title: string, months: Awaited<ReturnType<typeof churnByMonth>>) => {
        process.stdout.write(`${title}\n  month     customers  lost  churn   involuntary  MRR at start  gross MRR churn  net MRR churn\n`);
        for (const m of months) {
          const money = Object.entries(m.mrr)
            .map(([cur, v]) => `${(v.starting / 100).toFixed(2)} ${cur}`.padStart(12) + `  ${pctOf(v.grossChurnRate).padStart(15)}  ${pctOf(v.netChurnRate).padStart(13)}`)
            .join("; ");
          process.stdout.write(`  ${m.month}  ${String(m.customersAtStart).padStart(9)}  ${String(m.customersLost).padStart(4)}  ${pctOf(m.customerChurnRate).padStart(6)}  ${String(m.lostInvoluntary).padStart(11)}  ${money}\n`);
        }
      };
      if (!options.campaign) {
        const to = options.to ? new Date(options.to) : new Date();
        const from = options.from ? new Date(options.from) : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 5, 1));
        const months = await churnByMonth(db, from, to);
        if (options.json) return void process.stdout.write(`${JSON.stringify(months, null, 2)}\n`);
        return printChurn("churn by month", months);
      }
      const folder = (await readCampaignFolders(config.campaigns.templatesDir)).find((f) => f.id === options.campaign);
      const window = folder?.type === "valid" ? folder.campaign.conversion_window : "P30D";
      const retentionGoal = folder?.type === "valid" ? folder.campaign.retention_goal : undefined;
      const to = options.to ? new Date(options.to) : new Date();
      const from = options.from ? new Date(options.from) : new Date(to.getTime() - 30 * 86_400_000);
      if (Number.isNaN(to.getTime()) || Number.isNaN(from.getTime())) fail(new UsageError("--from and --to take dates such as 2026-11-01"));
      const report = await campaignReport(db, options.campaign, window, from, to, retentionGoal ? { retentionGoal } : {});
      if (options.json) {
        const entered = await churnByMonth(db, from, to, { campaign: options.campaign, entered: true });
        const notEntered = await churnByMonth(db, from, to, { campaign: options.campaign, entered: false });
        return void process.stdout.write(`${JSON.stringify({ ...report, churn: { entered, notEntered } }, null, 2)}\n`);
      }
      const rate = (r: number | null) => (r === null ? "-" : `${(r * 100).toFixed(1)}%`);
      const rows = [
        ["", "entered", "reached goal", "rate"],
        ["emailed", String(report.treated.entered), String(report.treated.converted), rate(report.treated.rate)],
        ["held out", String(report.holdout.entered), String(report.holdout.converted), rate(report.holdout.rate)],
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      process.stdout.write(`${report.campaign}: entered ${report.from.slice(0, 10)} to ${report.to.slice(0, 10)}, goal: ${retentionGoal ? report.conversionWindow : `an exit goal within ${report.conversionWindow}`}; ${report.emailsSent} email(s) sent\n`);
      for (const r of rows) process.stdout.write(`  ${r.map((cell, i) => cell.padStart(widths[i]!)).join("   ")}\n`);
      process.stdout.write(`${report.verdict}\n`);
      printChurn(`\nchurn of customers who entered ${report.campaign}`, await churnByMonth(db, from, to, { campaign: report.campaign, entered: true }));
      printChurn(`churn of customers who did not`, await churnByMonth(db, from, to, { campaign: report.campaign, entered: false }));
    }),
  );

const keys = program.command("keys").description("API keys with roles: ingest, support, marketer, ops");
keys
  .command("create")
  .description("create a key; it is printed once and stored only as a digest")
  .requiredOption("--role <role>", "ingest, support, marketer or ops")
  .requiredOption("--name <name>", "whose it is, e.g. alice")
  .action((options: { role: string; name: string }) =>
    withDatabase(async (db) => {
      const { createApiKey, ROLES } = await import("../http/access.js");
      if (!(ROLES as readonly string[]).includes(options.role)) fail(new UsageError(`--role must be one of ${ROLES.join(", ")}`));
      const created = await createApiKey(db, { name: options.name, role: options.role as (typeof ROLES)[number] }, await cliActor(), new Date());
      process.stdout.write(`${created.key}\n(key ${created.id}, ${options.role}, for ${options.name}: keep it now, it is not shown again)\n`);
    }),
  );
keys
  .command("list")
  .description("the keys, without their secrets")
  .action(() =>
    withDatabase(async (db) => {
      const { apiKeys } = await import("../db/index.js");
      for (const k of await db.select().from(apiKeys).orderBy(apiKeys.id)) {
        process.stdout.write(`${k.id}  ${k.prefix}…  ${k.role}  ${k.name}  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : `last used ${k.lastUsedAt?.toISOString() ?? "never"}`}\n`);
      }
    }),
  );
keys
  .command("revoke")
  .argument("<id>")
  .description("revoke a key at once")
  .action((id: string) =>
    withDatabase(async (db) => {
      const { revokeApiKey } = await import("../http/access.js");
      if (!(await revokeApiKey(db, Number(id), await cliActor(), new Date()))) fail(new UsageError(`no active key ${id}`));
      process.stdout.write(`revoked key ${id}\n`);
    }),
  );

const stripe = program.command("stripe").description("Stripe billing data");
stripe
  .command("import")
  .description("replay exported Stripe events or objects (JSON lines) through the webhook's mapping, oldest first, once each")
  .argument("<file>", "a .jsonl file: one Stripe event, customer, subscription, payment method, card or invoice per line")
  .action((file: string) =>
    withDatabase(async (db, config) => {
      const { importStripeFile } = await import("../stripe/index.js");
      const report = await importStripeFile(db, file, config.stripe.metadataKey, new Date());
      const { applied, duplicate, ignored, unlinked } = report.outcomes;
      process.stdout.write(`${report.lines} line(s): ${applied} applied, ${duplicate} already imported, ${ignored} ignored, ${unlinked} not linked to a customer\n`);
      for (const p of report.problems) process.stdout.write(`  ${file}:${p.line}: ${p.message}\n`);
      if (report.problems.length > 0) process.exitCode = 1;
    }),
  );

await program.parseAsync(process.argv);
