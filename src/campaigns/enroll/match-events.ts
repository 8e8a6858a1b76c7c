import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../db/index.js";
import type { CampaignCatalog } from "../catalog.js";
import { type EventSelection, eventSelectionSql } from "../compile/index.js";
import { type Enrolled, enrollFromEvents } from "./enroll.js";
import { exitOnEvents } from "./exits.js";

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
  const exited = await exitOnEvents(db, catalog, described.map((event) => event.name), selection, now);
  const enrolled = await enrollFromEvents(db, catalog, described, selection, now, defaultTimeZone);
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
