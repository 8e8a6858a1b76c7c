import type { FastifyInstance, FastifyRequest } from "fastify";
import { type AnswerOf, AuditQuery, PauseInput, StopInput, TimelineQuery } from "../../api/index.js";
import type { Deps } from "../../deps/index.js";
import { auditEntries, customerScope as scopeOfCustomer, customerTimeline, pause, resume, type Scope, stop } from "../../support/index.js";
import { principalOf } from "../access.js";
import { HttpError } from "../http-error.js";
import { bodyOf, queryOf } from "../parse-input.js";

/**
 * Support's levers: pause, resume and stop one customer; pause and resume one campaign; pause and
 * resume everything (the kill switch). Each acts on messages already queued, and each is audited.
 */
export function supportRoutes(app: FastifyInstance, deps: Deps): void {
  const actor = (request: FastifyRequest): string => principalOf(request).name;
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
    const input = bodyOf(PauseInput, request);
    return reply.status(201).send((await pause(deps.db, await customerScope(request), input, who, deps.clock.now())) satisfies AnswerOf<"POST /api/customers/:id/pause">);
  });
  app.post("/api/customers/:id/resume", json, async (request) => (await resume(deps.db, await customerScope(request), actor(request), deps.clock.now())) satisfies AnswerOf<"POST /api/customers/:id/resume">);
  app.post("/api/customers/:id/stop", json, async (request) => {
    const who = actor(request);
    const input = bodyOf(StopInput, request);
    const scope = await customerScope(request);
    return (await stop(deps.db, { id: scope.customerId, label: scope.label }, input, who, deps.clock.now())) satisfies AnswerOf<"POST /api/customers/:id/stop">;
  });
  app.post("/api/campaigns/:id/pause", forMarketers, async (request, reply) => {
    const who = actor(request);
    const input = bodyOf(PauseInput, request);
    return reply.status(201).send((await pause(deps.db, campaignScope(request), input, who, deps.clock.now())) satisfies AnswerOf<"POST /api/campaigns/:id/pause">);
  });
  app.post("/api/campaigns/:id/resume", forMarketers, async (request) => (await resume(deps.db, campaignScope(request), actor(request), deps.clock.now())) satisfies AnswerOf<"POST /api/campaigns/:id/resume">);
  app.post("/api/pause-all", opsOnly, async (request, reply) => {
    const who = actor(request);
    const input = bodyOf(PauseInput, request);
    return reply.status(201).send((await pause(deps.db, { scope: "global" }, input, who, deps.clock.now())) satisfies AnswerOf<"POST /api/pause-all">);
  });
  app.post("/api/resume-all", opsOnly, async (request) => (await resume(deps.db, { scope: "global" }, actor(request), deps.clock.now())) satisfies AnswerOf<"POST /api/resume-all">);

  app.get("/api/customers/:id/timeline", { config: { roles: ["support"] } }, async (request) => {
    const { id } = request.params as { id: string };
    const query = queryOf(TimelineQuery, request);
    const timeline = await customerTimeline(deps.db, id, { now: deps.clock.now(), ...(query.timeZone && { timeZone: query.timeZone }) });
    if (!timeline) throw new HttpError(404, "not_found", `No customer ${JSON.stringify(id)}.`);
    return timeline satisfies AnswerOf<"GET /api/customers/:id/timeline">;
  });

  app.get("/api/audit", { config: { roles: ["support"] } }, async (request) => {
    return { entries: await auditEntries(deps.db, queryOf(AuditQuery, request)) } satisfies AnswerOf<"GET /api/audit">;
  });
}
