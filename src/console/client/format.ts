import type { Json } from "../../api/index.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const integer = new Intl.NumberFormat();

export const when = (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : "—");
export const day = (iso: string | null | undefined) => (iso ? dateOnly.format(new Date(iso)) : "—");
export const count = (n: number) => integer.format(n);
export const percent = (rate: number | null | undefined) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);
export const points = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)} pts`;

/** An amount in a currency's minor units, in that currency (two decimals for EUR, none for JPY). */
export function money(minor: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

/** A `<time>`'s machine value and words. */
export const isoAttr = (iso: string) => new Date(iso).toISOString();

const UNITS: [string, string][] = [
  ["Y", "year"],
  ["M", "month"],
  ["W", "week"],
  ["D", "day"],
  ["H", "hour"],
  ["MIN", "minute"],
  ["S", "second"],
];

/** `P1DT12H` → "1 day 12 hours"; anything else is returned as written. */
export function duration(iso: string): string {
  const match = iso.match(/^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/);
  if (!match) return iso;
  // The pattern's groups are UNITS in order.
  const parts = UNITS.flatMap(([, unit], index) => {
    const value = match[index + 1];
    if (!value) return [];
    const n = Number(value);
    return [`${n} ${unit}${n === 1 ? "" : "s"}`];
  });
  return parts.length > 0 ? parts.join(" ") : "no time";
}

const MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** True for an ISO-8601 date-time with its offset: a moment to show as a local date. */
export const isMoment = (text: string) => MOMENT.test(text);

/**
 * A JSON value in a few words, never as JSON: strings as they are (moments as local dates),
 * yes/no, lists joined, objects as "field: value" pairs.
 */
export function value(json: Json | undefined, depth = 0): string {
  if (json === undefined || json === null || json === "") return "—";
  if (typeof json === "string") return isMoment(json) ? when(json) : json;
  if (typeof json === "boolean") return json ? "yes" : "no";
  if (typeof json === "number") return String(json);
  if (Array.isArray(json)) return json.length === 0 ? "none" : json.map((v) => value(v, depth + 1)).join(", ");
  const pairs = Object.entries(json).map(([k, v]) => `${k}: ${value(v, depth + 1)}`);
  if (pairs.length === 0) return "none";
  return depth > 0 ? `(${pairs.join(", ")})` : pairs.join(", ");
}

/** The reader's time zone, sent to the API so that the words it writes (timeline summaries) show local times. */
export const timeZone = () => new Intl.DateTimeFormat().resolvedOptions().timeZone;

/** "support" → "a support", "ops" → "an ops"; `sentenceStart` gives "A support". */
export function aOrAn(word: string, options: { sentenceStart?: boolean } = {}): string {
  // Vowel letters with a consonant sound (user, one) and silent h (hour), as src/words/a-or-an.ts.
  const vowel = /^(hour|honest|honou?r|heir)/i.test(word) || (/^[aeiou]/i.test(word) && !/^(u[bcfhjkstv]?[aeiou]|uni|use|usu|ut[aeiou]|eu|ew|one|once|ouija)/i.test(word));
  const article = vowel ? "an" : "a";
  return `${options.sentenceStart ? article.replace(/^a/, "A") : article} ${word}`;
}
