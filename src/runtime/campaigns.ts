import { formatProblem, loadCampaigns } from "../campaigns/index.js";
import type { Deps } from "../deps/index.js";

/**
 * Loads the campaign folders into `deps.campaigns`. Refused campaigns are logged with file, line
 * and reason and left out; the valid ones run.
 */
export async function reloadCampaigns(deps: Deps): Promise<void> {
  const catalog = await loadCampaigns(deps.db, deps.config.campaigns.templatesDir, deps.clock.now());
  deps.campaigns.replace(catalog.all(), catalog.invalid());
  for (const { id, problems } of catalog.invalid()) {
    deps.logger.error({ campaign: id, problems: problems.map(formatProblem) }, `campaign ${id} is invalid and will not run`);
  }
  deps.logger.info(
    { running: deps.campaigns.running().map((c) => c.id), invalid: catalog.invalid().map((c) => c.id) },
    `${deps.campaigns.running().length} campaign(s) running`,
  );
}

