import type { FastifyInstance } from "fastify";
import { pendingMigrations } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { buildApp } from "../http/index.js";
import { connectRedis, logOutages } from "../redis/index.js";
import { Workers } from "../queue/index.js";
import { Scheduler } from "../schedule/index.js";
import { createJobHandlers, periodicTasks } from "./job-handlers.js";

/** A running part of Rekindle that can be stopped gracefully. */
export interface Service {
  name: string;
  stop(): Promise<void>;
}

/** Refuses to run on a database whose schema is behind this code. */
export async function requireMigrated(deps: Deps): Promise<void> {
  const pending = await pendingMigrations(deps.db);
  if (pending.length > 0) {
    throw new Error(`The database is missing migrations (${pending.join(", ")}). Run \`rekindle migrate\` first.`);
  }
}

export async function startApi(deps: Deps): Promise<Service & { app: FastifyInstance; url: string }> {
  const app = await buildApp(deps);
  const url = await app.listen({ host: deps.config.http.host, port: deps.config.http.port });
  deps.logger.info({ url, publicUrl: deps.config.http.publicUrl }, `listening on ${url}`);
  return { name: "api", app, url, stop: () => app.close() };
}

export async function startWorker(deps: Deps): Promise<Service> {
  // Workers block on Redis; they get a connection of their own rather than the shared one.
  const connection = connectRedis(deps.redisUrl);
  logOutages(connection, deps.logger, "worker");
  const workers = new Workers({
    connection,
    prefix: deps.config.redis.prefix,
    concurrency: deps.config.delivery.sendConcurrency,
    // The provider's limit holds for all workers together: BullMQ keeps the count in Redis.
    limiter: (queue) => {
      const limit = deps.config.delivery.rateLimit;
      return queue === "send" && limit ? { max: limit.max, duration: limit.durationMs } : undefined;
    },
    handlers: createJobHandlers(deps),
    logger: deps.logger,
  });
  const scheduler = new Scheduler({ db: deps.db, logger: deps.logger, tasks: periodicTasks(deps), leaseMs: deps.config.worker.taskLeaseMs });
  workers.run();
  scheduler.start();
  deps.logger.info({ concurrency: deps.config.delivery.sendConcurrency, scheduler: scheduler.owner }, "worker running");
  return {
    name: "worker",
    async stop() {
      await scheduler.stop();
      await workers.close();
      connection.disconnect();
    },
  };
}
