import { z } from "zod";
import { closestName } from "../validation/index.js";

/**
 * Everything a template may use. Templates are compiled in strict mode against this shape: a
 * variable it does not have is an error at load, never a blank in a customer's inbox. Optional
 * parts are present as null (`{{#if card}}…{{/if}}`), so a lookup inside them is still checked.
 */
export const RenderContext = z.object({
  customer: z.object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    /** The first word of the name, or null. */
    firstName: z.string().nullable(),
    locale: z.string().nullable(),
    timezone: z.string().nullable(),
    plan: z.string().nullable(),
    traits: z.record(z.string(), z.unknown()),
  }),
  subscription: z
    .object({
      status: z.string(),
      plan: z.string().nullable(),
      /** Formatted for the customer's locale, e.g. "€49.00". */
      mrr: z.string(),
      currency: z.string(),
      currentPeriodEnd: z.string().nullable(),
    })
    .nullable(),
  card: z
    .object({
      brand: z.string().nullable(),
      last4: z.string().nullable(),
      expMonth: z.number(),
      expYear: z.number(),
      /** e.g. "12/2026". */
      expiry: z.string(),
    })
    .nullable(),
  campaign: z.object({ id: z.string(), name: z.string(), category: z.string() }),
  /** The facts that made the customer enter (cardExpiresOn, inactiveDays…). */
  facts: z.record(z.string(), z.unknown()),
  company: z.object({ name: z.string(), url: z.string() }),
  links: z.object({
    unsubscribe: z.string(),
    /** Where the customer manages billing (PUBLIC_URL unless configured). */
    billing: z.string(),
    /**
     * A link that lets the customer update their card without logging in: Stripe's portal, or
     * BILLING_URL signed for the app. Valid for CARD_LINK_TTL (default P14D) from the send.
     */
    updateCard: z.string(),
    app: z.string(),
  }),
});
export type RenderContext = z.infer<typeof RenderContext>;

/** The paths of the objects and values under `schema` (`customer`, `customer.firstName`…); records are left open. */
function pathsOf(schema: z.core.$ZodType, prefix: string): string[] {
  let inner = schema;
  while (inner instanceof z.ZodNullable || inner instanceof z.ZodOptional) inner = inner.unwrap();
  if (!(inner instanceof z.ZodObject)) return [];
  return Object.entries(inner.shape as Record<string, z.core.$ZodType>).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...pathsOf(child, path)];
  });
}

/** Every variable a template may name, as dotted paths, in the schema's order; below `customer.traits` and `facts` any key goes. */
export const KNOWN_PATHS: readonly string[] = pathsOf(RenderContext, "");

const lastPart = (path: string) => path.slice(path.lastIndexOf(".") + 1);
const childrenOf = (path: string) => KNOWN_PATHS.filter((known) => known.startsWith(path ? `${path}.` : "") && !known.slice(path ? path.length + 1 : 0).includes("."));

/** Whether a template may name `path`: a path of the render context, or any below `customer.traits` and `facts`. */
export function isKnownPath(path: string): boolean {
  return KNOWN_PATHS.includes(path) || /^(customer\.traits|facts)\./.test(path);
}

/**
 * The known path a mistyped one was meant to be: each part put right against the names at its
 * level (`link.billing` → `links.billing`, `customer.emial` → `customer.email`), else the path
 * whose last part is nearest (`fistName`, written inside `{{#with customer}}` or at the top, →
 * `customer.firstName`). Case and snake_case against camelCase do not count (`frist_name` →
 * `firstName`).
 */
export function suggestPath(written: string): string | undefined {
  const parts = written.split(".");
  const fixed: string[] = [];
  for (const part of parts) {
    const here = fixed.join(".");
    const names = childrenOf(here).map(lastPart);
    const name = names.includes(part) ? part : closestName(part, names);
    if (name === undefined) break;
    fixed.push(name);
  }
  if (fixed.length === parts.length) return fixed.join(".");
  const last = parts.at(-1);
  return last === undefined ? undefined : closestName(last, KNOWN_PATHS, lastPart);
}

