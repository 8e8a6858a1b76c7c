import type { FastifyInstance } from "fastify";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { col, messageStatus, queryRows } from "../../db/index.js";
import type { Deps } from "../../deps/index.js";
import { collectStatus, hourlySends } from "../../support/index.js";
import { type AnswerOf, HourlyQuery } from "../../api/index.js";
import { queryOf } from "../parse-input.js";

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
      const [row] = await queryRows(deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status = 'uncertain'`);
      this.set(row?.n ?? 0);
    },
  });
  new Gauge({
    name: "rekindle_messages_in_flight",
    help: "Outbox rows handed to the send queue or in the SMTP call.",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await queryRows(
        deps.db,
        z.object({ status: z.enum(messageStatus.enumValues), n: col.int }),
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
      const [row] = await queryRows(deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status = 'scheduled' and due_at <= ${deps.clock.now().toISOString()}::timestamptz`);
      this.set(row?.n ?? 0);
    },
  });

  const status = new Gauge({ name: "rekindle_outbox_lag_seconds", help: "How long the oldest due, unsent message has waited.", registers: [registry] });
  const queueDepth = new Gauge({ name: "rekindle_queue_jobs", help: "BullMQ jobs by queue and state.", labelNames: ["queue", "state"], registers: [registry] });
  const lastHour = new Gauge({ name: "rekindle_messages_last_hour", help: "Messages sent, failed and left uncertain in the last hour.", labelNames: ["status"], registers: [registry] });
  const latency = new Gauge({ name: "rekindle_send_latency_seconds", help: "Average time from due to sent over the last hour.", registers: [registry] });
  const ingested = new Gauge({ name: "rekindle_events_received_last_hour", help: "Events ingested in the last hour.", registers: [registry] });
  const scanSeconds = new Gauge({ name: "rekindle_scan_duration_seconds", help: "Duration of each campaign's last scan.", labelNames: ["campaign"], registers: [registry] });
  const scanMatches = new Gauge({ name: "rekindle_scan_enrolled", help: "Customers each campaign's last scan enrolled.", labelNames: ["campaign"], registers: [registry] });

  app.get("/api/status", { config: { roles: [] } }, async () => (await collectStatus(deps)) satisfies AnswerOf<"GET /api/status">);

  /** Sends and failures hour by hour (the last 24 unless `hours` says otherwise): the ops screen's chart. */
  app.get("/api/status/hourly", { config: { roles: [] } }, async (request) => {
    const query = queryOf(HourlyQuery, request);
    return (await hourlySends(deps.db, deps.clock.now(), query.hours)) satisfies AnswerOf<"GET /api/status/hourly">;
  });

  app.get("/metrics", { config: { roles: [] } }, async (_request, reply) => {
    const current = await collectStatus(deps);
    status.set(current.outbox.lagSeconds);
    for (const [queue, counts] of Object.entries(current.queues)) for (const [state, n] of Object.entries(counts)) queueDepth.set({ queue, state }, n);
    for (const key of ["sent", "failed", "uncertain"] as const) lastHour.set({ status: key }, current.lastHour[key]);
    latency.set(current.lastHour.avgSendLatencySeconds ?? 0);
    ingested.set(current.lastHour.eventsReceived);
    // Each campaign's last scan, as the scan task left it (whichever worker ran it).
    const scans = current.tasks.find((task) => task.name === "scan-campaigns")?.state.campaigns as Record<string, { ms: number; enrolled: number }> | undefined;
    for (const [campaign, scan] of Object.entries(scans ?? {})) {
      scanSeconds.set({ campaign }, scan.ms / 1000);
      scanMatches.set({ campaign }, scan.enrolled);
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
