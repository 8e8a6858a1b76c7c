import { z } from "zod";
import { Condition } from "../campaigns/index.js";

/**
 * Terminology. A **cancel flow** is what a customer who presses "Cancel" goes through: the
 * **reasons** they choose from (the exit survey), and per reason an ordered list of **offers**, of
 * which the first whose **audience** the customer is in is shown. A **holdout** share of sessions
 * sees no offer, so that what offers save can be measured. It lives in
 * `templates/_cancel/flow.yaml`, with its words in `templates/_cancel/texts.<locale>.yaml`.
 */

const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "expected lower-case letters, digits, '-' or '_' (e.g. too_expensive)");

const OfferBase = {
  id: Id,
  /** Only customers who match see it (the campaign condition language); everyone when absent. */
  audience: Condition.optional(),
};

/** Pause collection for one to three months, then resume by itself. */
export const PauseOffer = z.strictObject({ ...OfferBase, type: z.literal("pause"), duration: z.enum(["P1M", "P2M", "P3M"], "expected P1M, P2M or P3M") });

/** A price cut for some months, as a billing coupon (created once, or one you made: `coupon`). */
export const DiscountOffer = z
  .strictObject({
    ...OfferBase,
    type: z.literal("discount"),
    percent_off: z.number().gt(0).max(100).optional(),
    /** In the currency's minor units (cents), with `currency`. */
    amount_off: z.number().int().positive().optional(),
    currency: z.string().regex(/^[A-Za-z]{3}$/, "expected an ISO currency code such as EUR").optional(),
    months: z.number().int().min(1).max(36),
    /** An existing Stripe coupon id to apply instead of creating one. */
    coupon: z.string().min(1).max(200).optional(),
  })
  .superRefine((offer, ctx) => {
    if ((offer.percent_off === undefined) === (offer.amount_off === undefined)) ctx.addIssue({ code: "custom", message: "a discount needs exactly one of percent_off and amount_off" });
    if (offer.amount_off !== undefined && !offer.currency) ctx.addIssue({ code: "custom", path: ["currency"], message: "amount_off needs a currency" });
  });

/** A move to a cheaper plan: its name (shown) and its Stripe price. */
export const DowngradeOffer = z.strictObject({ ...OfferBase, type: z.literal("downgrade"), plan: z.string().min(1).max(100), price: z.string().min(1).max(200) });

/** A conversation instead: a message and a link (book a call, write to us). Nothing is applied. */
export const ContactOffer = z.strictObject({ ...OfferBase, type: z.literal("contact"), link: z.url({ protocol: /^(https?|mailto)$/, error: "expected an https:// or mailto: link" }) });

export const Offer = z.discriminatedUnion("type", [PauseOffer, DiscountOffer, DowngradeOffer, ContactOffer], {
  error: "expected an offer type: pause, discount, downgrade or contact",
});
export type Offer = z.infer<typeof Offer>;

export const Reason = z.strictObject({
  id: Id,
  /** A free-text box under the reason: `optional`, `required`, or none. Default `optional`. */
  comment: z.enum(["none", "optional", "required"]).default("optional"),
  /** Offer ids, in order of preference; the first the customer is in the audience of is shown. */
  offers: z.array(Id).default([]),
});
export type Reason = z.infer<typeof Reason>;

export const CancelFlow = z
  .strictObject({
    /** Share of sessions shown no offer, to measure saves against. Default 0.1. */
    holdout: z.number().min(0).max(0.5).default(0.1),
    /** The locale of texts used when the customer's has none. Default `en`. */
    default_locale: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, "expected a locale such as en or sv").default("en"),
    /** When a cancellation takes effect: at the end of the paid period (default), or at once. */
    cancel_at: z.enum(["period_end", "immediately"]).default("period_end"),
    reasons: z.array(Reason).min(1),
    offers: z.array(Offer).default([]),
  })
  .superRefine((flow, ctx) => {
    const offerIds = new Set<string>();
    flow.offers.forEach((offer, i) => {
      if (offerIds.has(offer.id)) ctx.addIssue({ code: "custom", path: ["offers", i, "id"], message: `offer "${offer.id}" is defined twice` });
      offerIds.add(offer.id);
    });
    const reasonIds = new Set<string>();
    flow.reasons.forEach((reason, i) => {
      if (reasonIds.has(reason.id)) ctx.addIssue({ code: "custom", path: ["reasons", i, "id"], message: `reason "${reason.id}" is listed twice` });
      reasonIds.add(reason.id);
      reason.offers.forEach((id, j) => {
        if (!offerIds.has(id)) ctx.addIssue({ code: "custom", path: ["reasons", i, "offers", j], message: `no offer "${id}" in offers (${[...offerIds].join(", ") || "none defined"})` });
      });
    });
  });
export type CancelFlow = z.infer<typeof CancelFlow>;

const Text = z.string().min(1).max(2000);

/** What an offer says: a title, a line or two (Handlebars: {{months}}, {{percent}}…), the button. */
export const OfferTexts = z.strictObject({ title: Text, body: Text, accept: Text, done: Text });

/**
 * The words of the flow in one language. Handlebars placeholders: `{{company}}`, `{{periodEnd}}`,
 * `{{resumesOn}}`, `{{plan}}`, `{{percent}}`, `{{amount}}`, `{{months}}`.
 */
export const CancelTexts = z.strictObject({
  title: Text,
  intro: Text,
  reason_question: Text,
  reasons: z.record(Id, Text),
  comment_label: Text,
  comment_required_label: Text,
  continue: Text,
  keep: Text,
  offer_intro: Text,
  offers: z.record(Id, OfferTexts),
  decline: Text,
  confirm_title: Text,
  confirm_body: Text,
  confirm_body_now: Text,
  /** Stands for {{periodEnd}} when the period's end is not known. */
  period_end_unknown: Text,
  confirm: Text,
  cancelled_title: Text,
  cancelled_body: Text,
  cancelled_body_now: Text,
  accepted_title: Text,
  kept_title: Text,
  kept_body: Text,
  back: Text,
  applying: Text,
  apply_failed: Text,
  /** Shown instead of `apply_failed` when the team applies decisions by design (CANCEL_FLOW_APPLY=support). */
  apply_by_team: Text,
  expired_title: Text,
  expired_body: Text,
  invalid_title: Text,
  invalid_body: Text,
  choose_reason: Text,
  comment_missing: Text,
});
export type CancelTexts = z.infer<typeof CancelTexts>;
