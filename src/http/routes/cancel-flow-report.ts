import type { FastifyInstance } from "fastify";
import type { Deps } from "../../deps/index.js";
import { cancelFlowReport } from "../../reports/index.js";
import { type AnswerOf, CancelFlowQuery } from "../../api/index.js";
import { queryOf } from "../parse-input.js";

/**
 * `GET /api/reports/cancel-flow?from=&to=`: the cancel flow's sessions started in [from, to)
 * (default: the last six calendar months, as the churn report), their reasons and offers against
 * the holdout, and churn by reason per month.
 */
export function cancelFlowReportRoutes(app: FastifyInstance, deps: Deps): void {
  app.get("/api/reports/cancel-flow", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const query = queryOf(CancelFlowQuery, request);
    const to = query.to ?? deps.clock.now();
    const from = query.from ?? new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 5, 1));
    return (await cancelFlowReport(deps.db, from, to)) satisfies AnswerOf<"GET /api/reports/cancel-flow">;
  });
}
