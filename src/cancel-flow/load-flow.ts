import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import Handlebars from "handlebars";
import { LineCounter, parseDocument } from "yaml";
import { type CampaignFileProblem, locate, parseYamlFile } from "../campaigns/index.js";
import { closestName } from "../validation/index.js";
import { CancelFlow, CancelTexts } from "./definition.js";

/** The folder, beside the campaigns, that holds the cancel flow. */
export const CANCEL_FLOW_FOLDER = "_cancel";
export const FLOW_FILE = "flow.yaml";
const TEXTS_FILE = /^texts\.([a-z]{2}(?:-[A-Z]{2})?)\.yaml$/;

/** What a text may say, with every placeholder filled (blank when it does not apply). */
export interface TextValues {
  company: string;
  periodEnd: string;
  resumesOn: string;
  plan: string;
  percent: string;
  amount: string;
  months: string;
}

type Text = (values: TextValues) => string;
type Compiled<T> = {
  [K in keyof T]: T[K] extends string ? Text : T[K] extends Record<string, string> ? Record<string, Text> : T[K] extends Record<string, infer V> ? Record<string, Compiled<V>> : never;
};

/** One language's texts, each a function of the placeholders (HTML-escaped). */
export type FlowTexts = Compiled<CancelTexts>;

/** A valid cancel flow as this process runs it. */
export interface LoadedFlow {
  flow: CancelFlow;
  /** sha256 of every file of the flow: what a session records as the flow's version. */
  version: string;
  /** By locale (`en`, `sv`). */
  texts: Map<string, FlowTexts>;
  /** The texts of `flow.default_locale`, which a valid flow always has: the words when no other language fits. */
  defaultTexts: FlowTexts;
}

export type FlowLoad = { type: "absent" } | { type: "valid"; loaded: LoadedFlow } | { type: "invalid"; problems: CampaignFileProblem[] };

const handlebars = Handlebars.create();
const SAMPLE: TextValues = { company: "Acme", periodEnd: "1 January 2027", resumesOn: "1 March 2027", plan: "Starter", percent: "25%", amount: "€10.00", months: "3" };

function compileTexts(file: string, text: string, texts: CancelTexts, problems: CampaignFileProblem[]): FlowTexts {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const compile = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === "string") {
      try {
        const template = handlebars.compile<TextValues>(value, { strict: true, knownHelpersOnly: true });
        template(SAMPLE);
        return template;
      } catch (error) {
        const { line, column } = locate(doc, lineCounter, path);
        const placeholders = Object.keys(SAMPLE);
        const missing = (error as Error).message.match(/^"([^"]{1,100})" not defined/)?.[1];
        const near = missing === undefined ? undefined : closestName(missing, placeholders);
        const message = near
          ? `unknown placeholder {{${missing}}} (did you mean {{${near}}}?)`
          : `Handlebars: ${(error as Error).message.split("\n")[0]} (placeholders: ${placeholders.map((k) => `{{${k}}}`).join(", ")})`;
        problems.push({ file, line, column, path: path.join("."), message });
        return () => "";
      }
    }
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, compile(inner, [...path, key])]));
  };
  return compile(texts, []) as FlowTexts;
}

/**
 * Reads `templates/_cancel/`: the flow and a texts file per language. Every problem comes back with
 * file and line; a reason or offer without words in some language is one, and so is a flow whose
 * default language has no texts. An invalid flow does not run (the API says why), while the
 * campaigns go on.
 */
export async function loadCancelFlow(templatesDir: string, displayRoot = process.cwd()): Promise<FlowLoad> {
  const directory = join(templatesDir, CANCEL_FLOW_FOLDER);
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => !name.startsWith(".")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { type: "absent" };
    throw error;
  }
  if (!names.includes(FLOW_FILE)) return { type: "absent" };
  const display = (name: string) => relative(displayRoot, join(directory, name)) || join(directory, name);
  const files = new Map<string, string>();
  for (const name of names.filter((n) => n === FLOW_FILE || TEXTS_FILE.test(n))) files.set(name, await readFile(join(directory, name), "utf8"));
  const hash = createHash("sha256");
  for (const [name, text] of files) hash.update(name).update("\0").update(text).update("\0");

  const problems: CampaignFileProblem[] = [];
  const parsedFlow = parseYamlFile(display(FLOW_FILE), files.get(FLOW_FILE) ?? "", CancelFlow);
  if (parsedFlow.type === "invalid") problems.push(...parsedFlow.problems);
  const texts = new Map<string, FlowTexts>();
  for (const [name, text] of files) {
    const locale = TEXTS_FILE.exec(name)?.[1];
    if (!locale) continue;
    const parsed = parseYamlFile(display(name), text, CancelTexts);
    if (parsed.type === "invalid") {
      problems.push(...parsed.problems);
      continue;
    }
    if (parsedFlow.type === "ok") {
      const lineCounter = new LineCounter();
      const doc = parseDocument(text, { lineCounter });
      for (const reason of parsedFlow.value.reasons) {
        if (!(reason.id in parsed.value.reasons)) problems.push({ file: display(name), ...locate(doc, lineCounter, ["reasons"]), path: "reasons", message: `no label for reason "${reason.id}"` });
      }
      for (const offer of parsedFlow.value.offers) {
        if (!(offer.id in parsed.value.offers)) problems.push({ file: display(name), ...locate(doc, lineCounter, ["offers"]), path: "offers", message: `no texts for offer "${offer.id}"` });
      }
    }
    texts.set(locale, compileTexts(display(name), text, parsed.value, problems));
  }
  if (parsedFlow.type !== "ok") return { type: "invalid", problems };
  if (!files.has(`texts.${parsedFlow.value.default_locale}.yaml`)) {
    problems.push({ file: display(FLOW_FILE), line: 1, column: 1, path: "default_locale", message: `no texts.${parsedFlow.value.default_locale}.yaml beside it: the default language needs its texts` });
  }
  // With the file present, its texts are missing only if it had a problem, already in the list.
  const defaultTexts = texts.get(parsedFlow.value.default_locale);
  if (problems.length > 0 || !defaultTexts) return { type: "invalid", problems };
  return { type: "valid", loaded: { flow: parsedFlow.value, version: hash.digest("hex").slice(0, 16), texts, defaultTexts } };
}
