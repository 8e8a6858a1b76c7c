import { exitOnConditions, isEventTrigger, scanCampaign, sweepRecentEvents } from "../campaigns/index.js";
import { createSender, dispatchDue } from "../delivery/index.js";
import type { Deps } from "../deps/index.js";
import { pruneEvents } from "../maintenance/index.js";
import type { JobHandlers } from "../queue/index.js";
import { durationMs, subtractDuration } from "../time/index.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The sweep looks back at most this far: far more than any gap between commit and match. */
const SWEEP_WINDOW_MS = 15 * MINUTE;
/** Events younger than this are left to the immediate match still running for them. */
const SWEEP_SETTLE_MS = 30_000;

/** What each job in the registry does, bound to this process's dependencies. */
export function createJobHandlers(deps: Deps): JobHandlers {
  const sendMessage = createSender(deps);
  return {
    "prune-events": async () => {
      const now = deps.clock.now();
      const cutoff = subtractDuration(now, deps.config.eventRetention);
      const deleted = await pruneEvents(deps.db, cutoff);
      if (deleted > 0) deps.logger.info({ deleted, cutoff }, "pruned old events");
      return { deleted };
    },
    "scan-campaigns": async () => {
      const now = deps.clock.now();
      const results: Record<string, { enrolled: number; exited: number }> = {};
      for (const campaign of deps.campaigns.running()) {
        const started = performance.now();
        const exited = await exitOnConditions(deps.db, campaign, now);
        const enrolled = isEventTrigger(campaign.definition.trigger) ? [] : await scanCampaign(deps.db, campaign, now, deps.config.delivery.defaultTimeZone);
        results[campaign.id] = { enrolled: enrolled.length, exited };
        // The last scan of each campaign, for /metrics (whichever worker ran it).
        await deps.redis.hset(`${deps.config.redis.prefix}:stats:scans`, campaign.id, JSON.stringify({ ms: Math.round(performance.now() - started), enrolled: enrolled.length, exited, at: now }));
        if (enrolled.length > 0 || exited > 0) deps.logger.info({ campaign: campaign.id, enrolled: enrolled.length, exited }, "scan");
      }
      return results;
    },
    dispatch: async () => {
      const result = await dispatchDue(deps);
      if (result.dispatched > 0 || result.requeued > 0) deps.logger.debug(result, "dispatched");
      return result;
    },
    "send-message": async ({ messageId }, attempt) => {
      const outcome = await sendMessage(messageId, attempt);
      if (outcome.type === "failed") deps.logger.warn({ messageId, ...outcome }, "message failed");
      return outcome;
    },
    "sweep-events": async () => {
      // Each event is swept once: from where the last sweep stopped (kept in Redis; at most
      // SWEEP_WINDOW back, and the whole window again if Redis forgot) to SWEEP_SETTLE ago.
      const now = deps.clock.now();
      const key = `${deps.config.redis.prefix}:sweep:until`;
      const before = new Date(now.getTime() - SWEEP_SETTLE_MS);
      const earliest = new Date(now.getTime() - SWEEP_WINDOW_MS);
      const stored = await deps.redis.get(key);
      const last = stored ? new Date(stored) : undefined;
      const since = last && last > earliest && last <= before ? last : earliest;
      const { enrolled, exited } = await sweepRecentEvents(deps.db, deps.campaigns, since, now, deps.config.delivery.defaultTimeZone, before);
      await deps.redis.set(key, before.toISOString());
      const total = [...enrolled.values()].reduce((sum, list) => sum + list.length, 0);
      if (total > 0) deps.logger.warn({ enrolled: total }, "the sweep enrolled customers the immediate match missed");
      return { enrolled: total, exited: [...exited.values()].reduce((a, b) => a + b, 0) };
    },
  };
}

/** Creates or updates the repeating jobs; every process that runs workers calls it at start. */
export async function scheduleJobs(deps: Deps): Promise<void> {
  await deps.queues.schedule("prune-events", HOUR, {});
  await deps.queues.schedule("scan-campaigns", durationMs(deps.config.campaigns.scanInterval), {});
  await deps.queues.schedule("sweep-events", MINUTE, {});
  await deps.queues.schedule("dispatch", durationMs(deps.config.delivery.dispatchInterval), {});
}
