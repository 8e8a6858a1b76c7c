import type { FastifyInstance, FastifyRequest } from "fastify";
import { type AnswerOf, CustomerParams, SearchQuery } from "../../api/index.js";
import { CustomerInput, getCustomer, putCustomer, searchCustomers } from "../../customers/index.js";
import type { Deps } from "../../deps/index.js";
import { ingestThenMatch } from "../../ingest/index.js";
import { HttpError } from "../http-error.js";
import { bodyOf, paramsOf, queryOf } from "../parse-input.js";

/**
 * The native REST API for state Segment cannot carry: subscriptions and cards.
 * `PUT` is for `ingest` keys (and the write keys of /v1, sent as Basic); `GET` for support and marketers.
 */
export function customerRoutes(app: FastifyInstance, deps: Deps): void {
  const params = (request: FastifyRequest) => paramsOf(CustomerParams, request);

  /** Support's search box: exact id, id prefix, or email prefix; index-backed at any number of customers. */
  app.get("/api/customers", { config: { roles: ["support", "marketer"] } }, async (request) => {
    const query = queryOf(SearchQuery, request);
    return { customers: await searchCustomers(deps.db, query.q, query.limit) } satisfies AnswerOf<"GET /api/customers">;
  });

  app.get("/api/customers/:id", { config: { roles: ["support", "marketer"] } }, async (request) => {
    const { id } = params(request);
    const customer = await getCustomer(deps.db, id);
    if (!customer) throw new HttpError(404, "not_found", `No customer with id ${JSON.stringify(id)}.`);
    return customer satisfies AnswerOf<"GET /api/customers/:id">;
  });

  app.put("/api/customers/:id", { bodyLimit: 64 * 1024, config: { roles: ["ingest"] } }, async (request, reply) => {
    const { id } = params(request);
    const body = bodyOf(CustomerInput, request);
    const result = await ingestThenMatch(deps, "api", () => putCustomer(deps.db, id, body, deps.clock.now()));
    const customer = await getCustomer(deps.db, id);
    return reply.status(result.created ? 201 : 200).send({
      ...customer,
      events: result.events.map((event) => event.name),
      ignored: result.ignored,
    });
  });
}
