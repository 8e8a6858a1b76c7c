import { parseDuration } from "../time/index.js";

const UNITS = [
  ["years", "year"],
  ["months", "month"],
  ["weeks", "week"],
  ["days", "day"],
  ["hours", "hour"],
  ["minutes", "minute"],
  ["seconds", "second"],
] as const;

/** `P1DT12H` → "1 day 12 hours"; what is not an ISO-8601 duration is returned as written. */
export function durationWords(iso: string): string {
  const duration = parseDuration(iso);
  if (!duration) return iso;
  const parts = UNITS.flatMap(([field, unit]) => {
    const n = duration[field];
    return n ? [`${n} ${unit}${n === 1 ? "" : "s"}`] : [];
  });
  return parts.length > 0 ? parts.join(" ") : "no time";
}
