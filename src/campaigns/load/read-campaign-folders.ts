import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Campaign } from "../definition/index.js";
import { type CampaignFileProblem, parseCampaignFile } from "./parse-campaign-file.js";
import { compileCampaignTemplates, type TemplateSet } from "./compile-campaign-templates.js";

/** A campaign folder read from disk: valid, with its definition and compiled emails, or refused with its problems. */
export type CampaignFolder =
  | { type: "valid"; id: string; directory: string; contentHash: string; campaign: Campaign; files: Record<string, string>; templates: TemplateSet }
  | { type: "invalid"; id: string; directory: string; contentHash: string; problems: CampaignFileProblem[] };

/** Layouts and partials shared by every campaign, as `_layouts/<file>` and `_partials/<file>`. */
async function readSharedFiles(templatesDir: string): Promise<Record<string, string>> {
  const shared: Record<string, string> = {};
  for (const folder of ["_layouts", "_partials"]) {
    let names: string[];
    try {
      names = (await readdir(join(templatesDir, folder), { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith(".mjml")).map((e) => e.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    for (const name of names) shared[`${folder}/${name}`] = await readFile(join(templatesDir, folder, name), "utf8");
  }
  return shared;
}

export const CAMPAIGN_FILE = "campaign.yaml";

/**
 * Reads every `templates/<id>/campaign.yaml` with the files beside it, and compiles the emails its
 * steps name. Folders whose names start with `_` (layouts, partials) or `.` are not campaigns. The
 * content hash covers every file of the folder and the shared layouts and partials, so editing an
 * email or the footer makes a new version just as editing the rules does.
 */
export async function readCampaignFolders(templatesDir: string, displayRoot = process.cwd()): Promise<CampaignFolder[]> {
  let entries;
  try {
    entries = await readdir(templatesDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const shared = await readSharedFiles(templatesDir);
  const folders: CampaignFolder[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && !/^[_.]/.test(e.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    const directory = join(templatesDir, entry.name);
    const names = (await readdir(directory, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith(".")).map((e) => e.name).sort();
    if (!names.includes(CAMPAIGN_FILE)) continue;
    const files: Record<string, string> = {};
    for (const name of names) files[name] = await readFile(join(directory, name), "utf8");
    Object.assign(files, shared);
    const hash = createHash("sha256");
    for (const [name, text] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hash.update(name).update("\0").update(text).update("\0");
    const contentHash = hash.digest("hex");
    const display = relative(displayRoot, join(directory, CAMPAIGN_FILE)) || join(directory, CAMPAIGN_FILE);
    const parsed = parseCampaignFile(display, files[CAMPAIGN_FILE] ?? "");
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
      const compiled = await compileCampaignTemplates(parsed.campaign, files, relative(displayRoot, directory) || directory, relative(displayRoot, templatesDir) || templatesDir);
      if (compiled.type === "invalid") folders.push({ type: "invalid", id: entry.name, directory, contentHash, problems: compiled.problems });
      else folders.push({ type: "valid", id: entry.name, directory, contentHash, campaign: parsed.campaign, files, templates: compiled.templates });
    }
  }
  return folders;
}
