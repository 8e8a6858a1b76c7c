import type { Command } from "commander";
import { createApiKey, listApiKeys, revokeApiKey, ROLES } from "../http/access.js";
import { buildDeps, createLogger, type Runtime } from "../runtime/index.js";
import { listSuppressions, SuppressInput, suppress, UnsuppressInput, unsuppress } from "../suppressions/index.js";
import { AuditQuery } from "../api/index.js";
import { auditActionWords, auditChangeWords, auditEntries, collectStatus, customerTimeline, pause, PauseInput, resume, stop, StopInput, uncertainMessages } from "../support/index.js";
import { localTimeZone, timeWords } from "../words/index.js";
import { assertMigrated, cliActor, configOrExit, customerScope, fail, parsed, UsageError, withDatabase } from "./shared.js";

/** uncertain, suppressions, pause/resume/stop, the kill switch, timeline, audit, status, keys: support and ops. */
export function registerSupportCommands(program: Command): void {
  // Moments as the person at this terminal reads them: in the machine's time zone (`--json` keeps ISO).
  const time = timeWords(localTimeZone());
  program
    .command("uncertain")
    .description("list emails that may or may not have been sent (a worker stopped mid-SMTP); they are never resent on their own")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      withDatabase(async (db) => {
        const rows = await uncertainMessages(db);
        if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else {
          process.stdout.write(`${rows.length} uncertain message(s)\n`);
          for (const r of rows) process.stdout.write(`  #${r.id}  ${r.campaign}/${r.step}  to ${r.to_address ?? "?"} (customer ${r.customer}), since ${time.moment(r.updated_at)}\n`);
        }
      }),
    );

  program
    .command("suppress")
    .description("stop all mail (or one category's) to an address; recorded in the audit log")
    .argument("<email>")
    .option("--category <category>", "only this category (winback, onboarding…)")
    .option("--complaint", "record a spam complaint rather than a manual suppression")
    .option("--note <text>", "why")
    .action((email: string, options: { category?: string; complaint?: boolean; note?: string }) =>
      withDatabase(async (db) => {
        const input = parsed(SuppressInput, { email, reason: options.complaint ? "complaint" : "manual", ...(options.category && { category: options.category }), ...(options.note && { detail: options.note }) });
        const result = await suppress(db, input, cliActor(), new Date());
        process.stdout.write(result.created ? `suppressed ${input.email} (${options.category ?? "all mail"})\n` : `${input.email} was already suppressed that way\n`);
      }),
    );

  program
    .command("unsuppress")
    .description("re-subscribe an address (one category with --category, the all-mail suppression with --category all, or every one); audited")
    .argument("<email>")
    .option("--category <category>")
    .action((email: string, options: { category?: string }) =>
      withDatabase(async (db) => {
        const input = parsed(UnsuppressInput, { email, ...(options.category && { category: options.category }) });
        const { lifted } = await unsuppress(db, input, cliActor(), new Date());
        process.stdout.write(`lifted ${lifted} suppression(s) of ${input.email}\n`);
      }),
    );

  program
    .command("suppressions")
    .description("list active suppressions (of one address, or the latest)")
    .argument("[email]")
    .action((email: string | undefined) =>
      withDatabase(async (db) => {
        const rows = await listSuppressions(db, email);
        for (const r of rows) process.stdout.write(`${r.email}  ${r.category ?? "all"}  ${r.reason}  by ${r.createdBy} on ${time.moment(r.createdAt)}${r.detail ? `  (${r.detail})` : ""}\n`);
        process.stdout.write(`${rows.length} suppression(s)\n`);
      }),
    );

  program
    .command("pause")
    .description("hold one customer's emails (queued ones too) until --until or a resume; audited")
    .argument("<customer>")
    .requiredOption("--reason <text>", "why (support will read it)")
    .option("--until <date>", "ISO date or date-time, e.g. 2026-12-31")
    .action((id: string, options: { reason: string; until?: string }) =>
      withDatabase(async (db) => {
        const input = parsed(PauseInput, { reason: options.reason, ...(options.until && { until: options.until }) });
        await pause(db, await customerScope(db, id), input, cliActor(), new Date());
        process.stdout.write(`paused ${id}${input.until ? ` until ${time.moment(input.until)}` : ""}\n`);
      }),
    );

  program
    .command("resume")
    .description("lift a customer's pause; what it held goes out now")
    .argument("<customer>")
    .action((id: string) =>
      withDatabase(async (db) => {
        const result = await resume(db, await customerScope(db, id), cliActor(), new Date());
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
        const scope = await customerScope(db, id);
        const result = await stop(db, { id: scope.customerId, label: id }, parsed(StopInput, { reason: options.reason, ...(options.block && { block: options.block }) }), cliActor(), new Date());
        process.stdout.write(`stopped ${result.stopped} sequence(s) of ${id}, skipped ${result.skipped} email(s)${result.blockedUntil ? `; no new ones before ${time.moment(result.blockedUntil)}` : ""}\n`);
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
        if (name === "pause") {
          await pause(db, { scope: "campaign", campaignId: id }, parsed(PauseInput, { reason: options.reason, ...(options.until && { until: options.until }) }), cliActor(), new Date());
          process.stdout.write(`paused campaign ${id}\n`);
        } else {
          const result = await resume(db, { scope: "campaign", campaignId: id }, cliActor(), new Date());
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
        await pause(db, { scope: "global" }, parsed(PauseInput, { reason: options.reason }), cliActor(), new Date());
        process.stdout.write("all sending paused\n");
      }),
    );

  program
    .command("resume-all")
    .description("lift the kill switch")
    .action(() =>
      withDatabase(async (db) => {
        const result = await resume(db, { scope: "global" }, cliActor(), new Date());
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
        const timeline = await customerTimeline(db, id, { timeZone: time.timeZone });
        if (!timeline) fail(new UsageError(`no customer ${id}`));
        if (options.json) return void process.stdout.write(`${JSON.stringify(timeline, null, 2)}\n`);
        process.stdout.write(`${timeline.customer.id}${timeline.customer.email ? ` <${timeline.customer.email}>` : ""}\n`);
        for (const entry of timeline.entries) process.stdout.write(`  ${time.moment(entry.at)}  ${entry.summary}\n`);
        process.stdout.write(timeline.next.length ? "next:\n" : "nothing scheduled\n");
        for (const n of timeline.next) process.stdout.write(`  ${time.moment(n.due)}  ${n.campaign} / ${n.step}${n.held ? ", held by a pause" : ` (${n.status})`}\n`);
      }),
    );

  program
    .command("audit")
    .description("what people did: pauses, stops, suppressions, test sends")
    .option("--target <id>", "one customer, address or campaign")
    .option("--type <type>", "what the target is: customer, campaign, email, api_key or global")
    .option("--limit <n>", "how many (1 to 1000)", "50")
    .action((options: { target?: string; type?: string; limit: string }) =>
      withDatabase(async (db) => {
        // The same schema as GET /api/audit's query: the same limits, the same refusals.
        const filter = parsed(AuditQuery, { ...(options.target && { target: options.target }), ...(options.type && { type: options.type }), limit: options.limit });
        const rows = await auditEntries(db, filter);
        for (const r of rows) {
          const changes = auditChangeWords(r, time);
          process.stdout.write(`${time.moment(r.at)}  ${r.actor} ${auditActionWords(r.action)}  (${r.targetType.replace("_", " ")}${r.targetId ? ` ${r.targetId}` : ""})${changes ? `  ${changes}` : ""}\n`);
        }
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
        runtime = await buildDeps(config, logger);
        await assertMigrated(runtime.deps.db);
        const status = await collectStatus(runtime.deps);
        if (options.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        else {
          const h = status.lastHour;
          const seen = status.workers.lastSeenAt ? `a worker last ran a task at ${time.moment(status.workers.lastSeenAt)}` : "no worker has run yet";
          const lines = [
            `Rekindle status at ${time.moment(status.at)}`,
            status.globalPause
              ? `ALL SENDING PAUSED by ${status.globalPause.by}${status.globalPause.until ? ` until ${time.moment(status.globalPause.until)}` : ""}: ${status.globalPause.reason ?? ""}`
              : status.workers.running
                ? "sending: on, workers running"
                : `sending: on, but no worker is running (${seen}): start one with \`rekindle worker\` or \`rekindle start\``,
            ...status.warnings.map((warning) => `WARNING: ${warning}`),
            `outbox: ${status.outbox.due} due, oldest waiting ${status.outbox.lagSeconds} s, ${status.outbox.inFlight} in flight`,
            `last hour: ${h.sent === 0 ? "no sends in the last hour" : `${h.sent} sent, on average ${h.avgSendLatencySeconds ?? 0} s after due`}, ${h.failed} failed, ${h.uncertain} uncertain; ${h.eventsReceived} events received`,
            `uncertain (all time): ${status.uncertainTotal}${status.uncertainTotal > 0 ? "  ← see `rekindle uncertain`" : ""}`,
            `cancel-flow decisions: ${status.cancelFlow.retrying} being retried, ${status.cancelFlow.withSupport} with support`,
            "queues:",
            ...Object.entries(status.queues).map(([q, c]) => `  ${q.padEnd(12)} ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(", ")}`),
            "periodic tasks:",
            ...status.tasks.map(
              (t) =>
                `  ${t.name.padEnd(15)} ${t.runningBy ? `running on ${t.runningBy}` : `last ${t.lastStartedAt ? time.moment(t.lastStartedAt) : "never"}${t.lastDurationMs === null ? "" : ` (${t.lastDurationMs} ms)`}`}, next ${time.moment(t.nextRunAt)}${t.lastError ? `  FAILED: ${t.lastError}` : ""}`,
            ),
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

  const keys = program.command("keys").description("API keys with roles: ingest, support, marketer, ops");
  keys
    .command("create")
    .description("create a key; it is printed once and stored only as a digest")
    .requiredOption("--role <role>", "ingest, support, marketer or ops")
    .requiredOption("--name <name>", "whose it is, e.g. alice")
    .action((options: { role: string; name: string }) =>
      withDatabase(async (db) => {
        if (!(ROLES as readonly string[]).includes(options.role)) fail(new UsageError(`--role must be one of ${ROLES.join(", ")}`));
        const created = await createApiKey(db, { name: options.name, role: options.role as (typeof ROLES)[number] }, cliActor(), new Date());
        process.stdout.write(`${created.key}\n(key ${created.id}, ${options.role}, for ${options.name}: keep it now, it is not shown again)\n`);
      }),
    );
  keys
    .command("list")
    .description("the keys, without their secrets")
    .action(() =>
      withDatabase(async (db) => {
        const listed = await listApiKeys(db);
        // An empty list would read as a failure; the keys of API_KEYS live in the environment, not here.
        if (listed.length === 0) process.stdout.write("no API keys created yet (keys set in API_KEYS are not listed); make one with `rekindle keys create --role <role> --name <name>`\n");
        for (const k of listed) {
          process.stdout.write(`${k.id}  ${k.prefix}…  ${k.role}  ${k.name}  ${k.revokedAt ? `revoked ${time.moment(k.revokedAt)}` : `last used ${k.lastUsedAt ? time.moment(k.lastUsedAt) : "never"}`}\n`);
        }
      }),
    );
  keys
    .command("revoke")
    .argument("<id>")
    .description("revoke a key at once")
    .action((id: string) =>
      withDatabase(async (db) => {
        if (!(await revokeApiKey(db, Number(id), cliActor(), new Date()))) fail(new UsageError(`no active key ${id}`));
        process.stdout.write(`revoked key ${id}\n`);
      }),
    );

}
