import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { CustomerInput, getCustomer, putCustomer, searchCustomers } from "../../customers/index.js";
import type { Deps } from "../../deps/index.js";
import { ingestThenMatch } from "../../ingest/index.js";
import { HttpError } from "../http-error.js";

const Params = z.object({ id: z.string().trim().min(1, "must not be empty").max(255) });

const SearchQuery = z.strictObject({
  q: z
    .string({ error: "type a customer id, the start of one, or the start of an email address" })
    .trim()
    .min(1, "type a customer id, the start of one, or the start of an email address")
    .max(255),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

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

  /** Support's search box: exact id, id prefix, or email prefix; index-backed at any number of customers. */
  app.get("/api/customers", { config: { roles: ["support", "marketer"] } }, async (request) => {
    const query = SearchQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    return { customers: await searchCustomers(deps.db, query.data.q, query.data.limit) };
  });

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
    const result = await ingestThenMatch(deps, "api", () => putCustomer(deps.db, id, body.data, deps.clock.now()));
    const customer = await getCustomer(deps.db, id);
    return reply.status(result.created ? 201 : 200).send({
      ...customer,
      events: result.events.map((event) => event.name),
      ignored: result.ignored,
    });
  });
}
