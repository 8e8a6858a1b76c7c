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
  /** Hands messages falling due soon to the send queue; returns expired leases to the outbox. Every DISPATCH_INTERVAL. */
  dispatch: { queue: "campaigns", payload: z.object({}) },
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
