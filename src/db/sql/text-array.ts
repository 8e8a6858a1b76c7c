import { type SQL, sql } from "drizzle-orm";

/**
 * A list of strings as one `text[]` value. Interpolating a JS array into drizzle's `sql` spreads
 * it into one parameter per item; this sends one JSON parameter whatever the list's size.
 */
export function textArray(values: readonly string[]): SQL {
  return sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}

/** A list of ids as one `bigint[]` value, sent as one JSON parameter. */
export function bigintArray(values: readonly number[]): SQL {
  return sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)::bigint)`;
}
