import { parseDocument } from "yaml";
import { z } from "zod";

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
  message: string;
}

/** Splits `---\nfront matter\n---\nbody`; the body keeps its line numbers in the file. */
export function splitFrontMatter(
  file: string,
  text: string,
): { type: "ok"; frontMatter: TemplateFrontMatter; body: string; bodyLine: number } | { type: "invalid"; problems: TemplateProblem[] } {
  const match = text.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n?/);
  if (!match) return { type: "invalid", problems: [{ file, line: 1, message: "a template starts with front matter: ---, subject: …, ---" }] };
  const doc = parseDocument(match[1]!);
  if (doc.errors.length > 0) return { type: "invalid", problems: doc.errors.map((e) => ({ file, line: 1 + (e.linePos?.[0]?.line ?? 1), message: `front matter: ${e.message.split("\n")[0]}` })) };
  const parsed = TemplateFrontMatter.safeParse(doc.toJS());
  if (!parsed.success) {
    return {
      type: "invalid",
      problems: parsed.error.issues.map((issue) => ({
        file,
        line: 2,
        message: `front matter ${issue.path.join(".") || ""}: ${issue.code === "unrecognized_keys" ? `unknown setting ${issue.keys.join(", ")}` : issue.message}`.replace(" : ", ": "),
      })),
    };
  }
  const bodyLine = match[0].split("\n").length;
  return { type: "ok", frontMatter: parsed.data, body: text.slice(match[0].length), bodyLine };
}

/** `first-notice.sv-SE.mjml` → `{ name: "first-notice", locale: "sv-SE" }`; `first-notice.mjml` → locale null. */
export function templateFileName(fileName: string): { name: string; locale: string | null } | undefined {
  const match = fileName.match(/^([a-z0-9][a-z0-9_-]*)(?:\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*))?\.mjml$/);
  return match ? { name: match[1]!, locale: match[2] ?? null } : undefined;
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
