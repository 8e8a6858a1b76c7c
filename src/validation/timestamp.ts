import { z } from "zod";

/**
 * The span of time Rekindle stores: 1970-01-01 up to (not including) 2100-01-01, UTC. Anything
 * outside is a client's bug (a zero date, seconds sent as milliseconds), not a moment to schedule on.
 */
export const EARLIEST = new Date("1970-01-01T00:00:00Z");
export const LATEST = new Date("2100-01-01T00:00:00Z");

const EARLIEST_MS = EARLIEST.getTime();
const LATEST_MS = LATEST.getTime();

/** Compared as numbers: comparing the Dates themselves converts both on every call (a NaN fails both tests). */
export const inTimeRange = (date: Date): boolean => {
  const at = date.getTime();
  return at >= EARLIEST_MS && at < LATEST_MS;
};

const RANGE = "expected a date between 1970-01-01 and 2099-12-31";

/** ISO-8601 date-time with an offset (`2026-11-22T10:00:00Z`), or a date (`2026-11-22`, midnight UTC), within 1970–2099. */
export const Timestamp = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: "expected an ISO-8601 date-time such as 2026-11-22T10:00:00Z",
  })
  .transform((text) => new Date(text))
  .refine(inTimeRange, RANGE);
export type Timestamp = z.infer<typeof Timestamp>;
