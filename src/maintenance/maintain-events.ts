import type { Db } from "../db/index.js";
import { addMonths, ensureEventPartitions, monthOf } from "../events/index.js";
import { subtractDuration } from "../time/index.js";
import { dropEventPartitions } from "./drop-event-partitions.js";
import { forgetMessageIds } from "./forget-message-ids.js";

/** Months created ahead of the current one, so that no insert of a live event has to create its month. */
export const MONTHS_AHEAD = 2;

export interface EventMaintenanceOptions {
  /** EVENT_RETENTION: a month of events is dropped once all of it is older than this. */
  retention: string;
  /** EVENT_DEDUPE_WINDOW: messageIds stored longer ago than this are forgotten. */
  dedupeWindow: string;
}

export interface EventMaintenanceResult {
  /** Partitions created ahead (months, `YYYY-MM-01`). */
  created: string[];
  /** Partitions dropped, past retention. */
  dropped: string[];
  /** MessageIds forgotten, past the dedupe window. */
  forgotten: number;
}

/**
 * The `events` table's upkeep: this month and the next MONTHS_AHEAD have their partitions, months
 * past retention are dropped whole, messageIds past the dedupe window are forgotten.
 */
export async function maintainEvents(db: Db, now: Date, options: EventMaintenanceOptions): Promise<EventMaintenanceResult> {
  const current = monthOf(now);
  const months = Array.from({ length: MONTHS_AHEAD + 1 }, (_, i) => addMonths(current, i));
  const created = await ensureEventPartitions(db, months, now);
  const dropped = await dropEventPartitions(db, subtractDuration(now, options.retention));
  const forgotten = await forgetMessageIds(db, subtractDuration(now, options.dedupeWindow));
  return { created, dropped, forgotten };
}
