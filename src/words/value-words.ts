import type { TimeWords } from "./time-words.js";

const MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Any stored value in a few words, never as JSON: text as it is, moments and dates as dates,
 * lists joined, objects as "field: value" pairs. For facts and audit entries a person reads.
 */
export function valueWords(value: unknown, time: TimeWords, depth = 0): string {
  if (value === null || value === undefined || value === "") return "none";
  if (typeof value === "string") return MOMENT.test(value) ? time.moment(value) : CALENDAR_DATE.test(value) ? time.day(value) : value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return time.moment(value);
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map((v) => valueWords(v, time, depth + 1)).join(", ");
  if (typeof value === "object") {
    const pairs = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${valueWords(v, time, depth + 1)}`);
    if (pairs.length === 0) return "none";
    return depth > 0 ? `(${pairs.join(", ")})` : pairs.join(", ");
  }
  // A symbol or a function: never in stored JSON, named rather than printed as source.
  return typeof value === "symbol" ? value.toString() : typeof value;
}
