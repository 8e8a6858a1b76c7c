import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { matchAfterCommit } from "../../campaigns/index.js";
import { CustomerInput, getCustomer, putCustomer } from "../../customers/index.js";
import type { Deps } from "../../deps/index.js";
import { HttpError } from "../http-error.js";

const Params = z.object({ id: z.string().trim().min(1, "must not be empty").max(255) });

/**
 * The native REST API for state Segment cannot carry: subscriptions and cards.
 * `PUT` is for `ingest` keys (and the write keys of /v1, sent as Basic); `GET` for support and marketers.
 */
export function customerRoutes(app: FastifyInstance, deps: Deps): void {
  const params = (request: FastifyRequest) => {
    const parsed = Params.safeParse(request.params);
    if (!parsed.success) throw HttpError.fromZod(parsed.error, ["params"]);
    return parsed.data;
  };

  app.get("/api/customers/:id", { config: { roles: ["support", "marketer"] } }, async (request) => {
    const { id } = params(request);
    const customer = await getCustomer(deps.db, id);
    if (!customer) throw new HttpError(404, "not_found", `No customer with id ${JSON.stringify(id)}.`);
    return customer;
  });

  app.put("/api/customers/:id", { bodyLimit: 64 * 1024, config: { roles: ["ingest"] } }, async (request, reply) => {
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
