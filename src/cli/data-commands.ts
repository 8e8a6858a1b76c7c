import type { Command } from "commander";
import { withDatabase } from "./shared.js";

/** stripe import: billing data from an export. */
export function registerDataCommands(program: Command): void {
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

}
