import { retryTransient } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { durationMs } from "../time/index.js";
import { queueDue, reclaimExpired, requeueAllQueued } from "./outbox.js";

const BATCH = 1_000;

export function sendJobId(messageId: number): string {
  // BullMQ job ids may not contain ':'.
  return `msg-${messageId}`;
}

/**
 * Whether Redis lost its data since the last dispatch (flushed, restarted without persistence,
 * failed over to an empty replica), and every `queued` row's job with it. A marker key is written
 * once per Redis lifetime; finding it missing, one process wins the SET NX and requeues.
 */
async function redisLostItsData(deps: Deps): Promise<boolean> {
  return (await deps.redis.set(`${deps.config.redis.prefix}:epoch`, new Date().toISOString(), "NX")) === "OK";
}

/**
 * Moves the near future from the outbox into Redis: messages due within DISPATCH_HORIZON become
 * delayed send jobs (id `msg-<id>`, so one message is one job). Redis therefore holds minutes of
 * work, not the months of waits in Postgres. First, rows whose jobs Redis lost are put back (at
 * once when Redis lost its data; after QUEUE_LEASE otherwise), and rows whose worker never came
 * back from SMTP are marked uncertain.
 */
export async function dispatchDue(deps: Deps): Promise<{ dispatched: number; requeued: number; uncertain: number; redisLost: boolean }> {
  const now = deps.clock.now();
  const retry = { forMs: deps.config.delivery.databaseRetryMs, onRetry: (error: unknown) => deps.logger.warn({ err: error }, "dispatch failed on a database fault; trying again") };
  let lost = 0;
  if (await redisLostItsData(deps)) {
    lost = await retryTransient(() => requeueAllQueued(deps.db, now), retry);
    if (lost > 0) deps.logger.warn({ requeued: lost }, "Redis lost its data (flushed or restarted): messages whose jobs went with it are queued again");
  }
  const reclaimed = await retryTransient(() => reclaimExpired(deps.db, now), retry);
  if (reclaimed.uncertain > 0) {
    deps.logger.error({ uncertain: reclaimed.uncertain }, "messages left uncertain: a worker stopped mid-send; see `rekindle uncertain`");
  }
  const until = new Date(now.getTime() + durationMs(deps.config.delivery.dispatchHorizon, now));
  const lease = `${Math.round(deps.config.delivery.queueLeaseMs / 1000)} seconds`;
  let dispatched = 0;
  for (;;) {
    const due = await retryTransient(() => queueDue(deps.db, now, until, lease, BATCH), retry);
    // A row is `queued` before its job exists: should adding the jobs fail (Redis away), the rows
    // come back after QUEUE_LEASE, or at once when Redis comes back empty.
    await deps.queues.addBulk(
      "send-message",
      due.map(({ id, dueAt }) => ({
        payload: { messageId: id },
        options: {
          jobId: sendJobId(id),
          delay: Math.max(0, dueAt.getTime() - now.getTime()),
          attempts: deps.config.delivery.sendAttempts,
          // Transient SMTP failures wait SEND_BACKOFF, then twice that, and so on.
          backoff: { type: "exponential", delay: deps.config.delivery.sendBackoffMs },
          // Gone once done, so a message deferred and dispatched again can reuse its job id.
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
    dispatched += due.length;
    if (due.length < BATCH) break;
  }
  return { dispatched, requeued: reclaimed.requeued + lost, uncertain: reclaimed.uncertain, redisLost: lost > 0 };
}
