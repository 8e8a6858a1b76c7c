import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { dryRun, formatProblem } from "../../campaigns/index.js";
import type { Deps } from "../../deps/index.js";
import { bearerToken, KeyRing, unauthorized } from "../auth.js";
import { HttpError } from "../http-error.js";

const DryRunQuery = z.strictObject({
  sample: z.coerce.number().int().min(0).max(500).default(10),
});

/** Campaigns as loaded from their files: what runs, what was refused and why, and the dry run. */
export function campaignRoutes(app: FastifyInstance, deps: Deps): void {
  const apiKeys = new KeyRing(deps.config.apiKeys, "api-key");
  const authenticate = (request: FastifyRequest) => {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || apiKeys.match(token) === undefined) throw unauthorized("Send an API key as `Authorization: Bearer <key>`.", "Bearer");
  };
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

  app.get("/api/campaigns", async (request) => {
    authenticate(request);
    return {
      campaigns: deps.campaigns.all().map((c) => ({
        id: c.id,
        name: c.definition.name,
        category: c.definition.category,
        enabled: c.definition.enabled,
        trigger: c.definition.trigger.type,
        steps: c.definition.steps.length,
        version: c.contentHash.slice(0, 12),
      })),
      invalid: deps.campaigns.invalid().map((entry) => ({ id: entry.id, problems: entry.problems, messages: entry.problems.map(formatProblem) })),
    };
  });

  app.get("/api/campaigns/:id", async (request) => {
    authenticate(request);
    const campaign = campaignOr404(request);
    return { id: campaign.id, versionId: campaign.versionId, version: campaign.contentHash, definition: campaign.definition };
  });

  app.get("/api/campaigns/:id/dry-run", async (request) => {
    authenticate(request);
    const campaign = campaignOr404(request);
    const query = DryRunQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    return dryRun(deps.db, campaign, deps.clock.now(), { sample: query.data.sample });
  });
}
