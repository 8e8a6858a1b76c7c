import { z } from "zod";

/**
 * Every job Rekindle queues, by name: the queue it goes to and the schema of its payload. Workers
 * parse each payload with it when they take the job, so a malformed job fails loudly instead of
 * half-running. New jobs are added here and nowhere else.
 *
 * Redis holds only these jobs, each of which stands for a row in PostgreSQL: losing them loses
 * nothing (the dispatcher notices and hands the rows over again). Periodic work (dispatch, scans,
 * the sweep, maintenance) is scheduled in PostgreSQL instead (`src/schedule/`).
 */
export const Jobs = {
  /** Sends one outbox row (email, webhook or branch). Job id `msg-<id>`: one job per message in Redis. */
  "send-message": { queue: "send", payload: z.object({ messageId: z.number().int().positive() }) },
} as const;

export type JobName = keyof typeof Jobs;
export type QueueName = (typeof Jobs)[JobName]["queue"];
export type JobPayload<N extends JobName> = z.infer<(typeof Jobs)[N]["payload"]>;

export const QUEUE_NAMES: readonly QueueName[] = [...new Set(Object.values(Jobs).map((job) => job.queue))];

/** Which try of a job this is (BullMQ retries with backoff when a handler throws). */
export interface JobAttempt {
  attempt: number;
  maxAttempts: number;
}

/** What each job does; built once with the process's dependencies. */
export type JobHandlers = { [N in JobName]: (payload: JobPayload<N>, attempt: JobAttempt) => Promise<unknown> };

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(Jobs, name);
}
