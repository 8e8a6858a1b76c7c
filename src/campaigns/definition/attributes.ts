/**
 * What audience and branch conditions can ask about a customer, and the kind of value each holds.
 * The kind decides which operators apply: a marketer who writes `subscription.mrr: { older_than: P3D }`
 * is told at load time that MRR is a number.
 */
export type AttributeKind = "text" | "number" | "boolean" | "timestamp" | "duration" | "json";

export const ATTRIBUTES = {
  email: "text",
  name: "text",
  locale: "text",
  timezone: "text",
  plan: "text",
  signed_up_at: "timestamp",
  last_seen_at: "timestamp",
  tenure: "duration",
  "subscription.status": "text",
  "subscription.plan": "text",
  "subscription.mrr": "number",
  "subscription.currency": "text",
  "subscription.cancel_at_period_end": "boolean",
  "subscription.current_period_end": "timestamp",
  "subscription.trial_ends_at": "timestamp",
  "subscription.started_at": "timestamp",
  "subscription.paused_at": "timestamp",
  "subscription.canceled_at": "timestamp",
  "card.brand": "text",
  "card.last4": "text",
  "card.expires_on": "timestamp",
} as const satisfies Record<string, AttributeKind>;
export type KnownAttribute = keyof typeof ATTRIBUTES;

/** `traits.<key>`: anything the application sent that has no column. */
export const TRAIT_PREFIX = "traits.";

export function attributeKind(attribute: string): AttributeKind | undefined {
  if (attribute.startsWith(TRAIT_PREFIX) && attribute.length > TRAIT_PREFIX.length) return "json";
  return (ATTRIBUTES as Record<string, AttributeKind>)[attribute];
}

/** Operators, and the kinds they apply to. */
export const OPERATORS = {
  equals: ["text", "number", "boolean", "json"],
  not_equals: ["text", "number", "json"],
  in: ["text", "number", "json"],
  not_in: ["text", "number", "json"],
  exists: ["text", "number", "boolean", "timestamp", "json"],
  contains: ["text", "json"],
  gt: ["number", "duration", "json"],
  gte: ["number", "duration", "json"],
  lt: ["number", "duration", "json"],
  lte: ["number", "duration", "json"],
  before: ["timestamp"],
  after: ["timestamp"],
  older_than: ["timestamp"],
  within: ["timestamp"],
  within_next: ["timestamp"],
} as const satisfies Record<string, readonly AttributeKind[]>;
export type Operator = keyof typeof OPERATORS;
export const OPERATOR_NAMES = Object.keys(OPERATORS) as Operator[];
