import type { Db } from "../../db/index.js";
import { CampaignCatalog } from "../catalog.js";
import { readCampaignFolders } from "./read-campaign-folders.js";
import { recordVersions } from "./record-versions.js";

/**
 * Reads and validates every campaign folder, records the valid ones as versions, and returns
 * the catalog the process runs. An invalid campaign is reported and left out; the others run.
 */
export async function loadCampaigns(db: Db, templatesDir: string, now: Date): Promise<CampaignCatalog> {
  const folders = await readCampaignFolders(templatesDir);
  const loaded = await recordVersions(db, folders, now);
  return new CampaignCatalog(
    loaded,
    folders.flatMap((folder) => (folder.type === "invalid" ? [{ id: folder.id, problems: folder.problems }] : [])),
  );
}
