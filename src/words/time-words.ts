/**
 * Moments and dates as a person reads them ("28 Nov 2026, 12:00", "30 Nov 2026"), in one time
 * zone: the reader's where Rekindle knows it (the console sends the browser's, the CLI uses the
 * machine's), else UTC. English, like every other word Rekindle writes.
 */
export interface TimeWords {
  /** The zone the words are in, e.g. `Europe/Paris`. */
  timeZone: string;
  /** A moment: "28 Nov 2026, 12:00". */
  moment(at: Date | string): string;
  /** The day of a moment in the zone, or a calendar date (`2026-11-30`) as it is: "30 Nov 2026". */
  day(at: Date | string): string;
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The zone of the machine this process runs on (the CLI's reader). */
export const localTimeZone = (): string => new Intl.DateTimeFormat().resolvedOptions().timeZone;

export function timeWords(timeZone = "UTC"): TimeWords {
  const moment = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone });
  const day = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone });
  const calendar = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });
  const valid = (at: Date) => !Number.isNaN(at.getTime());
  return {
    timeZone,
    moment: (at) => {
      const date = new Date(at);
      return valid(date) ? moment.format(date) : String(at);
    },
    day: (at) => {
      // A calendar date has no zone: 2026-11-30 is the 30th wherever the reader is.
      if (typeof at === "string" && CALENDAR_DATE.test(at)) return calendar.format(new Date(`${at}T00:00:00Z`));
      const date = new Date(at);
      return valid(date) ? day.format(date) : String(at);
    },
  };
}
