import { z } from "zod";
import { subscriptionStatus } from "../db/index.js";
import { Timestamp } from "../validation/index.js";
import { canonicalLocale, isTimeZone } from "./profile.js";

const ExternalId = z.string().trim().min(1, "must not be empty").max(255);

/**
 * A subscription as the application (or a billing sync) reports it. `id` is the billing system's
 * id; applications with one subscription per customer can leave it out (`default`).
 */
export const SubscriptionInput = z.strictObject({
  id: ExternalId.default("default"),
  status: z.enum(subscriptionStatus.enumValues),
  plan: z.string().max(255).nullable().optional(),
  /** Monthly recurring revenue in the currency's minor units (cents): 4900 is 49.00. */
  mrrMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, "expected an ISO-4217 currency code such as EUR")
    .transform((code) => code.toUpperCase())
    .optional(),
  startedAt: Timestamp.nullable().optional(),
  trialEndsAt: Timestamp.nullable().optional(),
  currentPeriodEnd: Timestamp.nullable().optional(),
  cancelAtPeriodEnd: z.boolean().optional(),
  pausedAt: Timestamp.nullable().optional(),
  resumedAt: Timestamp.nullable().optional(),
  canceledAt: Timestamp.nullable().optional(),
  /** The source's time of this state; an update older than the stored one is ignored. */
  asOf: Timestamp.optional(),
});
export type SubscriptionInput = z.infer<typeof SubscriptionInput>;

const thisYear = new Date().getUTCFullYear();

/** The card on file. */
export const PaymentMethodInput = z.strictObject({
  id: ExternalId.default("default"),
  brand: z.string().max(50).nullable().optional(),
  last4: z
    .string()
    .regex(/^\d{4}$/, "expected the last four digits")
    .nullable()
    .optional(),
  expMonth: z.number().int().min(1).max(12),
  expYear: z
    .number()
    .int()
    .min(2000)
    .max(thisYear + 50),
  /** Whether this is the card that will be charged. Default true. */
  isDefault: z.boolean().default(true),
  /** True when the card was removed from the customer. */
  detached: z.boolean().default(false),
  asOf: Timestamp.optional(),
});
export type PaymentMethodInput = z.infer<typeof PaymentMethodInput>;

/** The body of `PUT /api/customers/:id`: every field is optional; absent ones keep their value. */
export const CustomerInput = z.strictObject({
  email: z.email("expected an email address").nullable().optional(),
  name: z.string().trim().max(255).nullable().optional(),
  locale: z
    .string()
    .transform((value, ctx) => {
      const locale = canonicalLocale(value);
      if (locale === undefined) ctx.addIssue({ code: "custom", message: "expected a language tag such as en-GB" });
      return locale ?? z.NEVER;
    })
    .nullable()
    .optional(),
  timezone: z
    .string()
    .refine(isTimeZone, "expected an IANA time zone such as Europe/Stockholm")
    .nullable()
    .optional(),
  plan: z.string().max(255).nullable().optional(),
  signedUpAt: Timestamp.nullable().optional(),
  /** Merged into the stored traits; a key set to null is removed. */
  traits: z.record(z.string(), z.unknown()).optional(),
  subscription: SubscriptionInput.optional(),
  paymentMethod: PaymentMethodInput.optional(),
});
export type CustomerInput = z.infer<typeof CustomerInput>;
