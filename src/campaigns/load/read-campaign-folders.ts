import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Campaign } from "../definition/index.js";
import { type CampaignFileProblem, parseCampaignFile } from "./parse-campaign-file.js";

/** A campaign folder read from disk: valid, with its definition, or refused with its problems. */
export type CampaignFolder =
  | { type: "valid"; id: string; directory: string; contentHash: string; campaign: Campaign; files: Record<string, string> }
  | { type: "invalid"; id: string; directory: string; contentHash: string; problems: CampaignFileProblem[] };

export const CAMPAIGN_FILE = "campaign.yaml";

/**
 * Reads every `templates/<id>/campaign.yaml` with the files beside it. Folders whose names start
 * with `_` (layouts, partials) or `.` are not campaigns. The content hash covers every file of the
 * folder, so editing an email makes a new version just as editing the rules does.
 */
export async function readCampaignFolders(templatesDir: string, displayRoot = process.cwd()): Promise<CampaignFolder[]> {
  let entries;
  try {
    entries = await readdir(templatesDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const folders: CampaignFolder[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && !/^[_.]/.test(e.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    const directory = join(templatesDir, entry.name);
    const names = (await readdir(directory, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith(".")).map((e) => e.name).sort();
    if (!names.includes(CAMPAIGN_FILE)) continue;
    const files: Record<string, string> = {};
    const hash = createHash("sha256");
    for (const name of names) {
      files[name] = await readFile(join(directory, name), "utf8");
      hash.update(name).update("\0").update(files[name]).update("\0");
    }
    const contentHash = hash.digest("hex");
    const display = relative(displayRoot, join(directory, CAMPAIGN_FILE)) || join(directory, CAMPAIGN_FILE);
    const parsed = parseCampaignFile(display, files[CAMPAIGN_FILE]!);
    if (parsed.type === "invalid") {
      folders.push({ type: "invalid", id: entry.name, directory, contentHash, problems: parsed.problems });
    } else if (parsed.campaign.id !== entry.name) {
      folders.push({
        type: "invalid",
        id: entry.name,
        directory,
        contentHash,
        problems: [{ file: display, line: 1, column: 1, path: "id", message: `id "${parsed.campaign.id}" must match its folder name "${entry.name}"` }],
      });
    } else {
      folders.push({ type: "valid", id: entry.name, directory, contentHash, campaign: parsed.campaign, files });
    }
  }
  return folders;
}
