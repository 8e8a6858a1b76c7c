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
 */

/** `int4`, `count(*)::int`, `float8`: a number from both drivers. */
export const int = z.number();

/** `int8` (a bigint id, `sum(...)::bigint`): a string from node-postgres, a number from PGlite; a number here. */
export const int8 = z.union([z.number(), z.string()]).transform(Number);

/** `numeric`: a string from both drivers (it may not fit a double); a number here. */
export const numeric = z.union([z.number(), z.string()]).transform(Number);

/**
 * `timestamptz` read as it is (not through `to_char`): PostgreSQL's text from both drivers, or a
 * Date from a driver that parses it; a Date here.
 */
export const timestamp = z.union([z.date(), z.string()]).transform((value) => (value instanceof Date ? value : new Date(value)));

/** A `jsonb` object whose shape the column does not fix (properties, traits, matched facts). */
export const jsonObject = z.record(z.string(), z.unknown());
