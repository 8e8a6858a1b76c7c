import { formatProblem } from "../campaigns/index.js";
import type { Deps } from "../deps/index.js";
import { buildApp, CONSOLE_PATH } from "../http/index.js";
import { reloadCampaigns, type Service } from "../runtime/index.js";
import { watchTemplates } from "./watch-templates.js";

/** What Studio says to the person who started it, line by line. */
export type StudioReport = (line: string) => void;

/**
 * The API and console with the templates folder watched: every save reloads the campaigns (and
 * records the new versions), and Studio pages showing them render again. For development: it runs
 * no worker, so nothing is sent but test sends.
 */
export async function startStudio(deps: Deps, report: StudioReport): Promise<Service & { url: string; consoleUrl: string }> {
  const app = await buildApp(deps, { watchingTemplates: true });
  const url = await app.listen({ host: deps.config.http.host, port: deps.config.http.port });
  const templatesDir = deps.config.campaigns.templatesDir;
  const describe = () => {
    const invalid = deps.campaigns.invalid();
    report(`${deps.campaigns.all().length} valid, ${invalid.length} invalid campaign(s)`);
    for (const { problems } of invalid) for (const problem of problems) report(`  ${formatProblem(problem)}`);
  };
  const watcher = watchTemplates(
    templatesDir,
    async (changed) => {
      await reloadCampaigns(deps);
      report(`changed: ${changed.join(", ") || templatesDir}; reloaded`);
      describe();
    },
    { onError: (error) => report(`could not reload the campaigns: ${(error as Error).message}`) },
  );
  await watcher.ready;
  describe();
  return {
    name: "studio",
    url,
    consoleUrl: `${url}${CONSOLE_PATH}/campaigns`,
    async stop() {
      await watcher.close();
      await app.close();
    },
  };
}
