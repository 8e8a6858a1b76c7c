import type { FastifyInstance } from "fastify";
import { sql } from "drizzle-orm";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { queryRows } from "../../db/index.js";
import type { Deps } from "../../deps/index.js";

/**
 * Prometheus metrics (`GET /metrics`, with an API key as a bearer token). Outbox figures are read
 * from Postgres at scrape time, so every API process reports the same truth; the partial indexes
 * keep these counts to the small sets (due, in flight, uncertain).
 */
export function metricsRoutes(app: FastifyInstance, deps: Deps): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "rekindle_process_" });
  new Gauge({
    name: "rekindle_messages_uncertain",
    help: "Emails a stopped worker may or may not have sent (never resent on their own; see `rekindle uncertain`).",
    registers: [registry],
    async collect() {
      const [row] = await queryRows<{ n: number }>(deps.db, sql`select count(*)::int as n from messages where status = 'uncertain'`);
      this.set(row?.n ?? 0);
    },
  });
  new Gauge({
    name: "rekindle_messages_in_flight",
    help: "Outbox rows handed to the send queue or in the SMTP call.",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await queryRows<{ status: string; n: number }>(
        deps.db,
        sql`select status::text, count(*)::int as n from messages where status in ('queued', 'sending') group by status`,
      );
      for (const status of ["queued", "sending"]) this.set({ status }, rows.find((r) => r.status === status)?.n ?? 0);
    },
  });
  new Gauge({
    name: "rekindle_messages_due",
    help: "Scheduled outbox rows whose time has come (a growing number means sending is falling behind).",
    registers: [registry],
    async collect() {
      const [row] = await queryRows<{ n: number }>(deps.db, sql`select count(*)::int as n from messages where status = 'scheduled' and due_at <= ${deps.clock.now().toISOString()}::timestamptz`);
      this.set(row?.n ?? 0);
    },
  });

  app.get("/metrics", { config: { roles: [] } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
