import type { FastifyInstance, FastifyRequest } from "fastify";
import { and, gt, isNull, or, eq } from "drizzle-orm";
import { z } from "zod";
import { dryRun, explainEntry, formatProblem } from "../../campaigns/index.js";
import { auditLog, pauses } from "../../db/index.js";
import { previewStep, testSend } from "../../delivery/index.js";
import { campaignDays, campaignReport, churnByMonth } from "../../reports/index.js";
import { becauseWords } from "../../support/index.js";
import { Timestamp } from "../../validation/index.js";
import { TimeZone } from "../../time/index.js";
import { timeWords } from "../../words/index.js";
import type { Deps } from "../../deps/index.js";
import { principalOf } from "../access.js";
import { HttpError } from "../http-error.js";

const DailyQuery = z.strictObject({
  /** How many days back, today included: 1 to 90, default 30. */
  days: z.coerce.number().int().min(1).max(90).default(30),
  /** The IANA zone whose midnights divide the days: the reader's. Default UTC. */
  timeZone: TimeZone.default("UTC"),
});

const DryRunQuery = z.strictObject({
  sample: z.coerce.number().int().min(0).max(500).default(10),
  /** Instead of the count: why this customer (external id) would or would not enter. */
  customer: z.string().min(1, "expected a customer id").max(255).optional(),
  /** The reader's IANA zone, for the moments in each entry's `because`. Default UTC. */
  timeZone: TimeZone.optional(),
});