/** What to tell the author of `{{written}}`, a variable the render context does not have. */
export function unknownVariable(written: string): string {
  const path = written.replace(/^(@root\.|this\.|\.\/|(\.\.\/)+)/, "").replace(/\//g, ".");
  const suggestion = suggestPath(path);
  if (suggestion) return `unknown variable "${written}" (did you mean "${suggestion}"?)`;
  const parts = path.split(".");
  let known = "";
  while (parts.length > 1 && KNOWN_PATHS.includes([known, parts[0]].filter(Boolean).join("."))) known = [known, parts.shift()].filter(Boolean).join(".");
  const names = childrenOf(known).map(lastPart);
  if (!known) return `unknown variable "${written}" (the render context has ${names.join(", ")}; see the README)`;
  return names.length > 0 ? `unknown variable "${written}" (${known} has ${names.join(", ")})` : `unknown variable "${written}" (${known} is a value, not an object)`;
}

/**
 * A record that has every key: traits and facts are free-form (what the application sends, what
 * the trigger found), so a template may name any of them. At send time a missing one is an error
 * for that customer; guard optional ones with `{{#if customer.traits.x}}`.
 */
export function anyKeys(known: Record<string, unknown>, label = "sample"): Record<string, unknown> {
  const value = (target: Record<string, unknown>, key: string | symbol): unknown => {
    if (key === Symbol.toPrimitive || key === "toString") return () => label;
    // Unknown keys may be objects too (`facts.properties.amount`): a nested record of any keys.
    return typeof key === "string" && !Object.hasOwn(target, key) ? anyKeys({}, `sample ${key}`) : Reflect.get(target, key);
  };
  return new Proxy(known, {
    has: () => true,
    get: value,
    // Handlebars only reads own properties; every key is one here.
    getOwnPropertyDescriptor: (target, key) =>
      typeof key === "string" ? { value: value(target, key), configurable: true, enumerable: true, writable: true } : Reflect.getOwnPropertyDescriptor(target, key),
  });
}

/** The sample context with free-form parts open to any key: what templates are checked against at load. */
export function validationContext(): RenderContext {
  const context = sampleContext();
  return { ...context, customer: { ...context.customer, traits: anyKeys(context.customer.traits) }, facts: anyKeys(context.facts) };
}

/** Realistic data for previews and for checking templates at load: every optional part filled. */
export function sampleContext(overrides: { campaign?: RenderContext["campaign"]; company?: RenderContext["company"] } = {}): RenderContext {
  return {
    customer: {
      id: "user-42",
      email: "grace@example.com",
      name: "Grace Hopper",
      firstName: "Grace",
      locale: "en",
      timezone: "Europe/Stockholm",
      plan: "pro",
      traits: { company: "Analytical Engines", seats: 12 },
    },
    subscription: { status: "active", plan: "pro", mrr: "$49.00", currency: "USD", currentPeriodEnd: "December 22, 2026" },
    card: { brand: "visa", last4: "4242", expMonth: 12, expYear: 2026, expiry: "12/2026" },
    campaign: overrides.campaign ?? { id: "sample", name: "Sample", category: "winback" },
    facts: {
      cardExpiresOn: "2026-12-31",
      daysUntilExpiry: 30,
      inactiveDays: 14,
      lastActivityAt: "2026-11-08T09:00:00Z",
      // What an event trigger records (payment_failed from Stripe, here).
      event: "payment_failed",
      occurredAt: "2026-11-22T09:00:00Z",
      properties: { amount: "$49.00", amountMinor: 4900, currency: "USD", invoiceId: "in_sample", attemptCount: 1 },
    },
    company: overrides.company ?? { name: "Acme", url: "https://acme.example" },
    links: {
      unsubscribe: "https://acme.example/unsubscribe/sample-token",
      billing: "https://acme.example/billing",
      updateCard: "https://acme.example/card/sample-token",
      app: "https://acme.example",
    },
  };
}
