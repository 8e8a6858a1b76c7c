import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { closestName, formatPath, keysAt } from "../../validation/index.js";
import { Campaign } from "../definition/index.js";
import { locate } from "./yaml-locations.js";

/** A problem in a campaign file, where a marketer can find it. */
export interface CampaignFileProblem {
  file: string;
  line: number;
  column: number;
  /** The setting concerned, e.g. `trigger.within` or `steps[2].then`. */
  path: string;
  message: string;
}

export type ParsedCampaignFile = { type: "ok"; campaign: Campaign } | { type: "invalid"; problems: CampaignFileProblem[] };

/**
 * zod's messages, said so that someone editing YAML knows what to do. An unknown setting is
 * compared with the settings the schema allows at that place: `trigerr` → did you mean `trigger`.
 */
function explain(issue: z.core.$ZodIssue, schema: z.ZodType, data: unknown): string[] {
  if (issue.code === "unrecognized_keys") {
    const allowed = keysAt(schema, issue.path, data) ?? [];
    return issue.keys.map((key) => {
      const near = closestName(key, allowed);
      return `unknown setting "${key}" ${near ? `(did you mean "${near}"?)` : "(check its spelling and indentation)"}`;
    });
  }
  if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) {
    const last = issue.path[issue.path.length - 1];
    return [`"${String(last ?? "value")}" is required`];
  }
  return [issue.message];
}

/**
 * Parses a YAML file and validates it with a schema. Every problem is reported with its line:
 * YAML syntax errors, unknown settings (typos must not silently do nothing), wrong values.
 */
export function parseYamlFile<S extends z.ZodType>(file: string, text: string, schema: S): { type: "ok"; value: z.infer<S> } | { type: "invalid"; problems: CampaignFileProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      type: "invalid",
      problems: doc.errors.map((error) => {
        const position = error.linePos?.[0] ?? { line: 1, col: 1 };
        return { file, line: position.line, column: position.col, path: "(file)", message: `YAML: ${(error.message.split("\n", 1)[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}` };
      }),
    };
  }
  const data: unknown = doc.toJS();
  const parsed = schema.safeParse(data);
  if (parsed.success) return { type: "ok", value: parsed.data };
  const problems: CampaignFileProblem[] = [];
  for (const issue of parsed.error.issues) {
    const messages = explain(issue, schema, data);
    messages.forEach((message, index) => {
      const key = issue.code === "unrecognized_keys" ? issue.keys[index] : undefined;
      const { line, column } = locate(doc, lineCounter, issue.path, key);
      problems.push({ file, line, column, path: formatPath(key ? [...issue.path, key] : issue.path), message });
    });
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { type: "invalid", problems };
}

/** Parses and validates one campaign file (broken step links included). */
export function parseCampaignFile(file: string, text: string): ParsedCampaignFile {
  const parsed = parseYamlFile(file, text, Campaign);
  return parsed.type === "ok" ? { type: "ok", campaign: parsed.value } : parsed;
}

/** The line and column of a setting in a campaign file, e.g. `["steps", 2, "template"]`. */
export function locateInCampaignFile(text: string, path: (string | number)[]): { line: number; column: number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return locate(doc, lineCounter, path);
}

export function formatProblem(problem: CampaignFileProblem): string {
  const where = problem.path === "(file)" || problem.path === "(body)" ? "" : `${problem.path}: `;
  return `${problem.file}:${problem.line}:${problem.column}: ${where}${problem.message}`;
}
