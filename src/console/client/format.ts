import type { Json } from "./types.js";

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
  const parts = match.slice(1).flatMap((value, index) => {
    if (!value) return [];
    const n = Number(value);
    const unit = UNITS[index]![1];
    return [`${n} ${unit}${n === 1 ? "" : "s"}`];
  });
  return parts.length > 0 ? parts.join(" ") : "no time";
}

/** A JSON value in a few words: strings as they are, the rest as compact JSON. */
export function value(json: Json | undefined): string {
  if (json === undefined || json === null) return "—";
  if (typeof json === "string") return json;
  if (typeof json === "number" || typeof json === "boolean") return String(json);
  return JSON.stringify(json);
}
