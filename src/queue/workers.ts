import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { isJobName, type JobHandlers, Jobs, QUEUE_NAMES, type QueueName } from "./jobs.js";

export interface WorkersOptions {
  connection: Redis;
  prefix: string;
  /** Jobs at once per queue (a number for all of them). */
  concurrency: number | ((queue: QueueName) => number);
  /** A rate limit per queue, enforced in Redis across every worker of the queue. */
  limiter?: (queue: QueueName) => { max: number; duration: number } | undefined;
  handlers: JobHandlers;
  logger: Logger;
}

const isConnectionError = (error: Error & { code?: unknown }) =>
  ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"].includes(String(error.code)) || /Connection is closed/i.test(error.message);

/** The consumer side: a BullMQ worker on every queue, dispatching by job name. */
export class Workers {
  readonly #workers: Worker[];

  constructor(options: WorkersOptions) {
    const { connection, prefix, concurrency, handlers, logger, limiter } = options;
    const process = async (job: Job) => {
      if (!isJobName(job.name)) throw new UnrecoverableError(`unknown job ${job.name}`);
      const parsed = Jobs[job.name].payload.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`invalid payload for ${job.name}: ${parsed.error.message}`);
      const handler = handlers[job.name] as (payload: unknown, attempt: { attempt: number; maxAttempts: number }) => Promise<unknown>;
      return handler(parsed.data, { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 });
    };
    this.#workers = QUEUE_NAMES.map((name) => {
      const limit = limiter?.(name);
      const worker = new Worker(name, process, {
        connection,
        prefix,
        concurrency: typeof concurrency === "number" ? concurrency : concurrency(name),
        ...(limit && { limiter: limit }),
        autorun: false,
      });
      worker.on("failed", (job, error) => logger.warn({ queue: name, job: job?.name, jobId: job?.id, err: error }, "job failed"));
      worker.on("error", (error) => {
        // While Redis is away every reconnection attempt fails; the connection's own outage line says so once.
        if (isConnectionError(error)) logger.debug({ queue: name, err: error }, "worker error");
        // A job that ends after Redis lost its data: its outcome is in PostgreSQL already, and the dispatcher hands over what it must again.
        else if (/^Missing key for job/.test(error.message)) logger.warn({ queue: name, err: error }, "a job ended after Redis lost it; its outcome is recorded in PostgreSQL");
        else logger.error({ queue: name, err: error }, "worker error");
      });
      return worker;
    });
  }

  run(): void {
    for (const worker of this.#workers) void worker.run();
  }

  /** Stops taking jobs and waits for the ones in progress. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.close()));
  }
}
