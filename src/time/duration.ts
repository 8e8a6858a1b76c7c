import { Temporal } from "temporal-polyfill";
import { z } from "zod";

/**
 * An ISO-8601 duration such as `P30D`, `PT10M` or `P1M2DT3H`. Every duration in Rekindle
 * (configuration, campaign files, API bodies) is written this way. Negative durations are refused.
 */
export const IsoDuration = z
  .string()
  .trim()
  .refine((text) => parseDuration(text) !== undefined, {
    message: "expected an ISO-8601 duration such as P30D, PT10M or P1DT12H",
  });
export type IsoDuration = z.infer<typeof IsoDuration>;

/** Parses an ISO-8601 duration, or returns undefined when it is not one (or is negative). */
export function parseDuration(text: string): Temporal.Duration | undefined {
  // Campaigns and configuration name a handful of durations, and matching reads them for every
  // group of events: parsed once each (a Duration is immutable), in a cache that API bodies,
  // which may name any, cannot grow without bound.
  const known = parsed.get(text);
  if (known !== undefined) return known ?? undefined;
  const duration = parseUncached(text);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(text, duration ?? null);
  return duration;
}

const parsed = new Map<string, Temporal.Duration | null>();
const PARSED_MAX = 1_000;

function parseUncached(text: string): Temporal.Duration | undefined {
  try {
    const duration = Temporal.Duration.from(text);
    return duration.sign < 0 ? undefined : duration;
  } catch {
    return undefined;
  }
}

/**
 * Adds a duration to an instant. Calendar units (years, months) are added in UTC
 * so that `P1M` from 31 January lands on the last day of February, as a person expects.
 */
export function addDuration(instant: Date, text: string): Date {
  return shift(instant, text, 1);
}

/** Steps back from an instant by a duration, with the same calendar rules as `addDuration`. */
export function subtractDuration(instant: Date, text: string): Date {
  return shift(instant, text, -1);
}

function shift(instant: Date, text: string, sign: 1 | -1): Date {
  const duration = parseDuration(text);
  if (!duration) throw new RangeError(`not an ISO-8601 duration: ${text}`);
  // In UTC a week, a day and an hour have one length each: those durations (nearly all of
  // them) are plain arithmetic, which matching does for every group of events. Months and
  // years take the calendar; so do micro- and nanoseconds, which a Date cannot hold.
  const { years, months, weeks, days, hours, minutes, seconds, milliseconds, microseconds, nanoseconds } = duration;
  if (years === 0 && months === 0 && microseconds === 0 && nanoseconds === 0) {
    const ms = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000 + milliseconds;
    const shifted = new Date(instant.getTime() + sign * ms);
    // Past a Date's range, Temporal's RangeError below says so, rather than an Invalid Date.
    if (!Number.isNaN(shifted.getTime())) return shifted;
  }
  const start = Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO("UTC");
  return new Date((sign === 1 ? start.add(duration) : start.subtract(duration)).epochMilliseconds);
}

/**
 * The length of a duration in milliseconds, measured from `relativeTo` (default: now) so that
 * months and years have their calendar length.
 */
export function durationMs(text: string, relativeTo: Date = new Date()): number {
  return addDuration(relativeTo, text).getTime() - relativeTo.getTime();
}
