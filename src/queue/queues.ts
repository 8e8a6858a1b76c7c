import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type JobName, type JobPayload, Jobs, QUEUE_NAMES, type QueueName } from "./jobs.js";

/** The producer side: one BullMQ queue per name, sharing one Redis connection. */
export class Queues {
  readonly #queues: Map<QueueName, Queue>;

  constructor(connection: Redis, readonly prefix: string) {
    this.#queues = new Map(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection, prefix })]));
  }

  queue(name: QueueName): Queue {
    const queue = this.#queues.get(name);
    if (!queue) throw new Error(`no queue named ${name}`);
    return queue;
  }

  all(): Queue[] {
    return [...this.#queues.values()];
  }

  /** Adds a job after checking its payload against the registry. */
  async add<N extends JobName>(name: N, payload: JobPayload<N>, options?: JobsOptions): Promise<void> {
    const job = Jobs[name];
    await this.queue(job.queue).add(name, job.payload.parse(payload), options);
  }

  /** Adds many jobs of one name in one round trip. */
  async addBulk<N extends JobName>(name: N, jobs: { payload: JobPayload<N>; options?: JobsOptions }[]): Promise<void> {
    if (jobs.length === 0) return;
    const job = Jobs[name];
    await this.queue(job.queue).addBulk(jobs.map((j) => ({ name, data: job.payload.parse(j.payload), ...(j.options && { opts: j.options }) })));
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}
