import type { Logger } from "pino";
import { type Db, retryTransient } from "../../db/index.js";
import type { Clock } from "../../time/index.js";
import type { CampaignCatalog } from "../catalog.js";
import { matchEvents } from "./match-events.js";
import { forgetMatchedEvents } from "./unmatched-events.js";

const MATCH_RETRY_MS = 5_000;

/** What matching after a commit needs (a subset of the process's Deps). */
export interface MatchDeps {
  db: Db;
  campaigns: CampaignCatalog;
  clock: Clock;
  logger: Logger;
  config: { delivery: { defaultTimeZone: string } };
}

/**
 * Right after events are committed: end enrollments whose goal arrived, start the ones the
 * events trigger, then forget their `unmatched_events` record. A failure here loses nothing (the
 * record stays, and the sweep job matches those events), so it is logged rather than turned into
 * an error for the client. A PostgreSQL fault
 * (a dropped connection) is retried here for a few seconds first, since the sweep only comes by
 * a minute later; matching again is harmless, as the sweep's own re-runs show.
 */
export async function matchAfterCommit(deps: MatchDeps, events: Parameters<typeof matchEvents>[2]): Promise<void> {
  if (events.length === 0) return;
  try {
    const { exited, enrolled } = await retryTransient(
      async () => {
        const result = await matchEvents(deps.db, deps.campaigns, events, deps.clock.now(), deps.config.delivery.defaultTimeZone);
        await forgetMatchedEvents(deps.db, events.map((event) => event.id));
        return result;
      },
      { forMs: MATCH_RETRY_MS },
    );
    for (const [campaign, list] of enrolled) deps.logger.info({ campaign, enrolled: list.length }, "enrolled from events");
    for (const [campaign, count] of exited) deps.logger.info({ campaign, exited: count }, "exit goals reached");
  } catch (error) {
    deps.logger.error({ err: error }, "matching events to campaigns failed; the sweep will retry");
  }
}
