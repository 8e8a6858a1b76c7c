import type { Command } from "commander";
import { configSecrets, DEVELOPMENT_API_KEY } from "../config/index.js";
import { buildDeps, createLogger, reloadCampaigns, type Runtime, type Service } from "../runtime/index.js";
import { startStudio } from "../studio/index.js";
import { durationMs } from "../time/index.js";
import { configOrExit, fail, UsageError } from "./shared.js";

/**
 * `rekindle studio`: the API and the console in development, with the templates folder watched so
 * Studio renders every save. Migrates like `start`; runs no worker.
 */
export function registerStudioCommand(program: Command): void {
  program
    .command("studio")
    .description("the console in development: previews every email and renders again on each save under TEMPLATES_DIR")
    .action(async () => {
      const config = configOrExit();
      if (config.env === "production") fail(new UsageError("studio is for development: it reloads campaigns from files as they are saved. Run it where NODE_ENV is not production."));
      // The log stays quiet unless asked for: the terminal is for what Studio says.
      const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, { secrets: configSecrets(config) });
      const say = (line: string) => process.stdout.write(`${line}\n`);
      let runtime: Runtime | undefined;
      let studio: (Service & { consoleUrl: string }) | undefined;
      try {
        runtime = await buildDeps(config, logger);
        await runtime.deps.database.migrate();
        await reloadCampaigns(runtime.deps);
        studio = await startStudio(runtime.deps, say);
      } catch (error) {
        await runtime?.close().catch(() => {});
        fail(error);
      }
      // One write, so whoever reads the address has the rest of the banner with it.
      say(`Rekindle Studio: ${studio.consoleUrl}\nwatching ${config.campaigns.templatesDir}: every save reloads the campaigns and Studio shows the emails again`);
      // Only the published development key is ever printed: with API_KEYS set, the keys are real.
      if (config.apiKeys.includes(DEVELOPMENT_API_KEY)) say(`sign in with an API key (the development key is ${DEVELOPMENT_API_KEY})`);

      let stopping = false;
      const stop = async () => {
        if (stopping) process.exit(1);
        stopping = true;
        setTimeout(() => process.exit(1), durationMs(config.shutdownTimeout)).unref();
        await studio?.stop().catch(() => {});
        await runtime?.close().catch(() => {});
        process.exit(0);
      };
      process.on("SIGINT", () => void stop());
      process.on("SIGTERM", () => void stop());
    });
}
