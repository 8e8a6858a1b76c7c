import { z } from "zod";
import { IsoDuration } from "../../time/index.js";
import { Condition } from "./condition.js";

export const StepId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "step ids are lower-case letters, digits, '-' and '_' (they must stay stable across edits)")
  .max(64);

/** Where a step goes next: another step's id, or `end` to complete the enrollment. Default: the step below. */
export const END = "end";
const Next = StepId.optional();

const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected a local time of day such as 09:00");

/** Sends one email, rendered from `<template>.mjml` beside the campaign file. */
export const EmailStep = z.strictObject({
  id: StepId,
  type: z.literal("email"),
  template: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "template names are lower-case letters, digits, '-' and '_'"),
  next: Next,
});

/** Waits a duration, or until the next local time of day in the customer's time zone (or both: the duration, then the time). */
export const WaitStep = z
  .strictObject({ id: StepId, type: z.literal("wait"), duration: IsoDuration.optional(), until: TimeOfDay.optional(), next: Next })
  .refine((step) => step.duration !== undefined || step.until !== undefined, "a wait needs a duration (e.g. P3D) or until (e.g. 09:00)");

/** Calls a URL (alert the success team) with the customer and campaign as JSON. */
export const WebhookStep = z.strictObject({
  id: StepId,
  type: z.literal("webhook"),
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
  /** Extra fields merged into the JSON body. */
  body: z.record(z.string(), z.unknown()).optional(),
  next: Next,
});

/** Goes to `then` when the condition holds, else to `else` (or the step below); either may be `end`. */
export const BranchStep = z.strictObject({
  id: StepId,
  type: z.literal("branch"),
  if: Condition,
  then: StepId,
  else: StepId.optional(),
});

export const Step = z.discriminatedUnion("type", [EmailStep, WaitStep, WebhookStep, BranchStep], {
  error: (issue) => (issue.code === "invalid_union" ? "unknown step type; use email, wait, webhook or branch" : undefined),
});
export type Step = z.infer<typeof Step>;
