import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { dryRun, explainEntry, formatProblem, readCampaignFolders } from "../campaigns/index.js";
import { loadCancelFlow } from "../cancel-flow/index.js";
import { configSecrets } from "../config/index.js";
import { previewStep, testSend } from "../delivery/index.js";
import { createMailer } from "../mail/index.js";
import { campaignReport, cancelFlowReport, churnByMonth } from "../reports/index.js";
import { createLogger } from "../runtime/index.js";
import { becauseWords } from "../support/index.js";
import { localTimeZone, timeWords } from "../words/index.js";
import { formatCancelFlowReport } from "./cancel-flow-report.js";
import { formatExplanation } from "./explanation-text.js";
import { configOrExit, fail, UsageError, withCampaign, withDatabase } from "./shared.js";

/** validate, dry-run, preview, test-send, report: what marketers use. */
export function registerCampaignCommands(program: Command): void {
  program
    .command("validate")
    .description("check every campaign folder and the cancel flow; print each problem with file, line and reason")
    .option("--dir <dir>", "campaign folders (default: TEMPLATES_DIR)")
    .action(async (options: { dir?: string }) => {
      const config = configOrExit();
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
      const flow = await loadCancelFlow(options.dir ?? config.campaigns.templatesDir);
      if (flow.type === "valid") {
        const { reasons, offers, holdout } = flow.loaded.flow;
        process.stdout.write(`ok       cancel flow (${reasons.length} reason(s), ${offers.length} offer(s), holdout ${holdout}, texts: ${[...flow.loaded.texts.keys()].join(", ")})\n`);
      } else if (flow.type === "invalid") {
        process.stdout.write("invalid  cancel flow\n");
        for (const problem of flow.problems) process.stdout.write(`  ${formatProblem(problem)}\n`);
      }
      const invalid = folders.filter((f) => f.type === "invalid").length + (flow.type === "invalid" ? 1 : 0);
      const total = folders.length + (flow.type === "absent" ? 0 : 1);
      process.stdout.write(`${total - invalid} valid, ${invalid} invalid\n`);
      process.exit(invalid > 0 ? 1 : 0);
    });

  program
    .command("dry-run")
    .description("who would enter a campaign right now, with the facts that matched; with --customer, why one customer would or would not; enrolls no one")
    .argument("<campaign>", "campaign id (its folder name)")
    .option("--sample <n>", "how many customers to list", "10")
    .option("--customer <id>", "instead: why this customer would or would not enter, test by test, and what would let them in")
    .option("--json", "print JSON")
    .action(async (id: string, options: { sample: string; customer?: string; json?: boolean }) => {
      const config = configOrExit();
      if (options.customer !== undefined) {
        const customer = options.customer;
        const explanation = await withCampaign(config, id, (campaign, db) => explainEntry(db, campaign, customer, new Date())).catch(fail);
        if (!explanation) fail(new UsageError(`no customer ${customer}`));
        return void process.stdout.write(options.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
      }
      let trigger: string | undefined;
      const result = await withCampaign(config, id, (campaign, db) => {
        trigger = campaign.definition.trigger.type;
        return dryRun(db, campaign, new Date(), { sample: Number.parseInt(options.sample, 10) || 10 });
      }).catch(fail);
      if (options.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      const basis = result.basis === "scan" ? "if the scan ran now" : "from the events of the last hour";
      process.stdout.write(`${result.wouldEnter} customer(s) would enter ${id} ${basis}.\n`);
      const time = timeWords(localTimeZone());
      for (const entry of result.sample) {
        process.stdout.write(`  ${entry.customerId}${entry.email ? ` <${entry.email}>` : ""}  ${becauseWords(trigger, entry.facts, time)}\n`);
      }
    });

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
      const logger = createLogger(config.logLevel, { secrets: configSecrets(config) });
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
    .command("report")
    .description(
      "churn by month (customers, gross and net MRR, voluntary/involuntary); with --campaign, its uplift over the holdout and the churn of its entrants vs everyone else; with --cancel-flow, the cancel flow's reasons, offers and save rates against its holdout",
    )
    .option("--campaign <id>", "campaign id")
    .option("--cancel-flow", "the cancel flow's sessions started in the period (default: the last six months)")
    .option("--from <date>", "from (default: 30 days before --to; for churn, the start of that month)")
    .option("--to <date>", "until (default: now)")
    .option("--json", "print JSON")
    .action((options: { campaign?: string; cancelFlow?: boolean; from?: string; to?: string; json?: boolean }) =>
      withDatabase(async (db, config) => {
        if (options.cancelFlow) {
          if (options.campaign) fail(new UsageError("--cancel-flow and --campaign are two reports: ask for one"));
          const to = options.to ? new Date(options.to) : new Date();
          const from = options.from ? new Date(options.from) : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 5, 1));
          if (Number.isNaN(to.getTime()) || Number.isNaN(from.getTime())) fail(new UsageError("--from and --to take dates such as 2026-11-01"));
          const report = await cancelFlowReport(db, from, to);
          return void process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatCancelFlowReport(report));
        }
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
        const header = ["", "entered", "reached goal", "rate"];
        const rows = [
          header,
          ["emailed", String(report.treated.entered), String(report.treated.converted), rate(report.treated.rate)],
          ["held out", String(report.holdout.entered), String(report.holdout.converted), rate(report.holdout.rate)],
        ];
        const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
        process.stdout.write(`${report.campaign}: entered ${report.from.slice(0, 10)} to ${report.to.slice(0, 10)}, goal: ${retentionGoal ? report.conversionWindow : `an exit goal within ${report.conversionWindow}`}; ${report.emailsSent} email(s) sent\n`);
        for (const r of rows) process.stdout.write(`  ${r.map((cell, i) => cell.padStart(widths[i] ?? 0)).join("   ")}\n`);
        process.stdout.write(`${report.verdict}\n`);
        printChurn(`\nchurn of customers who entered ${report.campaign}`, await churnByMonth(db, from, to, { campaign: report.campaign, entered: true }));
        printChurn(`churn of customers who did not`, await churnByMonth(db, from, to, { campaign: report.campaign, entered: false }));
      }),
    );

}
