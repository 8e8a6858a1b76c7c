import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps/index.js";
import { auditEntries, customerScope as scopeOfCustomer, customerTimeline, pause, PauseInput, resume, type Scope, stop, StopInput } from "../../support/index.js";
import { TimeZone } from "../../time/index.js";
import { principalOf } from "../access.js";
import { HttpError } from "../http-error.js";

/**
 * Support's levers: pause, resume and stop one customer; pause and resume one campaign; pause and
 * resume everything (the kill switch). Each acts on messages already queued, and each is audited.
 */
export function supportRoutes(app: FastifyInstance, deps: Deps): void {
  const actor = (request: FastifyRequest): string => principalOf(request).name;
  const body = <T>(schema: z.ZodType<T>, request: FastifyRequest): T => {
    const parsed = schema.safeParse(request.body ?? {});
    if (!parsed.success) throw HttpError.fromZod(parsed.error);
    return parsed.data;
  };
  const customerScope = async (request: FastifyRequest): Promise<Extract<Scope, { scope: "customer" }>> => {
    const { id } = request.params as { id: string };
    const scope = await scopeOfCustomer(deps.db, id);
    if (!scope) throw new HttpError(404, "not_found", `No customer ${JSON.stringify(id)}.`);
    return scope;
  };
  const campaignScope = (request: FastifyRequest): Scope => {
    const { id } = request.params as { id: string };
    if (!deps.campaigns.get(id) && !deps.campaigns.invalid().some((c) => c.id === id)) throw new HttpError(404, "not_found", `No campaign ${JSON.stringify(id)}.`);
    return { scope: "campaign", campaignId: id };
  };
  const json = { bodyLimit: 8 * 1024, config: { roles: ["support"] as const } };
  const forMarketers = { bodyLimit: 8 * 1024, config: { roles: ["marketer"] as const } };
  const opsOnly = { bodyLimit: 8 * 1024, config: { roles: [] as const } };

  app.post("/api/customers/:id/pause", json, async (request, reply) => {
    const who = actor(request);
    const input = body(PauseInput, request);
    return reply.status(201).send(await pause(deps.db, await customerScope(request), input, who, deps.clock.now()));
  });
  app.post("/api/customers/:id/resume", json, async (request) => resume(deps.db, await customerScope(request), actor(request), deps.clock.now()));
  app.post("/api/customers/:id/stop", json, async (request) => {
    const who = actor(request);
    const input = body(StopInput, request);
    const scope = await customerScope(request);
    return stop(deps.db, { id: scope.customerId, label: scope.label }, input, who, deps.clock.now());
  });
  app.post("/api/campaigns/:id/pause", forMarketers, async (request, reply) => {
    const who = actor(request);
    const input = body(PauseInput, request);
    return reply.status(201).send(await pause(deps.db, campaignScope(request), input, who, deps.clock.now()));
  });
  app.post("/api/campaigns/:id/resume", forMarketers, async (request) => resume(deps.db, campaignScope(request), actor(request), deps.clock.now()));
  app.post("/api/pause-all", opsOnly, async (request, reply) => {
    const who = actor(request);
    const input = body(PauseInput, request);
    return reply.status(201).send(await pause(deps.db, { scope: "global" }, input, who, deps.clock.now()));
  });
  app.post("/api/resume-all", opsOnly, async (request) => resume(deps.db, { scope: "global" }, actor(request), deps.clock.now()));

  app.get("/api/customers/:id/timeline", { config: { roles: ["support"] } }, async (request) => {
    const { id } = request.params as { id: string };
    const query = TimelineQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    const timeline = await customerTimeline(deps.db, id, { now: deps.clock.now(), ...(query.data.timeZone && { timeZone: query.data.timeZone }) });
    if (!timeline) throw new HttpError(404, "not_found", `No customer ${JSON.stringify(id)}.`);
    return timeline;
  });

  app.get("/api/audit", { config: { roles: ["support"] } }, async (request) => {
    const parsed = AuditQuery.safeParse(request.query);
    if (!parsed.success) throw HttpError.fromZod(parsed.error, ["query"]);
    return { entries: await auditEntries(deps.db, parsed.data) };
  });
}

const TimelineQuery = z.strictObject({
  /** The reader's IANA zone: the summaries' moments are written in it. Default UTC. */
  timeZone: TimeZone.optional(),
});

const AuditQuery = z.strictObject({
  /** A customer id, campaign id, email address or key id. */
  target: z.string().min(1).max(320).optional(),
  /** What the target is: `customer`, `campaign`, `email`, `api_key`, `global`. */
  type: z.enum(["customer", "campaign", "email", "api_key", "global"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
