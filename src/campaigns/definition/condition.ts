import { z } from "zod";
import { IsoDuration } from "../../time/index.js";
import { Timestamp } from "../../validation/index.js";
import { ATTRIBUTES, attributeKind, OPERATOR_NAMES, OPERATORS, type Operator, TRAIT_PREFIX } from "./attributes.js";

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** The operator part of a comparison: exactly one of these keys. */
const operatorShape = {
  equals: Scalar.optional(),
  not_equals: Scalar.optional(),
  in: z.array(Scalar).min(1).optional(),
  not_in: z.array(Scalar).min(1).optional(),
  exists: z.boolean().optional(),
  contains: z.string().optional(),
  gt: z.union([z.number(), IsoDuration]).optional(),
  gte: z.union([z.number(), IsoDuration]).optional(),
  lt: z.union([z.number(), IsoDuration]).optional(),
  lte: z.union([z.number(), IsoDuration]).optional(),
  before: Timestamp.optional(),
  after: Timestamp.optional(),
  older_than: IsoDuration.optional(),
  within: IsoDuration.optional(),
  within_next: IsoDuration.optional(),
};

type OperatorFields = { [K in Operator]?: unknown };

/** The first operator a comparison uses, if any (while it is being validated). */
function firstOperator(comparison: OperatorFields): Operator | undefined {
  return OPERATOR_NAMES.find((op) => comparison[op] !== undefined);
}

/** The single operator of a parsed comparison (the schemas make sure there is exactly one). */
export function operatorOf(comparison: OperatorFields): Operator {
  const op = firstOperator(comparison);
  if (op === undefined) throw new Error(`a comparison without an operator (${OPERATOR_NAMES.join(", ")}) got past validation`);
  return op;
}

function exactlyOneOperator(value: OperatorFields, ctx: z.RefinementCtx) {
  const used = OPERATOR_NAMES.filter((op) => value[op] !== undefined);
  if (used.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        used.length === 0
          ? `needs one operator: ${OPERATOR_NAMES.join(", ")}`
          : `has ${used.length} operators (${used.join(", ")}); use one per condition and combine them with all/any`,
    });
  }
}

/** `{ property: plan, equals: pro }`: a test on an event's properties. */
export const PropertyCondition = z
  .strictObject({ property: z.string().min(1), ...operatorShape })
  .superRefine((value, ctx) => {
    exactlyOneOperator(value, ctx);
    const op = firstOperator(value);
    if (op && !(OPERATORS[op] as readonly string[]).includes("json")) {
      ctx.addIssue({ code: "custom", path: [op], message: `${op} does not apply to event properties` });
    }
  });
export type PropertyCondition = z.infer<typeof PropertyCondition>;

/** `{ attribute: subscription.mrr, gte: 1000 }`: a test on the customer. */
export const AttributeCondition = z
  .strictObject({ type: z.literal("attribute"), attribute: z.string().min(1), ...operatorShape })
  .superRefine((value, ctx) => {
    const kind = attributeKind(value.attribute);
    if (!kind) {
      ctx.addIssue({
        code: "custom",
        path: ["attribute"],
        message: `unknown attribute "${value.attribute}"; use one of ${Object.keys(ATTRIBUTES).join(", ")}, or ${TRAIT_PREFIX}<name>`,
      });
      return;
    }
    exactlyOneOperator(value, ctx);
    const op = firstOperator(value);
    if (!op) return;
    if (!(OPERATORS[op] as readonly string[]).includes(kind)) {
      ctx.addIssue({ code: "custom", path: [op], message: `${op} does not apply to ${value.attribute} (a ${kind})` });
      return;
    }
    const operand = value[op];
    if (kind === "duration" && typeof operand !== "string") {
      ctx.addIssue({ code: "custom", path: [op], message: `${value.attribute} is compared with a duration such as P90D` });
    }
    if ((kind === "number" || kind === "json") && ["gt", "gte", "lt", "lte"].includes(op) && typeof operand !== "number") {
      ctx.addIssue({ code: "custom", path: [op], message: `${op} on ${value.attribute} expects a number` });
    }
  });
export type AttributeCondition = z.infer<typeof AttributeCondition>;

/** How many times an event happened, e.g. at least 3 logins in the last 30 days. */
export const CountComparison = z
  .strictObject({
    equals: z.number().int().min(0).optional(),
    gte: z.number().int().min(0).optional(),
    gt: z.number().int().min(0).optional(),
    lte: z.number().int().min(0).optional(),
    lt: z.number().int().min(0).optional(),
  })
  .refine((v) => Object.values(v).filter((x) => x !== undefined).length === 1, "needs exactly one of equals, gte, gt, lte, lt");
export type CountComparison = z.infer<typeof CountComparison>;

export const EventCountCondition = z.strictObject({
  type: z.literal("event"),
  event: z.string().min(1),
  /** Only events in this window before now; all time when absent. */
  within: IsoDuration.optional(),
  where: z.array(PropertyCondition).default([]),
  /** Default: at least once. */
  count: CountComparison.default({ gte: 1 }),
});
export type EventCountCondition = z.infer<typeof EventCountCondition>;

/** A tree of conditions: `all`, `any`, `not`, attribute tests and event counts. */
export type Condition =
  | { type: "all"; all: Condition[] }
  | { type: "any"; any: Condition[] }
  | { type: "not"; not: Condition }
  | AttributeCondition
  | EventCountCondition;

/**
 * Campaign files write conditions by their leading key (`all:`, `any:`, `not:`, `attribute:`,
 * `event:`); the kind is inferred from it so that zod reports problems from the right branch.
 */
function tagCondition(input: unknown): unknown {
  if (!input || typeof input !== "object" || Array.isArray(input) || "type" in input) return input;
  for (const key of ["all", "any", "not", "attribute", "event"] as const) {
    if (key in input) return { type: key === "event" ? "event" : key, ...input };
  }
  return input;
}

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.preprocess(
    tagCondition,
    z.discriminatedUnion(
      "type",
      [
        z.strictObject({ type: z.literal("all"), all: z.array(Condition).min(1) }),
        z.strictObject({ type: z.literal("any"), any: z.array(Condition).min(1) }),
        z.strictObject({ type: z.literal("not"), not: Condition }),
        AttributeCondition,
        EventCountCondition,
      ],
      { error: "expected a condition: one of all, any, not, attribute, event" },
    ),
  ),
);
