import type { FastifyInstance } from "fastify";
import { pendingMigrations } from "../../db/index.js";
import type { Deps } from "../../deps/index.js";

async function check(name: string, probe: () => Promise<unknown>, timeoutMs = 2_000): Promise<{ name: string; ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      probe(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return { name, ok: true, ...(typeof detail === "string" && { detail }) };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz`: the process is alive. `/readyz`: it can do its work (Postgres, Redis, schema). */
export function healthRoutes(app: FastifyInstance, deps: Deps): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const checks = await Promise.all([
      check("postgres", () => deps.database.ping()),
      check("redis", () => deps.redis.ping()),
      check("migrations", async () => {
        const pending = await pendingMigrations(deps.db);
        if (pending.length > 0) throw new Error(`pending: ${pending.join(", ")} (run rekindle migrate)`);
        return "up to date";
      }),
    ]);
    const ready = checks.every((c) => c.ok);
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks });
  });
}
