import type { Deps } from "../deps/index.js";
import { durationMs } from "../time/index.js";
import { claimDueMessages, reclaimExpired } from "./sql/dispatch-sql.js";

/** A queued message not finished this long after it fell due goes back to the outbox. */
const QUEUED_LEASE = "PT10M";
const BATCH = 1_000;

export function sendJobId(messageId: number): string {
  // BullMQ job ids may not contain ':'.
  return `msg-${messageId}`;
}

/**
 * Moves the near future from the outbox into Redis: messages due within DISPATCH_HORIZON become
 * delayed send jobs (id `msg-<id>`, so one message is one job). Redis therefore holds minutes of
 * work, not the months of waits in Postgres. Expired leases are returned first.
 */
export async function dispatchDue(deps: Deps): Promise<{ dispatched: number; requeued: number; uncertain: number }> {
  const now = deps.clock.now();
  const reclaimed = await reclaimExpired(deps.db, now);
  if (reclaimed.uncertain > 0) {
    deps.logger.error({ uncertain: reclaimed.uncertain }, "messages left uncertain: a worker stopped mid-send; see `rekindle uncertain`");
  }
  const until = new Date(now.getTime() + durationMs(deps.config.delivery.dispatchHorizon, now));
  let dispatched = 0;
  for (;;) {
    const due = await claimDueMessages(deps.db, now, until, QUEUED_LEASE, BATCH);
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
  return { dispatched, ...reclaimed };
}
