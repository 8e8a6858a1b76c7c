import type { Deps } from "../deps/index.js";
import { pruneEvents } from "../maintenance/index.js";
import type { JobHandlers } from "../queue/index.js";
import { subtractDuration } from "../time/index.js";

const HOUR = 3_600_000;

/** What each job in the registry does, bound to this process's dependencies. */
export function createJobHandlers(deps: Deps): JobHandlers {
  return {
    "prune-events": async () => {
      const now = deps.clock.now();
      const cutoff = subtractDuration(now, deps.config.eventRetention);
      const deleted = await pruneEvents(deps.db, cutoff);
      if (deleted > 0) deps.logger.info({ deleted, cutoff }, "pruned old events");
      return { deleted };
    },
  };
}

/** Creates or updates the repeating jobs; every process that runs workers calls it at start. */
export async function scheduleJobs(deps: Deps): Promise<void> {
  await deps.queues.schedule("prune-events", HOUR, {});
}
