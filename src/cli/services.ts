import type { Command } from "commander";
import type { Logger } from "pino";
import { type Config, configSecrets, DEVELOPMENT_API_KEY, DEVELOPMENT_WRITE_KEY } from "../config/index.js";
import { openDatabase, pendingMigrations } from "../db/index.js";
import { buildDeps, createLogger, requireMigrated, reloadCampaigns, type Runtime, type Service, startApi, startWorker } from "../runtime/index.js";
import { durationMs } from "../time/index.js";
import { isFirstApiProcess, isSupervisedApiProcess, superviseApiProcesses } from "./api-processes.js";
import { configOrExit, fail } from "./shared.js";

/**
 * Says which keys are development defaults, naming the variables to set, never a key: when only
 * one of WRITE_KEYS and API_KEYS is set, the other list is real.
 */
export function warnAboutDevelopmentKeys(config: Config, logger: Logger): void {
  if (!config.usingDevelopmentKeys) return;
  const unset = [...(config.writeKeys.includes(DEVELOPMENT_WRITE_KEY) ? ["WRITE_KEYS"] : []), ...(config.apiKeys.includes(DEVELOPMENT_API_KEY) ? ["API_KEYS"] : [])];
  logger.warn({ unset }, `using the development keys of ${unset.join(" and ")} (see the README): set ${unset.join(" and ")} before exposing Rekindle`);
}

/** Where to open the console: under PUBLIC_URL, or where the API listens when PORT=0 left the default PUBLIC_URL without a port. */
function consoleUrl(config: Config, listening: string): string {
  return `${config.http.publicUrl === "http://localhost:0" ? listening : config.http.publicUrl}/console`;
}

/**
 * Says where the console is, in the log and as a plain line for whoever started Rekindle in a
 * terminal; in development, with the development API key, also the key to sign in with. Only that
 * published key is ever printed: with API_KEYS set, the keys are real.
 */
function announceConsole(config: Config, listening: string, logger: Logger, write: (line: string) => void): void {
  const url = consoleUrl(config, listening);
  const devKey = config.env === "development" && config.apiKeys.includes(DEVELOPMENT_API_KEY);
  const signIn = devKey ? `; sign in with the development API key ${DEVELOPMENT_API_KEY}` : "";
  logger.info({ console: url }, `console at ${url}${signIn}`);
  write(`Rekindle is running. The console: ${url}${signIn}${devKey ? " (set API_KEYS before exposing Rekindle)" : ""}`);
}

/**
 * A second signal within this long of the first is the same one delivered twice: Ctrl-C under
 * `npm start` reaches Rekindle from the terminal and again forwarded by npm, a few milliseconds apart.
 */
const SAME_SIGNAL_MS = 500;

/**
 * Runs services until SIGINT/SIGTERM, then stops them gracefully: the API stops taking
 * requests, workers finish the jobs in hand (within SHUTDOWN_TIMEOUT), connections close.
 * A second signal (past SAME_SIGNAL_MS) exits at once.
 */
async function runServices(what: { api: boolean; worker: boolean; migrate: boolean }): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel, { secrets: configSecrets(config) });
  let runtime: Runtime | undefined;
  const services: Service[] = [];
  try {
    runtime = await buildDeps(config, logger);
    const { deps } = runtime;
    warnAboutDevelopmentKeys(config, logger);
    if (what.migrate) await deps.database.migrate();
    else await requireMigrated(deps);
    await reloadCampaigns(deps);
    logger.info({ database: deps.database.kind, redis: deps.redisUrl.replace(/\/\/[^@]*@/, "//***@") }, "connected");
    if (what.worker) services.push(await startWorker(deps));
    if (what.api) {
      const api = await startApi(deps);
      services.push(api);
      // With API_PROCESSES, the first process says it for all of them.
      if (isFirstApiProcess()) announceConsole(config, api.url, logger, (line) => process.stdout.write(`${line}\n`));
    }
  } catch (error) {
    for (const service of services.reverse()) await service.stop().catch(() => {});
    // runtime is unset when buildDeps itself failed; it cleans up after itself then.
    await runtime?.close().catch(() => {});
    fail(error);
  }

  let stoppingSince: number | undefined;
  const stop = async (signal: string) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stoppingSince = Date.now();
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

/** start, api, worker, migrate. */
export function registerServiceCommands(program: Command): void {
  program
    .command("start")
    .description("apply migrations, then run the API, the worker and the schedulers in one process")
    .action(() => runServices({ api: true, worker: true, migrate: true }));

  program
    .command("api")
    .description("run the HTTP API only (run `rekindle migrate` first); API_PROCESSES=N runs N processes sharing the port")
    .action(() => {
      const config = configOrExit();
      if (config.http.processes > 1 && !isSupervisedApiProcess()) {
        superviseApiProcesses(config.http.processes, createLogger(config.logLevel, { secrets: configSecrets(config) }));
        return;
      }
      return runServices({ api: true, worker: false, migrate: false });
    });

  program
    .command("worker")
    .description("run a worker only; run as many as you like, on as many machines")
    .action(() => runServices({ api: false, worker: true, migrate: false }));

  program
    .command("migrate")
    .description("apply pending database migrations (safe to run while other processes start)")
    .action(async () => {
      const config = configOrExit();
      try {
        const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2, connectionOptions: config.database.connectionOptions });
        const pending = await pendingMigrations(database.db);
        await database.migrate();
        process.stdout.write(pending.length > 0 ? `applied ${pending.length} migration(s): ${pending.join(", ")}\n` : "database is up to date\n");
        await database.close();
      } catch (error) {
        fail(error);
      }
    });

}
