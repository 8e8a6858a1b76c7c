import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Deps } from "../../deps/index.js";
import { listSuppressions, suppress, unsuppress } from "../../suppressions/index.js";
import { type AnswerOf, ComplaintInput, SuppressInput, SuppressionsQuery, UnsuppressInput } from "../../api/index.js";
import { principalOf } from "../access.js";
import { bodyOf, queryOf } from "../parse-input.js";

/**
 * The suppression list: who must not be mailed, and why. Suppressing, recording a complaint and
 * re-subscribing are each an audited act of the API key's holder.
 */
export function suppressionRoutes(app: FastifyInstance, deps: Deps): void {
  const actor = (request: FastifyRequest): string => principalOf(request).name;
  const support = { config: { roles: ["support"] as const } };

  app.get("/api/suppressions", support, async (request) => {
    actor(request);
    const query = queryOf(SuppressionsQuery, request);
    const rows = await listSuppressions(deps.db, query.email);
    return {
      suppressions: rows.map((r) => ({ email: r.email, category: r.category ?? "all", reason: r.reason, detail: r.detail, by: r.createdBy, at: r.createdAt })),
    } satisfies AnswerOf<"GET /api/suppressions">;
  });

  app.post("/api/suppressions", { bodyLimit: 8 * 1024, ...support }, async (request, reply) => {
    const who = actor(request);
    const input = bodyOf(SuppressInput, request);
    const result = await suppress(deps.db, input, who, deps.clock.now());
    return reply.status(result.created ? 201 : 200).send({ suppressed: true, ...result } satisfies AnswerOf<"POST /api/suppressions">);
  });

  /** A spam complaint (from a feedback loop or by hand): no more mail of any category. */
  app.post("/api/complaints", { bodyLimit: 8 * 1024, ...support }, async (request, reply) => {
    const who = actor(request);
    const input = bodyOf(ComplaintInput, request);
    const result = await suppress(deps.db, { email: input.email.toLowerCase(), reason: "complaint", ...(input.detail && { detail: input.detail }) }, who, deps.clock.now());
    return reply.status(result.created ? 201 : 200).send({ suppressed: true, ...result } satisfies AnswerOf<"POST /api/complaints">);
  });

  /** Re-subscribe: lift one category's suppression (`category`), the all-mail one (`category: "all"`), or every one. */
  app.delete("/api/suppressions", { bodyLimit: 8 * 1024, ...support }, async (request) => {
    const who = actor(request);
    const input = bodyOf(UnsuppressInput, request);
    return (await unsuppress(deps.db, input, who, deps.clock.now())) satisfies AnswerOf<"DELETE /api/suppressions">;
  });
}
