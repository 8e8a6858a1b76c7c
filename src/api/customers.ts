import { z } from "zod";
import { Instant, JsonObject } from "./json.js";

/** The customer's external id in `/api/customers/:id` and below. */
export const CustomerParams = z.object({ id: z.string().trim().min(1, "must not be empty").max(255) });

export const SearchQuery = z.strictObject({
  q: z
    .string({ error: "type a customer id, the start of one, or the start of an email address" })
    .trim()
    .min(1, "type a customer id, the start of one, or the start of an email address")
    .max(255),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** One hit of support's search, with what matched: the exact id, an id prefix, or an email prefix. */
export const CustomerMatch = z.strictObject({
  id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  plan: z.string().nullable(),
  lastSeenAt: Instant.nullable(),
  match: z.enum(["id", "id_prefix", "email"]),
});
export type CustomerMatch = z.infer<typeof CustomerMatch>;

/** `GET /api/customers?q=`. */
export const CustomerMatches = z.strictObject({ customers: z.array(CustomerMatch) });
export type CustomerMatches = z.infer<typeof CustomerMatches>;

/** `GET /api/customers/:id`: the profile, subscriptions and cards. */
export const Customer = z.strictObject({
  id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  locale: z.string().nullable(),
  timezone: z.string().nullable(),
  plan: z.string().nullable(),
  signedUpAt: Instant.nullable(),
  traits: JsonObject,
  lastSeenAt: Instant.nullable(),
  createdAt: Instant,
  updatedAt: Instant,
  subscriptions: z.array(
    z.strictObject({
      id: z.string(),
      status: z.string(),
      plan: z.string().nullable(),
      mrrMinor: z.number(),
      currency: z.string(),
      startedAt: Instant.nullable(),
      trialEndsAt: Instant.nullable(),
      currentPeriodEnd: Instant.nullable(),
      cancelAtPeriodEnd: z.boolean(),
      pausedAt: Instant.nullable(),
      resumedAt: Instant.nullable(),
      canceledAt: Instant.nullable(),
    }),
  ),
  paymentMethods: z.array(
    z.strictObject({
      id: z.string(),
      brand: z.string().nullable(),
      last4: z.string().nullable(),
      expMonth: z.number(),
      expYear: z.number(),
      /** The last day the card works (`2026-11-30`), or null when its month is unknown. */
      expiresOn: z.string().nullable(),
      isDefault: z.boolean(),
      detachedAt: Instant.nullable(),
    }),
  ),
});
export type Customer = z.infer<typeof Customer>;
