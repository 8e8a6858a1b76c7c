import { z } from "zod";
import { TimeZone } from "../time/index.js";
import { Instant, Json, JsonObject } from "./json.js";

/** What is wrong in a campaign's files, and where. */
export const Problem = z.strictObject({ file: z.string(), line: z.number(), column: z.number(), path: z.string(), message: z.string() });
export type Problem = z.infer<typeof Problem>;

/** A pause that holds a campaign or everything: who, why, until when (null: until resumed). */
export const PauseHold = z.strictObject({ by: z.string(), reason: z.string().nullable(), until: Instant.nullable() });
export type PauseHold = z.infer<typeof PauseHold>;

export const CampaignSummary = z.strictObject({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  enabled: z.boolean(),
  trigger: z.string(),
  steps: z.number(),
  /** The first 12 characters of the files' content hash. */
  version: z.string(),
  state: z.enum(["running", "paused", "disabled"]),
  paused: PauseHold.nullable(),
});
export type CampaignSummary = z.infer<typeof CampaignSummary>;

/** `GET /api/campaigns`: what runs, what was refused and why, and the catalog's revision. */
export const CampaignList = z.strictObject({
  campaigns: z.array(CampaignSummary),
  invalid: z.array(z.strictObject({ id: z.string(), problems: z.array(Problem), messages: z.array(z.string()) })),
  revision: z.number(),
});
export type CampaignList = z.infer<typeof CampaignList>;

/**
 * A condition tree as the campaign file has it (`{ type: attribute, attribute: …, gte: … }`,
 * `{ type: all, all: [...] }`). Its full grammar is campaigns/definition's `Condition`; the API
 * promises only that it is JSON, which is all the console's reading of it needs.
 */
export const Condition = JsonObject;
export type Condition = z.infer<typeof Condition>;

export const Step = z.strictObject({
  id: z.string(),
  type: z.enum(["email", "wait", "webhook", "branch"]),
  template: z.string().optional(),
  duration: z.string().optional(),
  until: z.string().optional(),
  url: z.string().optional(),
  /** A webhook's extra fields, merged into its JSON body. */
  body: JsonObject.optional(),
  next: z.string().optional(),
  if: Condition.optional(),
  then: z.string().optional(),
  else: z.string().optional(),
});
export type Step = z.infer<typeof Step>;

/** A campaign's definition as loaded (defaults filled in): campaigns/definition's `Campaign`, as JSON. */
export const CampaignDefinition = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  enabled: z.boolean(),
  category: z.string(),
  priority: z.number(),
  delivery: z.strictObject({ quiet_hours: z.boolean(), frequency_cap: z.boolean(), over_cap: z.enum(["defer", "skip"]), unsubscribable: z.boolean() }),
  holdout: z.number(),
  conversion_window: z.string(),
  retention_goal: z.string().optional(),
  trigger: z.object({ type: z.string() }).catchall(Json),
  audience: Condition.optional(),
  reentry: z.union([z.enum(["never", "always"]), z.strictObject({ after: z.string() })]),
  exit: z.array(z.union([z.strictObject({ event: z.string(), where: z.array(Condition) }), z.strictObject({ condition: Condition })])),
  steps: z.array(Step),
});
export type CampaignDefinition = z.infer<typeof CampaignDefinition>;

/** `GET /api/campaigns/:id`. */
export const CampaignDetail = z.strictObject({
  id: z.string(),
  /** The stored version's row id (campaign_versions). */
  versionId: z.number(),
  /** The files' full content hash. */
  version: z.string(),
  definition: CampaignDefinition,
});
export type CampaignDetail = z.infer<typeof CampaignDetail>;

/** `GET /api/campaigns/:id/emails`: each email step with the locale variants of its template (Studio's choices). */
export const CampaignEmails = z.strictObject({
  campaign: z.string(),
  emails: z.array(z.strictObject({ step: z.string(), template: z.string(), locales: z.array(z.strictObject({ locale: z.string().nullable(), file: z.string() })) })),
});
export type CampaignEmails = z.infer<typeof CampaignEmails>;

