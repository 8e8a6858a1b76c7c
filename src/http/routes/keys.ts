import type { FastifyInstance } from "fastify";
import { type AnswerOf, CreateKey } from "../../api/index.js";
import type { Deps } from "../../deps/index.js";
import { createApiKey, listApiKeys, principalOf, revokeApiKey } from "../access.js";
import { HttpError } from "../http-error.js";
import { bodyOf } from "../parse-input.js";

/** Key management, for ops: create (the key is in the answer, once), list, revoke. Audited. */
export function keyRoutes(app: FastifyInstance, deps: Deps): void {
  const ops = { config: { roles: [] as const } };
  app.post("/api/keys", { ...ops, bodyLimit: 4 * 1024 }, async (request, reply) => {
    const input = bodyOf(CreateKey, request);
    const created = await createApiKey(deps.db, input, principalOf(request).name, deps.clock.now());
    return reply.status(201).send({ ...created, name: input.name, role: input.role, note: "Keep this key now: it is not shown again." } satisfies AnswerOf<"POST /api/keys">);
  });
  app.get("/api/keys", ops, async () => ({ keys: await listApiKeys(deps.db) }) satisfies AnswerOf<"GET /api/keys">);
  app.delete("/api/keys/:id", ops, async (request) => {
    const id = Number((request.params as { id: string }).id);
    if (!Number.isSafeInteger(id) || id <= 0) throw HttpError.invalid([{ path: "params.id", message: "expected a key id" }]);
    if (!(await revokeApiKey(deps.db, id, principalOf(request).name, deps.clock.now()))) throw new HttpError(404, "not_found", `No active key ${id}.`);
    return { revoked: true } satisfies AnswerOf<"DELETE /api/keys/:id">;
  });
}