/** Campaigns as loaded from their files: what runs, what was refused and why, and the dry run (with `customer`: why they would or would not enter). */
export function campaignRoutes(app: FastifyInstance, deps: Deps): void {
  const marketers = { config: { roles: ["marketer"] as const } };
  const campaignOr404 = (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const campaign = deps.campaigns.get(id);
    if (campaign) return campaign;
    const invalid = deps.campaigns.invalid().find((entry) => entry.id === id);
    if (invalid) {
      throw new HttpError(
        409,
        "campaign_invalid",
        `Campaign ${id} is invalid and does not run.`,
        invalid.problems.map((p) => ({ path: `${p.file}:${p.line}:${p.column} ${p.path}`, message: p.message })),
      );
    }
    throw new HttpError(404, "not_found", `No campaign ${JSON.stringify(id)}.`);
  };

  app.get("/api/campaigns", { config: { roles: ["marketer", "support"] } }, async () => {
    const now = deps.clock.now();
    const paused = await deps.db
      .select({ campaignId: pauses.campaignId, by: pauses.createdBy, reason: pauses.reason, until: pauses.until })
      .from(pauses)
      .where(and(eq(pauses.scope, "campaign"), isNull(pauses.liftedAt), or(isNull(pauses.until), gt(pauses.until, now))));
    return {
      campaigns: deps.campaigns.all().map((c) => {
        const pause = paused.find((p) => p.campaignId === c.id);
        return {
          id: c.id,
          name: c.definition.name,
          category: c.definition.category,
          enabled: c.definition.enabled,
          trigger: c.definition.trigger.type,
          steps: c.definition.steps.length,
          version: c.contentHash.slice(0, 12),
          state: pause ? "paused" : c.definition.enabled ? "running" : "disabled",
          paused: pause ? { by: pause.by, reason: pause.reason, until: pause.until } : null,
        };
      }),
      invalid: deps.campaigns.invalid().map((entry) => ({ id: entry.id, problems: entry.problems, messages: entry.problems.map(formatProblem) })),
      revision: deps.campaigns.revision,
    };
  });

  app.get("/api/campaigns/:id", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const campaign = campaignOr404(request);
    return { id: campaign.id, versionId: campaign.versionId, version: campaign.contentHash, definition: campaign.definition };
  });

  /** The campaign's emails, each with the locale variants it has (Studio's choices). */
  app.get("/api/campaigns/:id/emails", marketers, async (request) => {
    const campaign = campaignOr404(request);
    return {
      campaign: campaign.id,
      emails: campaign.definition.steps.flatMap((step) => {
        if (step.type !== "email") return [];
        const variants = [...(campaign.templates.get(step.template) ?? new Map())].map(([locale, template]) => ({ locale, file: template.file }));
        variants.sort((a, b) => (a.locale === null ? -1 : b.locale === null ? 1 : a.locale.localeCompare(b.locale)));
        return [{ step: step.id, template: step.template, locales: variants }];
      }),
    };
  });

  app.get("/api/campaigns/:id/dry-run", marketers, async (request) => {
    const campaign = campaignOr404(request);
    const query = DryRunQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    const { customer } = query.data;
    if (customer !== undefined) {
      const explanation = await explainEntry(deps.db, campaign, customer, deps.clock.now());
      if (!explanation) throw new HttpError(404, "not_found", `No customer ${JSON.stringify(customer)}.`, [{ path: "query.customer", message: "unknown customer" }]);
      return explanation;
    }
    const result = await dryRun(deps.db, campaign, deps.clock.now(), { sample: query.data.sample });
    const time = timeWords(query.data.timeZone);
    // Each customer's reason in words beside the raw facts, as the timeline says it once they enter.
    return { ...result, sample: result.sample.map((entry) => ({ ...entry, because: becauseWords(campaign.definition.trigger.type, entry.facts, time) })) };
  });

  /** Uplift of one campaign over a period (default: the last 30 days). */
  app.get("/api/campaigns/:id/report", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const campaign = campaignOr404(request);
    const query = ReportQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    const to = query.data.to ?? deps.clock.now();
    const from = query.data.from ?? new Date(to.getTime() - 30 * 86_400_000);
    return campaignReport(deps.db, campaign.id, campaign.definition.conversion_window, from, to, {
      now: deps.clock.now(),
      ...(campaign.definition.retention_goal && { retentionGoal: campaign.definition.retention_goal }),
    });
  });

  /** The campaign day by day (emails sent, entrants, goal rate): the campaign screen's chart. */
  app.get("/api/campaigns/:id/daily", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const campaign = campaignOr404(request);
    const query = DailyQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    return campaignDays(deps.db, campaign.id, {
      days: query.data.days,
      now: deps.clock.now(),
      timeZone: query.data.timeZone,
      conversionWindow: campaign.definition.conversion_window,
      ...(campaign.definition.retention_goal && { retentionGoal: campaign.definition.retention_goal }),
    });
  });

  /** The same report for every running campaign at once: the campaign list's figures. */
  app.get("/api/reports/campaigns", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const query = ReportQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    const now = deps.clock.now();
    const to = query.data.to ?? now;
    const from = query.data.from ?? new Date(to.getTime() - 30 * 86_400_000);
    const reports = await Promise.all(
      deps.campaigns.all().map((campaign) =>
        campaignReport(deps.db, campaign.id, campaign.definition.conversion_window, from, to, {
          now,
          ...(campaign.definition.retention_goal && { retentionGoal: campaign.definition.retention_goal }),
        }),
      ),
    );
    return { from, to, campaigns: reports };
  });

  /** Churn by month; with `campaign`, for customers who entered it next to those who did not. */
  app.get("/api/reports/churn", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const query = ChurnQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    const to = query.data.to ?? deps.clock.now();
    const from = query.data.from ?? new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 5, 1));
    if (!query.data.campaign) return { from, to, months: await churnByMonth(deps.db, from, to) };
    return {
      from,
      to,
      campaign: query.data.campaign,
      entered: await churnByMonth(deps.db, from, to, { campaign: query.data.campaign, entered: true }),
      notEntered: await churnByMonth(deps.db, from, to, { campaign: query.data.campaign, entered: false }),
    };
  });

  const stepOf = (request: FastifyRequest) => (request.params as { step: string }).step;

  app.get("/api/campaigns/:id/steps/:step/preview", marketers, async (request) => {
    const campaign = campaignOr404(request);
    const query = PreviewQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    const result = await previewStep(deps, campaign, stepOf(request), { ...(query.data.customer && { customerId: query.data.customer }), ...(query.data.locale && { locale: query.data.locale }) });
    if (result.type === "not_found") throw new HttpError(404, "not_found", `${result.what[0]!.toUpperCase()}${result.what.slice(1)}.`);
    if (result.type === "render_failed") throw new HttpError(422, "render_failed", `${result.what[0]!.toUpperCase()}${result.what.slice(1)}.`);
    return { customer: result.customer, locale: result.locale, ...result.email };
  });

  app.post("/api/campaigns/:id/steps/:step/test-send", { bodyLimit: 4 * 1024, ...marketers }, async (request) => {
    const actor = principalOf(request).name;
    const campaign = campaignOr404(request);
    const body = TestSendBody.safeParse(request.body ?? {});
    if (!body.success) throw HttpError.fromZod(body.error);
    const result = await testSend(deps, campaign, stepOf(request), body.data.to, {
      ...(body.data.customer && { customerId: body.data.customer }),
      ...(body.data.locale && { locale: body.data.locale }),
    });
    if (result.type === "not_found") throw new HttpError(404, "not_found", `${result.what[0]!.toUpperCase()}${result.what.slice(1)}.`);
    if (result.type === "render_failed") throw new HttpError(422, "render_failed", `${result.what[0]!.toUpperCase()}${result.what.slice(1)}.`);
    await deps.db.insert(auditLog).values({
      actor,
      action: "campaign.test_send",
      targetType: "campaign",
      targetId: campaign.id,
      after: { step: stepOf(request), to: body.data.to, customer: body.data.customer ?? "sample" },
      at: deps.clock.now(),
    });
    return { sent: true, to: body.data.to, subject: result.subject, messageId: result.messageId, response: result.response };
  });
}

const ChurnQuery = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  campaign: z.string().min(1).optional(),
});

const ReportQuery = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
});

const PreviewQuery = z.strictObject({
  customer: z.string().min(1).max(255).optional(),
  locale: z.string().min(2).max(35).optional(),
});

const TestSendBody = z.strictObject({
  to: z.email("expected an email address"),
  customer: z.string().min(1).max(255).optional(),
  locale: z.string().min(2).max(35).optional(),
});
