import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../../db/index.js";
import type { LoadedCampaign } from "../catalog.js";
import { dryRunSql, eventCandidatesSql, type ScanCandidates, scanMomentsSql, SqlScope } from "../compile/index.js";
import { isEventTrigger } from "../definition/index.js";
import { explainAudience } from "./explain-audience.js";
import { explainDelivery } from "./explain-delivery.js";
import { explainBlock, explainGoal, explainReentry } from "./explain-enrollment.js";
import { explainTrigger } from "./explain-trigger.js";
import type { EntryCheck, EntryExplanation } from "./explanation.js";

/** The dry run's window for event triggers: the events received in the last hour. */
const EVENT_WINDOW_MS = 3_600_000;

/** The dry run's own statement for this one customer: whether the engine would enroll them now. */
async function engineWouldEnroll(db: Db, campaign: LoadedCampaign, customerId: number, now: Date, eventWindowMs: number): Promise<boolean> {
  const scope = new SqlScope(now);
  const { trigger } = campaign.definition;
  const theirs = (moments: SQL) => sql`select * from (${moments}) k where k.customer_id = ${customerId}`;
  let candidates: SQL | ScanCandidates;
  if (isEventTrigger(trigger)) {
    candidates = theirs(eventCandidatesSql(trigger, { receivedSince: new Date(now.getTime() - eventWindowMs) }, scope));
  } else {
    // A scan's candidates keep their two parts, as in the dry run: only the moments are narrowed.
    const scan = scanMomentsSql(trigger, scope);
    candidates = { ...scan, moments: theirs(scan.moments) };
  }
  return (await queryRows(db, z.object({}), dryRunSql(campaign, candidates, scope, 1))).length > 0;
}

function campaignCheck(campaign: LoadedCampaign): EntryCheck {
  const title = "Campaign";
  return campaign.definition.enabled
    ? { test: "campaign", title, passed: true, stops: "entry", detail: `${campaign.id} is valid and enabled (version ${campaign.contentHash.slice(0, 12)})` }
    : {
        test: "campaign",
        title,
        passed: false,
        stops: "entry",
        detail: `${campaign.id} has enabled: false in its campaign.yaml: it is loaded and checked, and enrolls no one`,
        next: { text: "enters once the campaign is enabled (enabled: true)" },
      };
}

/**
 * "Why not?": for one campaign and one customer (their external id) at `now`, each test enrollment
 * applies, in its order, with the customer's values in words; then whether the engine would enroll
 * them (the dry run's statement restricted to them), the first test that keeps them out, and what
 * would let them in when that can be worked out. Undefined for an unknown customer. Enrolls no one.
 */
export async function explainEntry(db: Db, campaign: LoadedCampaign, externalId: string, now: Date, options: { eventWindowMs?: number } = {}): Promise<EntryExplanation | undefined> {
  const [customer] = await queryRows(db, z.object({ id: col.int, external_id: z.string(), email: z.string().nullable() }), sql`select id::int, external_id, email from customers where external_id = ${externalId}`);
  if (!customer) return undefined;
  const windowMs = options.eventWindowMs ?? EVENT_WINDOW_MS;
  const { definition } = campaign;

  const trigger = await explainTrigger(db, definition.trigger, customer.id, now, windowMs);
  const reentry = await explainReentry(db, campaign, customer.id, now, trigger.moments);
  const goal = await explainGoal(db, campaign, customer.id, reentry.moment);
  const checks: EntryCheck[] = [
    campaignCheck(campaign),
    trigger.check,
    reentry.check,
    await explainAudience(db, definition.audience, customer.id, now),
    ...(goal ? [goal] : []),
    await explainBlock(db, { id: customer.id, externalId: customer.external_id }, now),
    ...(await explainDelivery(db, campaign, customer, now)),
  ];

  const wouldEnter = definition.enabled && (await engineWouldEnroll(db, campaign, customer.id, now, windowMs));
  const keptOut = checks.filter((check) => check.stops === "entry" && !check.passed);
  const unsent = checks.filter((check) => check.stops === "email" && !check.passed);
  const blocking = wouldEnter ? unsent[0] : keptOut[0];
  let summary: string;
  if (wouldEnter) summary = blocking ? `would enter now, but no email would go out: ${blocking.title}: ${blocking.detail}` : "would enter now";
  else summary = blocking ? `would not enter: ${blocking.title}: ${blocking.detail}` : "would not enter now, although each test above passes on its own";
  let next = blocking?.next ?? null;
  // One fix is not enough when several tests fail: say so.
  if (next && !wouldEnter && keptOut.length > 1) next = { ...next, text: `${next.text} — and only once the other failing tests (${keptOut.slice(1).map((c) => c.title.toLowerCase()).join(", ")}) pass too` };

  return {
    campaignId: campaign.id,
    customerId: customer.external_id,
    at: now.toISOString(),
    basis: isEventTrigger(definition.trigger) ? "recent-events" : "scan",
    checks,
    conclusion: { wouldEnter, wouldBeEmailed: wouldEnter && unsent.length === 0, summary, firstFailure: blocking?.test ?? null, next },
  };
}
