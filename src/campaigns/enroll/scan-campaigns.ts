import { type Db, isTransientDbError } from "../../db/index.js";
import type { LoadedCampaign } from "../catalog.js";
import { isEventTrigger } from "../definition/index.js";
import { scanCampaign } from "./enroll.js";
import { exitOnConditions } from "./exits.js";

/** One campaign's part of a scan pass. */
export interface CampaignScan {
  campaignId: string;
  /** Wall time of its exit conditions and its scan, in ms. */
  ms: number;
  enrolled: number;
  exited: number;
}

export interface ScanOptions {
  defaultTimeZone: string;
  /**
   * Campaigns scanned at once, each on a connection of its own (SCAN_CONCURRENCY). The campaigns
   * share nothing at entry (each one's enrollments are its own), so running them side by side only
   * lets PostgreSQL use more than one core for the pass.
   */
  concurrency: number;
  /** Each campaign's time at the last pass: the slowest start first, so the pass ends soonest. */
  previousMs?: Readonly<Record<string, number>>;
}

/**
 * One pass of the scan task: for every running campaign, its exit conditions, then (for a scan
 * trigger) its scan. A campaign's own two statements run in that order; campaigns run side by side.
 */
export async function scanCampaigns(db: Db, campaigns: readonly LoadedCampaign[], now: Date, options: ScanOptions): Promise<CampaignScan[]> {
  const previous = options.previousMs ?? {};
  const queue = [...campaigns].sort((a, b) => (previous[b.id] ?? 0) - (previous[a.id] ?? 0));
  const results = new Map<string, CampaignScan>();
  const failures: { campaignId: string; error: unknown }[] = [];
  const lane = async (): Promise<void> => {
    for (let campaign = queue.shift(); campaign; campaign = queue.shift()) {
      const started = performance.now();
      try {
        const exited = await exitOnConditions(db, campaign, now);
        const enrolled = isEventTrigger(campaign.definition.trigger) ? [] : await scanCampaign(db, campaign, now, options.defaultTimeZone);
        results.set(campaign.id, { campaignId: campaign.id, ms: Math.round(performance.now() - started), enrolled: enrolled.length, exited });
      } catch (error) {
        // One campaign's failure does not keep the others from their scan; the pass fails after.
        // A database fault is every campaign's: the rest wait for the next pass rather than each
        // waiting out the connection timeout in turn.
        failures.push({ campaignId: campaign.id, error });
        if (isTransientDbError(error)) queue.length = 0;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, campaigns.length)) }, lane));
  const [first] = failures;
  if (first) {
    // The driver's own message (drizzle wraps it in one quoting the whole statement).
    let root: unknown = first.error;
    while (root instanceof Error && root.cause instanceof Error) root = root.cause;
    const message = root instanceof Error ? root.message : String(root);
    throw new Error(`the scan of ${failures.map((f) => f.campaignId).join(", ")} failed: ${message}`, { cause: first.error });
  }
  // In the catalog's order, whatever order they finished in.
  return campaigns.flatMap((campaign) => results.get(campaign.id) ?? []);
}
