import { z } from "zod";
import { Instant } from "./json.js";

export const SuppressInput = z.strictObject({
  email: z.email("expected an email address").transform((e) => e.toLowerCase()),
  /** One category (`winback`…), or everything when absent. */
  category: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a category such as winback").optional(),
  reason: z.enum(["manual", "complaint", "unsubscribe", "bounce"]).default("manual"),
  detail: z.string().max(500).optional(),
});
export type SuppressInput = z.infer<typeof SuppressInput>;

export const UnsuppressInput = z.strictObject({
  email: z.email("expected an email address").transform((e) => e.toLowerCase()),
  category: z.string().optional(),
});
export type UnsuppressInput = z.infer<typeof UnsuppressInput>;

/** `POST /api/complaints`: a spam complaint; no more mail of any category. */
export const ComplaintInput = z.strictObject({ email: z.email("expected an email address"), detail: z.string().max(500).optional() });

export const SuppressionsQuery = z.strictObject({ email: z.string().optional() });

/** `GET /api/suppressions`. */
export const Suppressions = z.strictObject({
  suppressions: z.array(z.strictObject({ email: z.string(), category: z.string(), reason: z.string(), detail: z.string().nullable(), by: z.string(), at: Instant })),
});
export type Suppressions = z.infer<typeof Suppressions>;

/** `POST /api/suppressions` and `/api/complaints`: 201 when new, 200 when it already was. */
export const Suppressed = z.strictObject({ suppressed: z.literal(true), created: z.boolean() });
export type Suppressed = z.infer<typeof Suppressed>;

/** `DELETE /api/suppressions`. */
export const Unsuppressed = z.strictObject({ lifted: z.number() });
export type Unsuppressed = z.infer<typeof Unsuppressed>;
