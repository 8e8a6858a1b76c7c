import { join } from "node:path";
import { type CompiledTemplate, compileTemplate, templateFileName } from "../../render/index.js";
import type { Campaign } from "../definition/index.js";
import { type CampaignFileProblem, locateInCampaignFile } from "./parse-campaign-file.js";

/** A campaign's emails: template name → locale (null: the default) → compiled template. */
export type TemplateSet = ReadonlyMap<string, ReadonlyMap<string | null, CompiledTemplate>>;

/**
 * Compiles every email the campaign's steps name, in every locale variant present. A step whose
 * template is missing, or a template that does not compile, refuses the campaign with file and line.
 */
export async function compileCampaignTemplates(
  campaign: Campaign,
  files: Record<string, string>,
  displayDir: string,
  displayRoot: string,
): Promise<{ type: "ok"; templates: TemplateSet } | { type: "invalid"; problems: CampaignFileProblem[] }> {
  const shared = new Map(Object.entries(files).filter(([name]) => name.startsWith("_")));
  const display = (file: string) => (file.startsWith("_") ? join(displayRoot, file) : join(displayDir, file));
  const problems: CampaignFileProblem[] = [];
  const templates = new Map<string, Map<string | null, CompiledTemplate>>();
  const wanted = new Set(campaign.steps.flatMap((step) => (step.type === "email" ? [step.template] : [])));
  for (const name of wanted) {
    const variants = new Map<string | null, CompiledTemplate>();
    for (const [file, text] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const parsed = templateFileName(file);
      if (!parsed || parsed.name !== name) continue;
      const result = await compileTemplate(file, text, shared, parsed.locale);
      if (result.type === "ok") variants.set(parsed.locale, result.template);
      else for (const p of result.problems) problems.push({ file: display(p.file), line: p.line, column: p.column, path: "(file)", message: p.message });
    }
    if (!variants.has(null) && !problems.some((p) => p.file.includes(`${name}.`))) {
      const step = campaign.steps.findIndex((s) => s.type === "email" && s.template === name);
      const { line, column } = locateInCampaignFile(files["campaign.yaml"] ?? "", ["steps", step, "template"]);
      problems.push({
        file: join(displayDir, "campaign.yaml"),
        line,
        column,
        path: `steps[${step}].template`,
        message: `template ${name} has no ${name}.mjml beside campaign.yaml`,
      });
    }
    templates.set(name, variants);
  }
  return problems.length > 0 ? { type: "invalid", problems } : { type: "ok", templates };
}
