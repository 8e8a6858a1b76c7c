import { durationWords } from "../../words/index.js";
import type { Operator } from "../definition/index.js";

/** `2026-12-28`: a day, in UTC (the scans count days in UTC). */
export const day = (at: Date | string) => new Date(at).toISOString().slice(0, 10);

/** `2026-11-20 10:00 UTC`: a moment, to the minute. */
export const moment = (at: Date | string) => `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC`;

export { durationWords };

/** A value as a person reads it: text as it is (quoted when `quote`), the rest as compact JSON; "not set" for nothing. */
export function valueWords(value: unknown, quote = false): string {
  if (value === null || value === undefined) return "not set";
  if (typeof value === "string") return quote || value.trim() === "" ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

const list = (values: unknown) => (Array.isArray(values) ? values.map((v) => valueWords(v)).join(", ") : valueWords(values));

/** What a comparison asks for, e.g. "one of active, trialing", "at least 1000", "at least 14 days ago". */
export function wantedWords(op: Operator, operand: unknown): string {
  switch (op) {
    case "equals":
      return `equal to ${valueWords(operand)}`;
    case "not_equals":
      return `anything but ${valueWords(operand)}`;
    case "in":
      return `one of ${list(operand)}`;
    case "not_in":
      return `none of ${list(operand)}`;
    case "exists":
      return operand ? "set" : "not set";
    case "contains":
      return `containing ${valueWords(operand, true)}`;
    case "gt":
      return `more than ${typeof operand === "string" ? durationWords(operand) : valueWords(operand)}`;
    case "gte":
      return `at least ${typeof operand === "string" ? durationWords(operand) : valueWords(operand)}`;
    case "lt":
      return `less than ${typeof operand === "string" ? durationWords(operand) : valueWords(operand)}`;
    case "lte":
      return `at most ${typeof operand === "string" ? durationWords(operand) : valueWords(operand)}`;
    case "before":
      return `before ${moment(operand as Date)}`;
    case "after":
      return `after ${moment(operand as Date)}`;
    case "older_than":
      return `at least ${durationWords(String(operand))} ago`;
    case "within":
      return `within the last ${durationWords(String(operand))}`;
    case "within_next":
      return `within the next ${durationWords(String(operand))}`;
  }
}

/** "1 time", "3 times". */
export const times = (n: number) => `${n} time${n === 1 ? "" : "s"}`;
