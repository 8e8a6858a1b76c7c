import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps/index.js";
import type { AnswerOf } from "../../api/index.js";

/**
 * `GET /api/studio`: whether this process watches the templates folder (`rekindle studio`), and
 * the catalog's revision, which moves on every reload. Studio asks every second while watching and
 * renders again when the revision moves; the answer is two numbers from memory.
 */
export function studioRoutes(app: FastifyInstance, deps: Deps, options: { watching: boolean }): void {
  app.get("/api/studio", { config: { roles: ["marketer"] } }, async (_request, reply) => {
    return reply.header("cache-control", "no-store").send({ watching: options.watching, revision: deps.campaigns.revision } satisfies AnswerOf<"GET /api/studio">);
  });
}
