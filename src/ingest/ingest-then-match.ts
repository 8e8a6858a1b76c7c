import { matchAfterCommit, type MatchDeps } from "../campaigns/index.js";
import type { StoredEvent } from "../events/index.js";

/**
 * The path every event takes in, whatever brought it (`/v1`, `PUT /api/customers`, a Stripe
 * webhook, `rekindle stripe import`): `store` records the state and its events in one transaction,
 * and once that has committed, what it stored is matched to campaigns — exit goals, then triggers.
 * Matching runs for history too: an event older than EVENT_TRIGGER_MAX_AGE starts no sequence, but
 * it still ends the ones whose goal it is. A matching failure (past matchAfterCommit's retries of
 * a PostgreSQL fault) is logged, never thrown at the caller: the events stay recorded in
 * `unmatched_events`, and the sweep matches them. A failure of `store` is thrown, and nothing
 * is matched.
 *
 * `source` is recorded with each event for the triggers that filter on it: one for all of them, or
 * one per event when a group of requests came from several (the ingest queue's group commit).
 */
export async function ingestThenMatch<R extends { events: readonly StoredEvent[] }>(
  deps: MatchDeps,
  source: string | ((event: StoredEvent) => string),
  store: () => Promise<R>,
): Promise<R> {
  const result = await store();
  const sourceOf = typeof source === "string" ? () => source : source;
  await matchAfterCommit(deps, result.events.map((event) => ({ ...event, source: sourceOf(event) })));
  return result;
}
