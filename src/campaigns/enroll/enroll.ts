import type { SQL } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../../db/index.js";
import { type CampaignCatalog, type LoadedCampaign, triggerListensTo } from "../catalog.js";
import { enrollSql, eventCandidatesSql, type EventSelection, narrowSelection, oldestTriggeringTime, scanMomentsSql, selectedRange, setAsideBeforeMatching, SqlScope } from "../compile/index.js";
import { isEventTrigger } from "../definition/index.js";

export interface Enrolled {
  enrollmentId: number;
  customerId: number;
  triggerKey: string;
}

async function run(db: Db, statement: SQL): Promise<Enrolled[]> {
  const rows = await queryRows(db, z.object({ id: col.int8, customer_id: col.int8, trigger_key: z.string() }), statement);
  return rows.map((row) => ({ enrollmentId: row.id, customerId: row.customer_id, triggerKey: row.trigger_key }));
}

/** Runs one scan-triggered campaign: one INSERT … SELECT that enrolls everyone who qualifies now. */
export async function scanCampaign(db: Db, campaign: LoadedCampaign, now: Date, defaultTimeZone = "UTC"): Promise<Enrolled[]> {
  const { trigger } = campaign.definition;
  if (isEventTrigger(trigger)) return [];
  const scope = new SqlScope(now);
  // Every scan trigger's moment is the scan's now, but a cancel-page visit's (the visit's own time).
  const momentsFrom = trigger.type === "cancel_page_visited" ? undefined : now;
  return run(db, enrollSql(campaign, scanMomentsSql(trigger, scope), scope, defaultTimeZone, "by-campaign", momentsFrom));
}

/** The running event-triggered campaigns that any of these events may start. */
export function campaignsListeningTo(catalog: CampaignCatalog, events: readonly { name: string; type: string; source: string }[]): LoadedCampaign[] {
  const campaigns = new Map<string, LoadedCampaign>();
  for (const event of events) for (const campaign of catalog.listeningTo(event)) campaigns.set(campaign.id, campaign);
  return [...campaigns.values()].filter((campaign) => isEventTrigger(campaign.definition.trigger));
}

/** Enrolls the customers of the selected events in one event-triggered campaign: one statement, whatever the number of events. */
export async function enrollCampaignFromEvents(db: Db, campaign: LoadedCampaign, selection: EventSelection, now: Date, defaultTimeZone = "UTC"): Promise<Enrolled[]> {
  const { trigger } = campaign.definition;
  if (!isEventTrigger(trigger)) return [];
  // Only the events this trigger listens to, and young enough to start it, travel with its
  // statement: with none, there is nothing to run — the case of almost every group of a backfill.
  const oldest = oldestTriggeringTime(now);
  const setAside = setAsideBeforeMatching(trigger, now);
  const narrowed = narrowSelection(selection, (event) => event.occurredAt.getTime() > oldest && triggerListensTo(trigger, event) && !setAside?.(event));
  if (!narrowed) return [];
  const scope = new SqlScope(now);
  const momentsFrom = selectedRange(narrowed)?.from;
  return run(db, enrollSql(campaign, eventCandidatesSql(trigger, narrowed, scope), scope, defaultTimeZone, "by-customer", momentsFrom));
}
