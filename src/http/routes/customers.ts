import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { matchAfterCommit } from "../../campaigns/index.js";
import { CustomerInput, getCustomer, putCustomer } from "../../customers/index.js";
import type { Deps } from "../../deps/index.js";
import { basicUsername, bearerToken, KeyRing, type Principal, unauthorized } from "../auth.js";
import { HttpError } from "../http-error.js";

const Params = z.object({ id: z.string().trim().min(1, "must not be empty").max(255) });

/**
 * The native REST API for state Segment cannot carry: subscriptions and cards.
 * `PUT /api/customers/:id` takes an API key (Bearer) or a write key (Basic, as servers that
 * already send Segment calls have one); `GET` takes an API key.
 */
export function customerRoutes(app: FastifyInstance, deps: Deps): void {
  const apiKeys = new KeyRing(deps.config.apiKeys, "api-key");
  const writeKeys = new KeyRing(deps.config.writeKeys, "write-key");

  const principal = (request: FastifyRequest, allowWriteKey: boolean): Principal => {
    const bearer = bearerToken(request.headers.authorization);
    if (bearer !== undefined) {
      const name = apiKeys.match(bearer);
      if (name) return { role: "ops", name };
      throw unauthorized("Unknown API key.", "Bearer");
    }
    const basic = basicUsername(request.headers.authorization);
    if (allowWriteKey && basic !== undefined) {
      const name = writeKeys.match(basic);
      if (name) return { role: "ingest", name };
    }
    throw unauthorized("Send an API key as `Authorization: Bearer <key>`.", "Bearer");
  };

  const params = (request: FastifyRequest) => {
    const parsed = Params.safeParse(request.params);
    if (!parsed.success) throw HttpError.fromZod(parsed.error, ["params"]);
    return parsed.data;
  };

  app.get("/api/customers/:id", async (request) => {
    principal(request, false);
    const { id } = params(request);
    const customer = await getCustomer(deps.db, id);
    if (!customer) throw new HttpError(404, "not_found", `No customer with id ${JSON.stringify(id)}.`);
    return customer;
  });

  app.put("/api/customers/:id", { bodyLimit: 64 * 1024 }, async (request, reply) => {
    principal(request, true);
    const { id } = params(request);
    const body = CustomerInput.safeParse(request.body ?? {});
    if (!body.success) throw HttpError.fromZod(body.error);
    const result = await putCustomer(deps.db, id, body.data, deps.clock.now());
    await matchAfterCommit(deps, result.events.map((event) => ({ ...event, source: "api" })));
    const customer = await getCustomer(deps.db, id);
    return reply.status(result.created ? 201 : 200).send({
      ...customer,
      events: result.events.map((event) => event.name),
      ignored: result.ignored,
    });
  });
}
