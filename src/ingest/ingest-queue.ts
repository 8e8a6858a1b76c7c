import type { MatchDeps } from "../campaigns/index.js";
import { isTransientDbError, MicroBatcher } from "../db/index.js";
import type { IncomingEvent } from "./incoming-event.js";
import { ingestGroup, type IngestRequest, type IngestResult } from "./ingest-events.js";
import { ingestThenMatch } from "./ingest-then-match.js";

export interface IngestQueueOptions {
  /** Events one transaction takes at most (a request is never split). */
  maxEvents: number;
  /** Group transactions running at once in this process. */
  maxInFlight: number;
}

/** Sized on the bench: groups of a few thousand events amortise planning and commit; two in flight keep both PostgreSQL and this process busy. */
export const DEFAULT_INGEST_QUEUE: IngestQueueOptions = { maxEvents: 5_000, maxInFlight: 2 };
/**
 * For /v1/import: batches of up to 10,000 events arrive back to back, and nobody waits on one
 * event. Groups of 10,000 rather than 20,000: the same rate on the bench (11,684 and 12,012
 * events/s against 10,659 and 12,758, alternating), and the API process's peak RSS 373–377 MB
 * instead of 382–389, further from its 400 MB.
 */
export const BACKFILL_INGEST_QUEUE: IngestQueueOptions = { maxEvents: 10_000, maxInFlight: 2 };

type Outcome = { ok: true; result: IngestResult } | { ok: false; error: unknown };

/**
 * Group commit for ingestion: the requests that arrive while a group's transaction runs are
 * stored together by the next one — one set of statements and one commit (one WAL flush) for all
 * of them, and one pass of trigger and exit matching over what they stored. Under load a
 * transaction carries tens of requests; when it is quiet, one, so nothing waits for a timer.
 *
 * What each request was promised still holds: it is answered only once its events are committed
 * (and matched); each messageId is stored once, for the first request that carried it; and a
 * request is all or nothing — when the database refuses a group for a reason other than a fault
 * (a row one request carries), the group is rolled back whole and each request is stored again
 * alone, so only the one at fault gets the error.
 */
export class IngestQueue {
  readonly #batcher: MicroBatcher<IngestRequest, Outcome>;

  constructor(
    private readonly deps: MatchDeps,
    options: IngestQueueOptions = DEFAULT_INGEST_QUEUE,
  ) {
    this.#batcher = new MicroBatcher((requests) => this.#store(requests), {
      maxItems: Number.MAX_SAFE_INTEGER,
      maxInFlight: options.maxInFlight,
      weigh: (request) => request.events.length,
      maxWeight: options.maxEvents,
    });
  }

  /** Stores one request's events with whatever else is arriving; resolves once they are committed and matched. */
  async ingest(events: IncomingEvent[], receivedAt: Date): Promise<IngestResult> {
    if (events.length === 0) return { stored: [], duplicates: 0 };
    const outcome = await this.#batcher.submit({ events, receivedAt });
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  async #store(requests: IngestRequest[]): Promise<Outcome[]> {
    const sources = new Map(requests.flatMap((request) => request.events.map((event) => [event.messageId, event.source] as const)));
    const { outcomes } = await ingestThenMatch(this.deps, (event) => sources.get(event.messageId) ?? "segment", async () => {
      const outcomes = await this.#storeGroup(requests);
      return { outcomes, events: outcomes.flatMap((outcome) => (outcome.ok ? outcome.result.stored : [])) };
    });
    return outcomes;
  }

  async #storeGroup(requests: IngestRequest[]): Promise<Outcome[]> {
    try {
      return (await ingestGroup(this.deps.db, requests)).map((result) => ({ ok: true, result }));
    } catch (error) {
      // A fault (PostgreSQL gone for longer than the retries) is every request's; anything else may be one request's.
      if (requests.length === 1 || isTransientDbError(error)) throw error;
      const outcomes: Outcome[] = [];
      for (const request of requests) {
        outcomes.push(
          await ingestGroup(this.deps.db, [request]).then(
            ([result]) => ({ ok: true as const, result: result ?? { stored: [], duplicates: 0 } }),
            (alone: unknown) => ({ ok: false as const, error: alone }),
          ),
        );
      }
      return outcomes;
    }
  }
}
