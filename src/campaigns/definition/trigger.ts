import { z } from "zod";
import { IsoDuration } from "../../time/index.js";
import { PropertyCondition } from "./condition.js";

const EventName = z.string().trim().min(1).max(255);

/** `0.7`, or `70%`: the share by which usage fell. */
const Fraction = z.preprocess(
  (value) => (typeof value === "string" && /^\s*\d+(\.\d+)?\s*%\s*$/.test(value) ? Number.parseFloat(value) / 100 : value),
  z.number({ error: "expected a share such as 0.7 or 70%" }).gt(0, "must be more than 0").lt(1, "must be less than 1 (100%)"),
);

/**
 * The moments that start a campaign. Event triggers are matched as events arrive; scan triggers
 * are found by a set-based query that runs on a schedule.
 */
export const Trigger = z.discriminatedUnion(
  "type",
  [
    /** The default card expires within `within` (from today to the last day of the window). */
    z.strictObject({ type: z.literal("card_expiring"), within: IsoDuration }),
    /** A payment failed (billing sends the `payment_failed` event). */
    z.strictObject({ type: z.literal("payment_failed"), event: EventName.default("payment_failed") }),
    /**
     * No activity for `for`: any event, or only the `activity` events when listed. Customers who went
     * quiet (or signed up without ever being active) within `lookback` before that are looked at,
     * so a new campaign does not write to people gone for years. Default lookback P7D.
     */
    z.strictObject({
      type: z.literal("inactive"),
      for: IsoDuration,
      activity: z.array(EventName).min(1).optional(),
      lookback: IsoDuration.default("P7D"),
    }),
    /** `event` happened at least `min_before` times in the window before last, and fell by `drop` in the last one. */
    z.strictObject({
      type: z.literal("usage_drop"),
      event: EventName,
      window: IsoDuration,
      drop: Fraction,
      min_before: z.number().int().min(1).default(5),
    }),
    /** Visited the cancel page (`path`, `*` as a wildcard) and did not cancel within `grace`. */
    z.strictObject({
      type: z.literal("cancel_page_visited"),
      path: z.string().startsWith("/", "expected a path such as /account/cancel"),
      grace: IsoDuration,
      /** How far back visits are looked at once grace has passed. Default P7D. */
      lookback: IsoDuration.default("P7D"),
    }),
    /** Resumed a paused subscription, or came back with activity, after at least `min_pause` away. */
    z.strictObject({ type: z.literal("returned_after_pause"), min_pause: IsoDuration }),
    /** Signed up `after` ago and never did `activation_event`. */
    z.strictObject({
      type: z.literal("not_activated"),
      after: IsoDuration,
      activation_event: EventName,
      /** Only sign-ups that crossed `after` within this window are looked at. Default P30D. */
      lookback: IsoDuration.default("P30D"),
    }),
    /** Exported their data (the `data_exported` event). */
    z.strictObject({ type: z.literal("data_exported"), event: EventName.default("data_exported") }),
    /** Moved to a cheaper plan (the `downgraded` event). */
    z.strictObject({ type: z.literal("downgraded"), event: EventName.default("downgraded") }),
    /** Has been a customer for `at` (since the first subscription, else sign-up). */
    z.strictObject({ type: z.literal("tenure"), at: IsoDuration, lookback: IsoDuration.default("P7D") }),
    /** Paying customers whose activity over `window` is in the bottom `percentile`: the danger zone. */
    z.strictObject({
      type: z.literal("low_engagement"),
      percentile: Fraction.default(0.25),
      window: IsoDuration.default("P30D"),
      activity: z.array(EventName).min(1).optional(),
    }),
    /** Any named event, with optional property filters: the escape hatch. */
    z.strictObject({ type: z.literal("event"), name: EventName, where: z.array(PropertyCondition).default([]) }),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? "unknown trigger type; use one of card_expiring, payment_failed, inactive, usage_drop, cancel_page_visited, returned_after_pause, not_activated, data_exported, downgraded, tenure, low_engagement, event"
        : undefined,
  },
);
export type Trigger = z.infer<typeof Trigger>;
export type TriggerType = Trigger["type"];

export const EVENT_TRIGGERS = ["payment_failed", "returned_after_pause", "data_exported", "downgraded", "event"] as const;
export type EventTrigger = Extract<Trigger, { type: (typeof EVENT_TRIGGERS)[number] }>;
export type ScanTrigger = Exclude<Trigger, EventTrigger>;

export function isEventTrigger(trigger: Trigger): trigger is EventTrigger {
  return (EVENT_TRIGGERS as readonly string[]).includes(trigger.type);
}
