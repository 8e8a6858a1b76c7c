import { isMap, isPair, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { closestName } from "../validation/index.js";

/** The front matter of a template: what is not MJML. Subject and preheader are Handlebars too. */
export const TemplateFrontMatter = z.strictObject({
  subject: z.string().min(1).max(300),
  preheader: z.string().max(300).optional(),
  /** A layout in `templates/_layouts/<layout>.mjml`; the template is then a fragment put at its `<mj-yield />`. */
  layout: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).optional(),
});
export type TemplateFrontMatter = z.infer<typeof TemplateFrontMatter>;

export interface TemplateProblem {
  file: string;
  line: number;
  /** 1-based, like the line; 1 where only the line is known (MJML reports no column). */
  column: number;
  message: string;
}

/** The line and column (1-based) of an offset in a text. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}

/** Where a front matter setting's value stands in the template file: offsets of its first and last characters. */
export type FieldRange = { start: number; end: number };

/** Splits `---\nfront matter\n---\nbody`; the body keeps its line numbers in the file. */
export function splitFrontMatter(
  file: string,
  text: string,
):
  | { type: "ok"; frontMatter: TemplateFrontMatter; fields: Partial<Record<keyof TemplateFrontMatter, FieldRange>>; body: string; bodyLine: number }
  | { type: "invalid"; problems: TemplateProblem[] } {
  const match = text.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n?/);
  const frontText = match?.[1];
  if (!match || frontText === undefined) return { type: "invalid", problems: [{ file, line: 1, column: 1, message: "a template starts with front matter: ---, subject: …, ---" }] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(frontText, { lineCounter });
  if (doc.errors.length > 0) {
    return {
      type: "invalid",
      problems: doc.errors.map((e) => ({ file, line: 1 + (e.linePos?.[0]?.line ?? 1), column: e.linePos?.[0]?.col ?? 1, message: `front matter: ${e.message.split("\n")[0]}` })),
    };
  }
  // The front matter starts on line 2, after `---` and its line break.
  const base = match[0].indexOf(frontText);
  const fields: Partial<Record<string, FieldRange>> = {};
  const keys: Record<string, number> = {};
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      if (pair.key.range) keys[name] = base + pair.key.range[0];
      if (isScalar(pair.value) && pair.value.range) fields[name] = { start: base + pair.value.range[0], end: base + pair.value.range[1] };
    }
  }
  const parsed = TemplateFrontMatter.safeParse(doc.toJS());
  if (!parsed.success) {
    return {
      type: "invalid",
      problems: parsed.error.issues.flatMap((issue) => {
        if (issue.code === "unrecognized_keys") {
          return issue.keys.map((key) => {
            const near = closestName(key, Object.keys(TemplateFrontMatter.shape));
            return { file, ...positionAt(text, keys[key] ?? base), message: `front matter: unknown setting "${key}" ${near ? `(did you mean "${near}"?)` : `(the settings are ${Object.keys(TemplateFrontMatter.shape).join(", ")})`}` };
          });
        }
        const name = String(issue.path[0] ?? "");
        const at = fields[name]?.start ?? keys[name] ?? base;
        return [{ file, ...positionAt(text, at), message: `front matter ${issue.path.join(".")}: ${issue.message}`.replace(" : ", ": ") }];
      }),
    };
  }
  const bodyLine = match[0].split("\n").length;
  return { type: "ok", frontMatter: parsed.data, fields, body: text.slice(match[0].length), bodyLine };
}

/** `first-notice.sv-SE.mjml` → `{ name: "first-notice", locale: "sv-SE" }`; `first-notice.mjml` → locale null. */
export function templateFileName(fileName: string): { name: string; locale: string | null } | undefined {
  const match = fileName.match(/^([a-z0-9][a-z0-9_-]*)(?:\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*))?\.mjml$/);
  const name = match?.[1];
  return name === undefined ? undefined : { name, locale: match?.[2] ?? null };
}

/** The best file for a customer's locale: `sv-SE`, then `sv`, then the default. */
export function chooseLocale<T>(variants: ReadonlyMap<string | null, T>, locale: string | null): T | undefined {
  if (locale) {
    const parts = locale.split("-");
    for (let n = parts.length; n > 0; n--) {
      const candidate = parts.slice(0, n).join("-").toLowerCase();
      for (const [key, value] of variants) if (key?.toLowerCase() === candidate) return value;
    }
  }
  return variants.get(null);
}

/**
 * A shared layout or partial in the language of the email that uses it: for an `sv-SE` email,
 * `_partials/footer.mjml` is `_partials/footer.sv-SE.mjml`, else `_partials/footer.sv.mjml`, else
 * itself, so that no Swedish email ends with an English footer.
 */
export function localizedPath(path: string, locale: string | null, files: ReadonlyMap<string, string>): string {
  if (!locale || !path.endsWith(".mjml")) return path;
  const base = path.slice(0, -".mjml".length);
  const variants = new Map<string | null, string>([[null, path]]);
  for (const name of files.keys()) {
    const variant = name.startsWith(`${base}.`) && name.endsWith(".mjml") ? name.slice(base.length + 1, -".mjml".length) : undefined;
    if (variant && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(variant)) variants.set(variant, name);
  }
  return chooseLocale(variants, locale) ?? path;
}
