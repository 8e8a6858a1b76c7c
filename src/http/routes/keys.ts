import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps/index.js";
import { createApiKey, listApiKeys, principalOf, revokeApiKey, ROLES } from "../access.js";
import { HttpError } from "../http-error.js";

const CreateKey = z.strictObject({
  name: z.string().trim().min(1, "name the key after its holder, e.g. alice or segment").max(100),
  role: z.enum(ROLES as [string, ...string[]] as ["ingest", "support", "marketer", "ops"]),
});

/** Key management, for ops: create (the key is in the answer, once), list, revoke. Audited. */
export function keyRoutes(app: FastifyInstance, deps: Deps): void {
  const ops = { config: { roles: [] as const } };
  app.post("/api/keys", { ...ops, bodyLimit: 4 * 1024 }, async (request, reply) => {
    const parsed = CreateKey.safeParse(request.body ?? {});
    if (!parsed.success) throw HttpError.fromZod(parsed.error);
    const created = await createApiKey(deps.db, parsed.data, principalOf(request).name, deps.clock.now());
    return reply.status(201).send({ ...created, name: parsed.data.name, role: parsed.data.role, note: "Keep this key now: it is not shown again." });
  });
  app.get("/api/keys", ops, async () => ({ keys: await listApiKeys(deps.db) }));
  app.delete("/api/keys/:id", ops, async (request) => {
    const id = Number((request.params as { id: string }).id);
    if (!Number.isSafeInteger(id) || id <= 0) throw HttpError.invalid([{ path: "params.id", message: "expected a key id" }]);
    if (!(await revokeApiKey(deps.db, id, principalOf(request).name, deps.clock.now()))) throw new HttpError(404, "not_found", `No active key ${id}.`);
    return { revoked: true };
  });
}
