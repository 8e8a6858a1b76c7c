import { Temporal } from "temporal-polyfill";

/** One bucket of a chart's time axis: [start, end). */
export interface Period {
  start: Date;
  end: Date;
}

/**
 * The last `count` days in a time zone, oldest first, the last one being today (so far): each from
 * its local midnight to the next (23 or 25 hours across a clock change), so a reader's day is
 * counted as they live it. `day` is the calendar date there (`2026-11-30`).
 */
export function lastDays(now: Date, count: number, timeZone: string): (Period & { day: string })[] {
  const today = Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO(timeZone).toPlainDate();
  return Array.from({ length: count }, (_, i) => {
    const date = today.subtract({ days: count - 1 - i });
    const start = date.toZonedDateTime({ timeZone });
    const end = date.add({ days: 1 }).toZonedDateTime({ timeZone });
    return { day: date.toString(), start: new Date(start.epochMilliseconds), end: new Date(end.epochMilliseconds) };
  });
}

/** The last `count` whole hours, oldest first, the last one being the current hour (so far). */
export function lastHours(now: Date, count: number): Period[] {
  const hour = 3_600_000;
  const current = Math.floor(now.getTime() / hour) * hour;
  return Array.from({ length: count }, (_, i) => {
    const start = current - (count - 1 - i) * hour;
    return { start: new Date(start), end: new Date(start + hour) };
  });
}

/** The periods as a row set for SQL's `jsonb_to_recordset(...) as p(i int, start_at timestamptz, end_at timestamptz)`. */
export const periodsJson = (periods: readonly Period[]): string => JSON.stringify(periods.map((p, i) => ({ i, start_at: p.start.toISOString(), end_at: p.end.toISOString() })));
