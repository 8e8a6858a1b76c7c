import { Command } from "commander";
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

/** Expected start-up failures are told plainly; anything else keeps its stack for the operator. */
function fail(error: unknown): never {
  const known = error instanceof RedisUnavailableError || (error instanceof Error && /migrat|ECONNREFUSED|password authentication|does not exist/i.test(error.message));
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
    if (!folder) fail(new Error(`no campaign folder ${id} in ${config.campaigns.templatesDir}`));
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

await program.parseAsync(process.argv);
