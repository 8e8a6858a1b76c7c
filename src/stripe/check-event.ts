import type Stripe from "stripe";
import { z } from "zod";
import { inputProblems, inTimeRange, stringProblem, zodProblems } from "../validation/index.js";

/** The parts of an event Rekindle relies on before it maps one. */
const StripeEnvelope = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  created: z
    .number()
    .int()
    .refine((seconds) => inTimeRange(new Date(seconds * 1000)), "expected a time between 1970 and 2099 (Unix seconds)"),
  data: z.object({ object: z.record(z.string(), z.unknown(), { error: "expected the event's object" }) }),
});

/**
 * Why a verified Stripe event cannot be applied, or undefined when it can: an envelope without
 * the id, type, time or object every event has, or a string PostgreSQL cannot store (the same
 * rule as every request body). Stripe signed it, so it is acknowledged and recorded as ignored
 * with this reason rather than refused: Stripe would only deliver it again.
 */
export function stripeEventProblem(event: Stripe.Event): string | undefined {
  const envelope = StripeEnvelope.safeParse(event);
  const problems = [...(envelope.success ? [] : zodProblems(envelope.error)), ...inputProblems(event)];
  if (problems.length === 0) return undefined;
  return `cannot be applied: ${problems
    .slice(0, 3)
    .map((p) => `${p.path}: ${p.message}`)
    .join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`;
}

/** The id, type and time under which an event can be recorded, when they themselves can be stored. */
export function recordableEvent(event: unknown, now: Date): { id: string; type: string; created: Date } | undefined {
  const { id, type, created } = (event ?? {}) as { id?: unknown; type?: unknown; created?: unknown };
  const storable = (value: unknown): value is string => typeof value === "string" && value.length > 0 && value.length <= 255 && stringProblem(value) === undefined;
  if (!storable(id) || !storable(type)) return undefined;
  const at = typeof created === "number" ? new Date(created * 1000) : now;
  return { id, type, created: inTimeRange(at) ? at : now };
}
