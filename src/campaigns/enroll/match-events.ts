import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../db/index.js";
import type { CampaignCatalog } from "../catalog.js";
import { type EventSelection, eventSelectionSql } from "../compile/index.js";
import type { LoadedCampaign } from "../catalog.js";
import { campaignsListeningTo, type Enrolled, enrollCampaignFromEvents, enrollFromEvents } from "./enroll.js";
import { exitCampaignOnEvents, exitGoalsFor, exitOnEvents } from "./exits.js";

export interface MatchResult {
  /** Enrollments ended because their exit goal arrived, per campaign. */
  exited: Map<string, number>;
  enrolled: Map<string, Enrolled[]>;
}

/**
 * What just-stored events mean for campaigns: exit goals first (an enrollment whose goal arrived
 * ends), then event triggers. Called right after ingestion commits; the periodic sweep calls it
 * again for recent events, and the unique indexes make the second pass a no-op.
 */
export async function matchEvents(
  db: Db,
  catalog: CampaignCatalog,
  events: readonly { id: number; name: string; type: string; source?: string; customerId: number | null; occurredAt?: Date }[],
  now: Date,
  defaultTimeZone = "UTC",
): Promise<MatchResult> {
  const relevant = events.filter((event) => event.customerId !== null);
  if (relevant.length === 0) return { exited: new Map(), enrolled: new Map() };
  const selection: EventSelection = { ids: relevant.map((event) => event.id), ...occurredRange(relevant) };
  const described = relevant.map((event) => ({ name: event.name, type: event.type, source: event.source ?? "segment" }));
  // Campaign by campaign, at once (each on a connection of its own): a campaign's exit goals
  // before its trigger, as below; campaigns touch only their own enrollments, so nothing orders
  // one campaign's statements against another's, and a group of events waits for the slowest
  // campaign rather than for all of them in turn.
  const exits = new Map(exitGoalsFor(catalog, described.map((event) => event.name)).map((entry) => [entry.campaign.id, entry]));
  const triggered = new Map(campaignsListeningTo(catalog, described).map((campaign) => [campaign.id, campaign]));
  const campaigns = new Map<string, LoadedCampaign>([...[...exits.values()].map((entry) => [entry.campaign.id, entry.campaign] as const), ...triggered]);
  const exited = new Map<string, number>();
  const enrolled = new Map<string, Enrolled[]>();
  await Promise.all(
    [...campaigns.values()].map(async (campaign) => {
      const goals = exits.get(campaign.id)?.goals;
      const ended = goals ? await exitCampaignOnEvents(db, campaign, goals, selection, now) : 0;
      if (ended > 0) exited.set(campaign.id, ended);
      const started = triggered.has(campaign.id) ? await enrollCampaignFromEvents(db, campaign, selection, now, defaultTimeZone) : [];
      if (started.length > 0) enrolled.set(campaign.id, started);
    }),
  );
  return { exited, enrolled };
}

/**
 * The safety net: matches every event received in [since, before) again (a crash between commit
 * and match loses nothing).
 */
export async function sweepRecentEvents(db: Db, catalog: CampaignCatalog, since: Date, now: Date, defaultTimeZone = "UTC", before?: Date): Promise<MatchResult> {
  const selection: EventSelection = { receivedSince: since, ...(before && { receivedBefore: before }) };
  const kinds = await queryRows<{ name: string; type: string; source: string }>(
    db,
    sql`select distinct name, type::text as type, source from events e where ${eventSelectionSql(selection)} and customer_id is not null`,
  );
  if (kinds.length === 0) return { exited: new Map(), enrolled: new Map() };
  const exited = await exitOnEvents(db, catalog, kinds.map((kind) => kind.name), selection, now);
  const enrolled = await enrollFromEvents(db, catalog, kinds, selection, now, defaultTimeZone);
  return { exited, enrolled };
}

/**
 * The earliest and latest time among the events, when each one's is known; a millisecond wider on
 * each side, as PostgreSQL keeps microseconds that a JavaScript Date does not.
 */
function occurredRange(events: readonly { occurredAt?: Date }[]): { occurredFrom?: Date; occurredTo?: Date } {
  let from = Infinity;
  let to = -Infinity;
  for (const event of events) {
    if (!event.occurredAt) return {};
    from = Math.min(from, event.occurredAt.getTime());
    to = Math.max(to, event.occurredAt.getTime());
  }
  return { occurredFrom: new Date(from - 1), occurredTo: new Date(to + 1) };
}
