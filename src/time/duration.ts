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
  try {
    const duration = Temporal.Duration.from(text);
    return duration.sign < 0 ? undefined : duration;
  } catch {
    return undefined;
  }
}

/**
 * Adds a duration to an instant. Calendar units (years, months, days) are added in UTC
 * so that `P1M` from 31 January lands on the last day of February, as a person expects.
 */
export function addDuration(instant: Date, text: string): Date {
  const duration = parseDuration(text);
  if (!duration) throw new RangeError(`not an ISO-8601 duration: ${text}`);
  const start = Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO("UTC");
  return new Date(start.add(duration).epochMilliseconds);
}

/** Steps back from an instant by a duration, with the same calendar rules as `addDuration`. */
export function subtractDuration(instant: Date, text: string): Date {
  const duration = parseDuration(text);
  if (!duration) throw new RangeError(`not an ISO-8601 duration: ${text}`);
  const start = Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO("UTC");
  return new Date(start.subtract(duration).epochMilliseconds);
}

/**
 * The length of a duration in milliseconds, measured from `relativeTo` (default: now) so that
 * months and years have their calendar length.
 */
export function durationMs(text: string, relativeTo: Date = new Date()): number {
  return addDuration(relativeTo, text).getTime() - relativeTo.getTime();
}
