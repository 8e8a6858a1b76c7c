import { z } from "zod";

/**
 * A moment as the API answers it. Handlers hand a `Date` (or an ISO text they already made);
 * JSON carries the ISO text, which is what a reader gets: `z.input` is the server's side,
 * `z.output` the console's.
 */
export const Instant = z.union([z.date(), z.string()]).transform((value) => (value instanceof Date ? value.toISOString() : value));
export type Instant = z.infer<typeof Instant>;

/** Any JSON value: traits, event properties, an audit entry's before and after. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Free-form JSON whose shape the API does not promise. Its input is `unknown` because the server
 * hands what it read from a jsonb column; parsing checks that it is JSON, never its shape.
 */
export const Json: z.ZodType<Json, unknown> = z.json();

/** A JSON object of free-form values (`traits`, `facts`, `detail`). */
export const JsonObject = z.record(z.string(), Json);
export type JsonObject = z.infer<typeof JsonObject>;
