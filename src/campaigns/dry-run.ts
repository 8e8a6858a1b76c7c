import { z } from "zod";
import { col, type Db, queryRows } from "../db/index.js";
import type { LoadedCampaign } from "./catalog.js";
import { dryRunSql, eventCandidatesSql, scanMomentsSql, SqlScope } from "./compile/index.js";
import { isEventTrigger } from "./definition/index.js";

export interface DryRun {
  campaignId: string;
  /** How many customers would enter if the campaign ran now. */
  wouldEnter: number;
  /** `scan`: as the scan would run now; `recent-events`: over the events received in the last hour. */
  basis: "scan" | "recent-events";
  sample: { customerId: string; email: string | null; facts: Record<string, unknown>; moment: string }[];
}

/**
 * Who would enter right now, with the facts that made them qualify, without enrolling anyone.
 * For an event-triggered campaign, "now" means the events received within `eventWindow`.
 */
export async function dryRun(db: Db, campaign: LoadedCampaign, now: Date, options: { sample?: number; eventWindowMs?: number } = {}): Promise<DryRun> {
  const scope = new SqlScope(now);
  const { trigger } = campaign.definition;
  const eventWindowMs = options.eventWindowMs ?? 3_600_000;
  const candidates = isEventTrigger(trigger)
    ? eventCandidatesSql(trigger, { receivedSince: new Date(now.getTime() - eventWindowMs) }, scope)
    : scanMomentsSql(trigger, scope);
  const rows = await queryRows(
    db,
    z.object({ external_id: z.string(), email: z.string().nullable(), facts: col.jsonObject, trigger_key: z.string(), total: col.int8 }),
    dryRunSql(campaign, candidates, scope, options.sample ?? 10),
  );
  return {
    campaignId: campaign.id,
    wouldEnter: rows[0]?.total ?? 0,
    basis: isEventTrigger(trigger) ? "recent-events" : "scan",
    sample: rows.map((row) => ({ customerId: row.external_id, email: row.email, facts: row.facts, moment: row.trigger_key })),
  };
}
