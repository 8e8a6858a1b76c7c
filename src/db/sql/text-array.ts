import { type SQL, sql } from "drizzle-orm";

/**
 * A list of strings as one `text[]` parameter. Interpolating a JS array into drizzle's `sql`
 * spreads it into one parameter per item; this keeps it a single array value, whatever its size.
 */
export function textArray(values: readonly string[]): SQL {
  return sql`(select coalesce(array_agg(value), '{}') from jsonb_array_elements_text(${JSON.stringify(values)}::jsonb) as value)`;
}
