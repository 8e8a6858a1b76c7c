import { z } from "zod";

/*
 * Column parsers for `queryRows` schemas: what each driver hands back for a PostgreSQL type, and
 * the one value the code uses. The drivers differ, and this is the one place that knows how:
 *
 *   type                        node-postgres                  PGlite
 *   int4, count(*)::int, float8 number                         number
 *   int8, sum()::bigint         string                         number
 *   numeric                     string                         string
 *   timestamptz, date           string (drizzle turns the      string (likewise)
 *                               driver's own parsing off)
 *   json, jsonb                 parsed value                   parsed value
 *
 * Each parser checks the type and converts, without copying: they run for every row of the hot
 * paths (an ingested event's row, a claimed message), where a union of schemas or a record walked
 * key by key cost twice as much CPU as the check.
 */

/** `int4`, `count(*)::int`, `float8`: a number from both drivers. */
export const int = z.number();

/** `int8` (a bigint id, `sum(...)::bigint`): a string from node-postgres, a number from PGlite; a number here. */
export const int8 = z
  .custom<number | string>((value) => typeof value === "number" || (typeof value === "string" && /^-?\d+$/.test(value)), "expected an int8")
  .transform(Number);

/** `numeric`: a string from both drivers (it may not fit a double); a number here. */
export const numeric = z
  .custom<number | string>((value) => typeof value === "number" || (typeof value === "string" && value !== "" && !Number.isNaN(Number(value))), "expected a numeric")
  .transform(Number);

/**
 * `timestamptz` read as it is (not through `to_char`): PostgreSQL's text from both drivers, or a
 * Date from a driver that parses it; a Date here.
 */
export const timestamp = z
  .custom<Date | string>((value) => value instanceof Date || typeof value === "string", "expected a timestamp")
  .transform((value) => (value instanceof Date ? value : new Date(value)));

/** A `jsonb` object whose shape the column does not fix (properties, traits, matched facts). */
export const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  "expected a JSON object",
);
