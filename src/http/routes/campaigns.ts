import type { FastifyInstance, FastifyRequest } from "fastify";
import { and, gt, isNull, or, eq } from "drizzle-orm";
import { dryRun, explainEntry, formatProblem } from "../../campaigns/index.js";
import { auditLog, pauses } from "../../db/index.js";
import { previewStep, testSend } from "../../delivery/index.js";
import { campaignDays, campaignReport, churnByMonth } from "../../reports/index.js";
import { becauseWords } from "../../support/index.js";
import { timeWords } from "../../words/index.js";
import type { Deps } from "../../deps/index.js";
import { type AnswerOf, ChurnQuery, DailyQuery, DryRunQuery, PreviewQuery, ReportQuery, TestSendBody } from "../../api/index.js";
import { principalOf } from "../access.js";
import { HttpError } from "../http-error.js";
import { bodyOf, queryOf } from "../parse-input.js";

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
    } satisfies AnswerOf<"GET /api/campaigns">;
  });

  app.get("/api/campaigns/:id", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const campaign = campaignOr404(request);
    return { id: campaign.id, versionId: campaign.versionId, version: campaign.contentHash, definition: campaign.definition } satisfies AnswerOf<"GET /api/campaigns/:id">;
  });

  /** The campaign's emails, each with the locale variants it has (Studio's choices). */
  app.get("/api/campaigns/:id/emails", marketers, async (request) => {
    const campaign = campaignOr404(request);
    return {
      campaign: campaign.id,
      emails: campaign.definition.steps.flatMap((step) => {
        if (step.type !== "email") return [];
        const variants = [...(campaign.templates.get(step.template) ?? [])].map(([locale, template]) => ({ locale, file: template.file }));
        variants.sort((a, b) => (a.locale === null ? -1 : b.locale === null ? 1 : a.locale.localeCompare(b.locale)));
        return [{ step: step.id, template: step.template, locales: variants }];
      }),
    } satisfies AnswerOf<"GET /api/campaigns/:id/emails">;
  });

  app.get("/api/campaigns/:id/dry-run", marketers, async (request) => {
    const campaign = campaignOr404(request);
    const query = queryOf(DryRunQuery, request);
    const { customer } = query;
    if (customer !== undefined) {
      const explanation = await explainEntry(deps.db, campaign, customer, deps.clock.now());
      if (!explanation) throw new HttpError(404, "not_found", `No customer ${JSON.stringify(customer)}.`, [{ path: "query.customer", message: "unknown customer" }]);
      return explanation satisfies AnswerOf<"GET /api/campaigns/:id/dry-run">;
    }
    const result = await dryRun(deps.db, campaign, deps.clock.now(), { sample: query.sample });
    const time = timeWords(query.timeZone);
    // Each customer's reason in words beside the raw facts, as the timeline says it once they enter.
    return { ...result, sample: result.sample.map((entry) => ({ ...entry, because: becauseWords(campaign.definition.trigger.type, entry.facts, time) })) } satisfies AnswerOf<"GET /api/campaigns/:id/dry-run">;
  });

  /** Uplift of one campaign over a period (default: the last 30 days). */
  app.get("/api/campaigns/:id/report", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const campaign = campaignOr404(request);
    const query = queryOf(ReportQuery, request);
    const to = query.to ?? deps.clock.now();
    const from = query.from ?? new Date(to.getTime() - 30 * 86_400_000);
    const report = await campaignReport(deps.db, campaign.id, campaign.definition.conversion_window, from, to, {
      now: deps.clock.now(),
      ...(campaign.definition.retention_goal && { retentionGoal: campaign.definition.retention_goal }),
    });
    return report satisfies AnswerOf<"GET /api/campaigns/:id/report">;
  });

  /** The campaign day by day (emails sent, entrants, goal rate): the campaign screen's chart. */
  app.get("/api/campaigns/:id/daily", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const campaign = campaignOr404(request);
    const query = queryOf(DailyQuery, request);
    const days = await campaignDays(deps.db, campaign.id, {
      days: query.days,
      now: deps.clock.now(),
      timeZone: query.timeZone,
      conversionWindow: campaign.definition.conversion_window,
      ...(campaign.definition.retention_goal && { retentionGoal: campaign.definition.retention_goal }),
    });
    return days satisfies AnswerOf<"GET /api/campaigns/:id/daily">;
  });

  /** The same report for every running campaign at once: the campaign list's figures. */
  app.get("/api/reports/campaigns", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const query = queryOf(ReportQuery, request);
    const now = deps.clock.now();
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - 30 * 86_400_000);
    const reports = await Promise.all(
      deps.campaigns.all().map((campaign) =>
        campaignReport(deps.db, campaign.id, campaign.definition.conversion_window, from, to, {
          now,
          ...(campaign.definition.retention_goal && { retentionGoal: campaign.definition.retention_goal }),
        }),
      ),
    );
    return { from, to, campaigns: reports } satisfies AnswerOf<"GET /api/reports/campaigns">;
  });

  /** Churn by month; with `campaign`, for customers who entered it next to those who did not. */
  app.get("/api/reports/churn", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const query = queryOf(ChurnQuery, request);
    const to = query.to ?? deps.clock.now();
    const from = query.from ?? new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 5, 1));
    if (!query.campaign) return { from, to, months: await churnByMonth(deps.db, from, to) } satisfies AnswerOf<"GET /api/reports/churn">;
    return {
      from,
      to,
      campaign: query.campaign,
      entered: await churnByMonth(deps.db, from, to, { campaign: query.campaign, entered: true }),
      notEntered: await churnByMonth(deps.db, from, to, { campaign: query.campaign, entered: false }),
    } satisfies AnswerOf<"GET /api/reports/churn">;
  });

  const stepOf = (request: FastifyRequest) => (request.params as { step: string }).step;
  /** "no customer ann" → "No customer ann." */
  const sentence = (what: string) => `${what.charAt(0).toUpperCase()}${what.slice(1)}.`;

  app.get("/api/campaigns/:id/steps/:step/preview", marketers, async (request) => {
    const campaign = campaignOr404(request);
    const query = queryOf(PreviewQuery, request);
    const result = await previewStep(deps, campaign, stepOf(request), { ...(query.customer && { customerId: query.customer }), ...(query.locale && { locale: query.locale }) });
    if (result.type === "not_found") throw new HttpError(404, "not_found", sentence(result.what));
    if (result.type === "render_failed") throw new HttpError(422, "render_failed", sentence(result.what));
    return { customer: result.customer, locale: result.locale, ...result.email } satisfies AnswerOf<"GET /api/campaigns/:id/steps/:step/preview">;
  });

  app.post("/api/campaigns/:id/steps/:step/test-send", { bodyLimit: 4 * 1024, ...marketers }, async (request) => {
    const actor = principalOf(request).name;
    const campaign = campaignOr404(request);
    const body = bodyOf(TestSendBody, request);
    const result = await testSend(deps, campaign, stepOf(request), body.to, {
      ...(body.customer && { customerId: body.customer }),
      ...(body.locale && { locale: body.locale }),
    });
    if (result.type === "not_found") throw new HttpError(404, "not_found", sentence(result.what));
    if (result.type === "render_failed") throw new HttpError(422, "render_failed", sentence(result.what));
    await deps.db.insert(auditLog).values({
      actor,
      action: "campaign.test_send",
      targetType: "campaign",
      targetId: campaign.id,
      after: { step: stepOf(request), to: body.to, customer: body.customer ?? "sample" },
      at: deps.clock.now(),
    });
    return { sent: true, to: body.to, subject: result.subject, messageId: result.messageId, response: result.response } satisfies AnswerOf<"POST /api/campaigns/:id/steps/:step/test-send">;
  });
}
