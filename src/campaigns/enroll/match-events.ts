import type { Db } from "../../db/index.js";
import type { CampaignCatalog, LoadedCampaign } from "../catalog.js";
import type { EventSelection, SelectedEvent } from "../compile/index.js";
import { campaignsListeningTo, type Enrolled, enrollCampaignFromEvents } from "./enroll.js";
import { exitCampaignOnEvents, exitGoalsFor } from "./exits.js";

export interface MatchResult {
  /** Enrollments ended because their exit goal arrived, per campaign. */
  exited: Map<string, number>;
  enrolled: Map<string, Enrolled[]>;
}

/**
 * What just-stored events mean for campaigns: exit goals first (an enrollment whose goal arrived
 * ends), then event triggers. Called right after ingestion commits, and by the sweep for events
 * whose match never finished (`sweepUnmatchedEvents`); a second pass over the same events is a
 * no-op, by the unique indexes.
 */
export async function matchEvents(
  db: Db,
  catalog: CampaignCatalog,
  events: readonly SelectedEvent[],
  now: Date,
  defaultTimeZone = "UTC",
): Promise<MatchResult> {
  const relevant = events.filter((event) => event.customerId !== null);
  if (relevant.length === 0) return { exited: new Map(), enrolled: new Map() };
  return matchSelection(db, catalog, relevant, { events: relevant }, now, defaultTimeZone);
}

/**
 * The selected events (of these kinds) against every campaign they concern, campaign by campaign
 * at once, each on a connection of its own: a campaign's exit goals before its trigger; campaigns
 * touch only their own enrollments, so nothing orders one campaign's statements against another's,
 * and a group of events waits for the slowest campaign rather than for all of them in turn.
 */
async function matchSelection(
  db: Db,
  catalog: CampaignCatalog,
  kinds: readonly { name: string; type: string; source: string }[],
  selection: EventSelection,
  now: Date,
  defaultTimeZone: string,
): Promise<MatchResult> {
  const exits = new Map(exitGoalsFor(catalog, kinds.map((kind) => kind.name)).map((entry) => [entry.campaign.id, entry]));
  const listening = campaignsListeningTo(catalog, kinds);
  const triggered = new Set(listening.map((campaign) => campaign.id));
  const campaigns = new Map<string, LoadedCampaign>();
  for (const campaign of [...[...exits.values()].map((entry) => entry.campaign), ...listening]) campaigns.set(campaign.id, campaign);
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