export const PreviewQuery = z.strictObject({
  customer: z.string().min(1).max(255).optional(),
  locale: z.string().min(2).max(35).optional(),
});

/** `GET /api/campaigns/:id/steps/:step/preview`: the email as the customer (or the sample customer) would get it. */
export const Preview = z.strictObject({
  customer: z.string(),
  locale: z.string().nullable(),
  subject: z.string(),
  preheader: z.string().nullable(),
  html: z.string(),
  text: z.string(),
});
export type Preview = z.infer<typeof Preview>;

export const TestSendBody = z.strictObject({
  to: z.email("expected an email address"),
  customer: z.string().min(1).max(255).optional(),
  locale: z.string().min(2).max(35).optional(),
});

/** `POST /api/campaigns/:id/steps/:step/test-send`. */
export const TestSent = z.strictObject({ sent: z.literal(true), to: z.string(), subject: z.string(), messageId: z.string(), response: z.string() });
export type TestSent = z.infer<typeof TestSent>;

export const DryRunQuery = z.strictObject({
  sample: z.coerce.number().int().min(0).max(500).default(10),
  /** Instead of the count: why this customer (external id) would or would not enter. */
  customer: z.string().min(1, "expected a customer id").max(255).optional(),
  /** The reader's IANA zone, for the moments in each entry's `because`. Default UTC. */
  timeZone: TimeZone.optional(),
});

/** `GET /api/campaigns/:id/dry-run`: who would enter now, with a sample and why each would. */
export const DryRun = z.strictObject({
  campaignId: z.string(),
  wouldEnter: z.number(),
  basis: z.enum(["scan", "recent-events"]),
  /** `because`: why each would enter, in words ("because the card ending 4242 expires on 30 Nov 2026"). */
  sample: z.array(z.strictObject({ customerId: z.string(), email: z.string().nullable(), facts: JsonObject, moment: Instant, because: z.string() })),
});
export type DryRun = z.infer<typeof DryRun>;

/** One audience test with its result for the customer; `all`/`any`/`not` hold their children. */
export type ConditionResult = { kind: "all" | "any" | "not" | "attribute" | "event"; passed: boolean; text: string; children?: ConditionResult[] };
export const ConditionResult: z.ZodType<ConditionResult> = z.lazy(() =>
  z.strictObject({ kind: z.enum(["all", "any", "not", "attribute", "event"]), passed: z.boolean(), text: z.string(), children: z.array(ConditionResult).optional() }),
);

/** When the customer could next pass a test, in words, and the moment if there is one. */
export const NextChance = z.strictObject({ text: z.string(), at: Instant.optional() });

export const CheckName = z.enum(["campaign", "trigger", "reentry", "audience", "goal", "block", "address", "pause", "suppression", "holdout"]);

/** `GET /api/campaigns/:id/dry-run?customer=`: each test in enrollment's order, and the verdict. */
export const EntryExplanation = z.strictObject({
  campaignId: z.string(),
  customerId: z.string(),
  at: Instant,
  basis: z.enum(["scan", "recent-events"]),
  checks: z.array(
    z.strictObject({
      test: CheckName,
      title: z.string(),
      passed: z.boolean(),
      detail: z.string(),
      stops: z.enum(["entry", "email"]),
      conditions: ConditionResult.optional(),
      next: NextChance.optional(),
    }),
  ),
  conclusion: z.strictObject({ wouldEnter: z.boolean(), wouldBeEmailed: z.boolean(), summary: z.string(), firstFailure: CheckName.nullable(), next: NextChance.nullable() }),
});
export type EntryExplanation = z.infer<typeof EntryExplanation>;

/** `GET /api/studio`: whether this process watches the templates folder, and the catalog's revision. */
export const StudioState = z.strictObject({ watching: z.boolean(), revision: z.number() });
export type StudioState = z.infer<typeof StudioState>;
