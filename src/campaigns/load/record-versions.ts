import { and, eq, sql } from "drizzle-orm";
import { campaigns, campaignVersions, type Db } from "../../db/index.js";
import type { LoadedCampaign } from "../catalog.js";
import type { CampaignFolder } from "./read-campaign-folders.js";

/**
 * Records each valid folder as an immutable version (by content hash) and each campaign's live
 * state: its current version, or why its file was refused. Safe to run from several processes.
 */
export async function recordVersions(db: Db, folders: CampaignFolder[], now: Date): Promise<LoadedCampaign[]> {
  const loaded: LoadedCampaign[] = [];
  for (const folder of folders) {
    if (folder.type === "invalid") {
      await db
        .insert(campaigns)
        .values({ id: folder.id, enabled: false, loadError: folder.problems, updatedAt: now })
        .onConflictDoUpdate({ target: campaigns.id, set: { loadError: folder.problems, updatedAt: now } });
      continue;
    }
    await db
      .insert(campaignVersions)
      .values({ campaignId: folder.id, contentHash: folder.contentHash, definition: folder.campaign, templates: folder.files, loadedAt: now })
      .onConflictDoNothing({ target: [campaignVersions.campaignId, campaignVersions.contentHash] });
    const [version] = await db
      .select({ id: campaignVersions.id })
      .from(campaignVersions)
      .where(and(eq(campaignVersions.campaignId, folder.id), eq(campaignVersions.contentHash, folder.contentHash)));
    if (!version) throw new Error(`campaign ${folder.id}: the version just stored is not there`);
    await db
      .insert(campaigns)
      .values({ id: folder.id, currentVersionId: version.id, enabled: folder.campaign.enabled, loadError: null, updatedAt: now })
      .onConflictDoUpdate({
        target: campaigns.id,
        set: { currentVersionId: version.id, enabled: folder.campaign.enabled, loadError: sql`null`, updatedAt: now },
      });
    loaded.push({ id: folder.id, versionId: version.id, contentHash: folder.contentHash, definition: folder.campaign, directory: folder.directory, templates: folder.templates });
  }
  return loaded;
}
