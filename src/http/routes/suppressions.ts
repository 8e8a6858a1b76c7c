import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps/index.js";
import { listSuppressions, SuppressInput, suppress, UnsuppressInput, unsuppress } from "../../suppressions/index.js";
import { principalOf } from "../access.js";
import { HttpError } from "../http-error.js";

/**
 * The suppression list: who must not be mailed, and why. Suppressing, recording a complaint and
 * re-subscribing are each an audited act of the API key's holder.
 */
export function suppressionRoutes(app: FastifyInstance, deps: Deps): void {
  const actor = (request: FastifyRequest): string => principalOf(request).name;
  const support = { config: { roles: ["support"] as const } };
  const parse = <T>(schema: z.ZodType<T>, value: unknown, prefix: string[] = []): T => {
    const parsed = schema.safeParse(value ?? {});
    if (!parsed.success) throw HttpError.fromZod(parsed.error, prefix);
    return parsed.data;
  };

  app.get("/api/suppressions", support, async (request) => {
    actor(request);
    const query = parse(z.strictObject({ email: z.string().optional() }), request.query, ["query"]);
    const rows = await listSuppressions(deps.db, query.email);
    return {
      suppressions: rows.map((r) => ({ email: r.email, category: r.category ?? "all", reason: r.reason, detail: r.detail, by: r.createdBy, at: r.createdAt })),
    };
  });

  app.post("/api/suppressions", { bodyLimit: 8 * 1024, ...support }, async (request, reply) => {
    const who = actor(request);
    const input = parse(SuppressInput, request.body);
    const result = await suppress(deps.db, input, who, deps.clock.now());
    return reply.status(result.created ? 201 : 200).send({ suppressed: true, ...result });
  });

  /** A spam complaint (from a feedback loop or by hand): no more mail of any category. */
  app.post("/api/complaints", { bodyLimit: 8 * 1024, ...support }, async (request, reply) => {
    const who = actor(request);
    const input = parse(z.strictObject({ email: z.email("expected an email address"), detail: z.string().max(500).optional() }), request.body);
    const result = await suppress(deps.db, { email: input.email.toLowerCase(), reason: "complaint", ...(input.detail && { detail: input.detail }) }, who, deps.clock.now());
    return reply.status(result.created ? 201 : 200).send({ suppressed: true, ...result });
  });

  /** Re-subscribe: lift one category's suppression (`category`), the all-mail one (`category: "all"`), or every one. */
  app.delete("/api/suppressions", { bodyLimit: 8 * 1024, ...support }, async (request) => {
    const who = actor(request);
    const input = parse(UnsuppressInput, request.body);
    return unsuppress(deps.db, input, who, deps.clock.now());
  });
}
