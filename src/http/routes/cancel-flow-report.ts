import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps/index.js";
import { cancelFlowReport } from "../../reports/index.js";
import { Timestamp } from "../../validation/index.js";
import { HttpError } from "../http-error.js";

const CancelFlowQuery = z
  .strictObject({
    from: Timestamp.optional(),
    to: Timestamp.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: "expected a date before to", path: ["from"] });

/**
 * `GET /api/reports/cancel-flow?from=&to=`: the cancel flow's sessions started in [from, to)
 * (default: the last six calendar months, as the churn report), their reasons and offers against
 * the holdout, and churn by reason per month.
 */
export function cancelFlowReportRoutes(app: FastifyInstance, deps: Deps): void {
  app.get("/api/reports/cancel-flow", { config: { roles: ["marketer", "support"] } }, async (request) => {
    const query = CancelFlowQuery.safeParse(request.query);
    if (!query.success) throw HttpError.fromZod(query.error, ["query"]);
    const to = query.data.to ?? deps.clock.now();
    const from = query.data.from ?? new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 5, 1));
    return cancelFlowReport(deps.db, from, to);
  });
}
