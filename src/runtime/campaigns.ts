import { formatProblem, loadCampaigns } from "../campaigns/index.js";
import { loadCancelFlow } from "../cancel-flow/index.js";
import type { Deps } from "../deps/index.js";

/**
 * Loads the campaign folders into `deps.campaigns`, and the cancel flow into `deps.cancelFlow`.
 * Refused campaigns (or a refused flow) are logged with file, line and reason and left out; the
 * valid ones run.
 */
export async function reloadCampaigns(deps: Deps): Promise<void> {
  const flow = await loadCancelFlow(deps.config.campaigns.templatesDir);
  deps.cancelFlow.replace(flow);
  if (flow.type === "invalid") deps.logger.error({ problems: flow.problems.map(formatProblem) }, "the cancel flow is invalid and will not run");
  else if (flow.type === "valid") deps.logger.info({ version: flow.loaded.version, reasons: flow.loaded.flow.reasons.length, apply: deps.config.cancelFlow.apply }, "cancel flow loaded");

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

