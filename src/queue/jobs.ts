import { z } from "zod";

/**
 * Every job Rekindle runs, by name: the queue it goes to and the schema of its payload. Workers
 * parse each payload with it when they take the job, so a malformed job fails loudly instead of
 * half-running. New jobs are added here and nowhere else.
 *
 * Terminology:
 * - queue: a BullMQ queue (Redis keys under REDIS_PREFIX); workers take jobs from all of them.
 * - job scheduler: a BullMQ repeatable job, upserted at start-up (idempotent across processes).
 */
export const Jobs = {
  /** Deletes events older than EVENT_RETENTION. Hourly. */
  "prune-events": { queue: "maintenance", payload: z.object({}) },
  /** Evaluates every scan-triggered campaign and every exit condition. Every SCAN_INTERVAL. */
  "scan-campaigns": { queue: "campaigns", payload: z.object({}) },
  /** Matches events of the last minutes again, in case a process died between commit and match. Every minute. */
  "sweep-events": { queue: "campaigns", payload: z.object({}) },
} as const;

export type JobName = keyof typeof Jobs;
export type QueueName = (typeof Jobs)[JobName]["queue"];
export type JobPayload<N extends JobName> = z.infer<(typeof Jobs)[N]["payload"]>;

export const QUEUE_NAMES: readonly QueueName[] = [...new Set(Object.values(Jobs).map((job) => job.queue))];

/** What each job does; built once with the process's dependencies. */
export type JobHandlers = { [N in JobName]: (payload: JobPayload<N>) => Promise<unknown> };

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(Jobs, name);
}
