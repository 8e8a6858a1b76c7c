import { z } from "zod";
import { IsoDuration } from "../../time/index.js";
import { Condition, PropertyCondition } from "./condition.js";
import { findLoop } from "./flow.js";
import { END, Step } from "./step.js";
import { Trigger } from "./trigger.js";

const Slug = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "use lower-case letters, digits, '-' and '_'").max(64);

/** Who may enter again after an enrollment: never, any time, or once `after` has passed since the last entry. */
export const Reentry = z.union([z.enum(["never", "always"]), z.strictObject({ after: IsoDuration })], {
  error: "expected never, always, or { after: <duration> }",
});
export type Reentry = z.infer<typeof Reentry>;

/** How this campaign's emails meet the delivery policy (send window, frequency cap, unsubscribe). */
export const Delivery = z.strictObject({
  /** Keep to the send window (SEND_WINDOW) in the customer's time zone. Default true. */
  quiet_hours: z.boolean().default(true),
  /** Count against and obey the frequency cap (FREQUENCY_CAP); categories in FREQUENCY_CAP_EXEMPT never do. Default true. */
  frequency_cap: z.boolean().default(true),
  /** Over the cap: `defer` to the earliest allowed time (default), or `skip` the email. */
  over_cap: z.enum(["defer", "skip"]).default("defer"),
  /** False for notices a customer cannot opt out of (billing, dunning): no unsubscribe link or headers. Default true. */
  unsubscribable: z.boolean().default(true),
});
export type Delivery = z.infer<typeof Delivery>;

/** What ends an enrollment early because its purpose is met (or moot). */
export const ExitGoal = z.union(
  [
    z.strictObject({ event: z.string().min(1), where: z.array(PropertyCondition).default([]) }),
    z.strictObject({ condition: Condition }),
  ],
  { error: "an exit goal is { event: <name> } or { condition: <condition> }" },
);
export type ExitGoal = z.infer<typeof ExitGoal>;

/**
 * One campaign, as written in `templates/<id>/campaign.yaml`.
 *
 * Terminology:
 * - trigger: the moment that starts it; audience: who qualifies at that moment.
 * - enrollment: a customer walking the steps; reentry: whether they may walk them again.
 * - exit goal: what ends an enrollment early (the card was updated, they logged in).
 */
export const Campaign = z
  .strictObject({
    id: Slug,
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    enabled: z.boolean().default(true),
    /** Unsubscribing is per category: winback, dunning, onboarding, loyalty, success... */
    category: Slug,
    /** Who goes first when a customer's frequency cap leaves room for fewer emails than are due. Default 0. */
    priority: z.number().int().min(-100).max(100).default(0),
    delivery: Delivery.default({ quiet_hours: true, frequency_cap: true, over_cap: "defer", unsubscribable: true }),
    /**
     * The share of entrants held out to measure the campaign: enrolled and tracked like the others,
     * sent nothing. Chosen by a hash of campaign and customer, so re-entry keeps the same group. Default 0.
     */
    holdout: z.number().min(0).max(0.5, "hold out at most half (0.5)").default(0),
    /** An exit goal reached within this long after entering counts as a conversion. Default P30D. */
    conversion_window: IsoDuration.default("P30D"),
    /**
     * Measure retention instead: a customer who has not cancelled (`subscription_canceled`) within this
     * long after entering counts as a conversion, decided once that time has passed. E.g. P30D for win-back.
     */
    retention_goal: IsoDuration.optional(),
    trigger: Trigger,
    audience: Condition.optional(),
    reentry: Reentry.default("never"),
    exit: z.array(ExitGoal).default([]),
    steps: z.array(Step).min(1, "a campaign needs at least one step"),
  })
  .superRefine((campaign, ctx) => {
    if (campaign.steps.length > 0 && campaign.steps.every((step) => step.type === "wait")) {
      ctx.addIssue({ code: "custom", path: ["steps"], message: "a campaign needs at least one email, webhook or branch step" });
    }
    const seen = new Map<string, number>();
    campaign.steps.forEach((step, index) => {
      const earlier = seen.get(step.id);
      if (earlier !== undefined) {
        ctx.addIssue({ code: "custom", path: ["steps", index, "id"], message: `step id "${step.id}" is used twice (also step ${earlier + 1})` });
      }
      seen.set(step.id, index);
    });
    const endAt = seen.get(END);
    if (endAt !== undefined) {
      ctx.addIssue({ code: "custom", path: ["steps", endAt, "id"], message: `"${END}" is reserved: it means the end of the campaign` });
    }
    campaign.steps.forEach((step, index) => {
      const links = step.type === "branch" ? (["then", "else"] as const) : (["next"] as const);
      for (const key of links) {
        const target = (step as Record<string, unknown>)[key] as string | undefined;
        if (target === END) continue;
        if (target !== undefined && !seen.has(target)) {
          ctx.addIssue({
            code: "custom",
            path: ["steps", index, key],
            message: `step "${target}" does not exist; steps are ${[...seen.keys()].join(", ")} (or ${END})`,
          });
        } else if (target === step.id) {
          ctx.addIssue({ code: "custom", path: ["steps", index, key], message: "a step cannot go to itself" });
        }
      }
    });
    // With an id used twice the edges are ambiguous, and a loop found through them would be made up.
    const loop = seen.size === campaign.steps.length ? findLoop(campaign) : undefined;
    if (loop) {
      const index = campaign.steps.findIndex((s) => s.id === loop[0]);
      ctx.addIssue({ code: "custom", path: ["steps", index], message: `the steps form a loop (${loop.join(" → ")}); each step runs at most once per customer` });
    }
  });
export type Campaign = z.infer<typeof Campaign>;
