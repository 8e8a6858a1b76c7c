import type { FastifyInstance } from "fastify";
import { pendingMigrations } from "../../db/index.js";
import type { Deps } from "../../deps/index.js";

/** Thrown by a probe whose message is fit to show anyone (no host, port or driver text). */
class ShownFailure extends Error {}

/**
 * One dependency's check. /readyz takes no key, so a failure says what is down in plain words
 * (`not answering`, `no answer within 2000 ms`) and the driver's message, which names hosts and
 * ports, goes to the log instead.
 */
async function check(deps: Deps, name: string, probe: () => Promise<unknown>, timeoutMs = 2_000): Promise<{ name: string; ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      probe(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new ShownFailure(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return { name, ok: true, ...(typeof detail === "string" && { detail }) };
  } catch (error) {
    if (error instanceof ShownFailure) return { name, ok: false, detail: error.message };
    deps.logger.warn({ err: error, check: name }, "readiness check failed");
    return { name, ok: false, detail: "not answering" };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: the process is alive. `/readyz`: it can do its work (Postgres, Redis, schema); when
 * not, 503 with each check's detail, and `down` naming the dependencies not answering (`["redis"]`).
 */
export function healthRoutes(app: FastifyInstance, deps: Deps): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const checks = await Promise.all([
      check(deps, "postgres", () => deps.database.ping()),
      check(deps, "redis", async () => {
        // Commands wait for Redis to come back (maxRetriesPerRequest: null), so a PING would only
        // time out; a connection that is not ready says at once that Redis is away.
        if (deps.redis.status !== "ready") throw new ShownFailure(`not connected (${deps.redis.status})`);
        await deps.redis.ping();
      }),
      check(deps, "migrations", async () => {
        const pending = await pendingMigrations(deps.db);
        if (pending.length > 0) throw new ShownFailure(`pending: ${pending.join(", ")} (run rekindle migrate)`);
        return "up to date";
      }),
    ]);
    const ready = checks.every((c) => c.ok);
    // The dependencies, not the migrations check, which fails too whenever PostgreSQL does.
    const down = checks.filter((c) => !c.ok && (c.name === "postgres" || c.name === "redis")).map((c) => c.name);
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", ...(down.length > 0 && { down }), checks });
  });
}
