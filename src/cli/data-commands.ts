import type { Command } from "commander";
import { loadCampaigns } from "../campaigns/index.js";
import { configSecrets } from "../config/index.js";
import { createLogger } from "../runtime/index.js";
import { importStripeFile } from "../stripe/index.js";
import { systemClock } from "../time/index.js";
import { withDatabase } from "./shared.js";

/** stripe import: billing data from an export. */
export function registerDataCommands(program: Command): void {
  const stripe = program.command("stripe").description("Stripe billing data");
  stripe
    .command("import")
    .description("replay exported Stripe events or objects (JSON lines) through the webhook's mapping, oldest first, once each, matching each to the campaigns as a delivery is")
    .argument("<file>", "a .jsonl file: one Stripe event, customer, subscription, payment method, card or invoice per line")
    .action((file: string) =>
      withDatabase(async (db, config) => {
        // The campaigns as a worker loads them (recording their versions), so that an imported
        // event ends the sequences whose goal it is, and a recent one starts those it triggers.
        const campaigns = await loadCampaigns(db, config.campaigns.templatesDir, systemClock.now());
        const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, { secrets: configSecrets(config) });
        const report = await importStripeFile({ db, campaigns, clock: systemClock, logger, config }, file, config.stripe.metadataKey, systemClock.now());
        const { applied, duplicate, ignored, unlinked } = report.outcomes;
        process.stdout.write(`${report.lines} line(s): ${applied} applied, ${duplicate} already imported, ${ignored} ignored, ${unlinked} not linked to a customer\n`);
        for (const p of report.problems) process.stdout.write(`  ${file}:${p.line}: ${p.message}\n`);
        if (report.problems.length > 0) process.exitCode = 1;
      }),
    );

}
