import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps/index.js";
import { keyResolver } from "../access.js";
import { HttpError } from "../http-error.js";

export const DASHBOARD_PATH = "/ops/queues";

/**
 * The queue dashboard (bull-board) for ops, at /ops/queues. A browser cannot send a bearer
 * token, so it asks for HTTP Basic: any user name, an ops API key as the password.
 */
export async function dashboardRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: deps.queues.all().map((queue) => new BullMQAdapter(queue)), serverAdapter, options: { uiConfig: { boardTitle: "Rekindle queues" } } });
  // bull-board answers what its routes throw itself, as a 500 with the message (and, under
  // NODE_ENV=development, the stack). Ours says a refusal in Rekindle's shape and a fault in no detail.
  serverAdapter.setErrorHandler((error) => {
    // bull-board's type admits a few statuses only; what our rules throw here is 400, 403 or 404.
    if (error instanceof HttpError) return { status: error.status as 400, body: { error: { code: error.code, message: error.message, problems: error.problems } } };
    deps.logger.error({ err: error }, "queue dashboard request failed");
    return { status: 500, body: { error: { code: "internal_error", message: "Something went wrong on our side; it has been logged.", problems: [] } } };
  });
  const resolve = keyResolver(deps);
  await app.register(async (scope) => {
    // bull-board brings its own error handler into this scope, so the refusal is answered here.
    scope.addHook("onRequest", async (request, reply) => {
      const credentials = request.headers.authorization?.match(/^Basic\s+(\S+)$/i)?.[1];
      const password = credentials ? Buffer.from(credentials, "base64").toString("utf8").split(":").slice(1).join(":") : undefined;
      const principal = password ? await resolve(password) : undefined;
      if (principal?.role !== "ops") {
        return reply
          .status(401)
          .header("www-authenticate", 'Basic realm="rekindle ops", charset="UTF-8"')
          .send({ error: { code: "unauthorized", message: "The queue dashboard is for ops: sign in with an ops API key as the password.", problems: [] } });
      }
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
