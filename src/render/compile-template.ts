import Handlebars from "handlebars";
import { convert } from "html-to-text";
import mjml2html from "mjml";
import { assemble, sourceOf } from "./assemble.js";
import type { RenderContext } from "./render-context.js";
import { rootPaths } from "./root-paths.js";
import { isKnownPath, unknownVariable, validationContext } from "./render-context.js";
import { type FieldRange, localizedPath, positionAt, splitFrontMatter, type TemplateProblem } from "./template-files.js";

/** One email template, compiled once per campaign version: MJML is gone, only Handlebars runs per recipient. */
export interface CompiledTemplate {
  file: string;
  /** The variant's locale from its file name (`first-notice.sv.mjml` → `sv`); null for the default. */
  locale: string | null;
  subject: HandlebarsTemplateDelegate<RenderContext>;
  preheader: HandlebarsTemplateDelegate<RenderContext> | undefined;
  html: HandlebarsTemplateDelegate<RenderContext>;
  text: HandlebarsTemplateDelegate<RenderContext>;
}

export interface RenderedEmail {
  subject: string;
  preheader: string | null;
  html: string;
  text: string;
}

/** A rendered email that must not be sent (a link that is not http(s), a variable a customer lacks). */
export class RenderError extends Error {
  override readonly name = "RenderError";
}

// An isolated Handlebars: no helpers beyond the built-ins, and strict lookups.
const handlebars = Handlebars.create();
const STRICT = { strict: true, knownHelpersOnly: true } as const;

/** Where a spot in a Handlebars source is in its file: Handlebars' line (1-based) and column (0-based), and the variable there if known. */
type Locate = (line: number, column: number, written: string | undefined) => { line: number; column: number };

/** A source that is a run of whole lines of its file from `firstLine` on (a body, a layout, a partial): lines and columns carry over. */
const fromLine =
  (firstLine: number): Locate =>
  (line, column) => ({ line: firstLine + line - 1, column: column + 1 });

/**
 * A front matter value: YAML quoting and folding move its text about, so the variable is looked for
 * inside the value's `{{…}}` in the file itself.
 */
const inField =
  (text: string, range: FieldRange | undefined, fallbackLine: number): Locate =>
  (_line, _column, written) => {
    if (!range) return { line: fallbackLine, column: 1 };
    const raw = text.slice(range.start, range.end);
    if (written) {
      const escaped = written.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      for (const mustache of raw.matchAll(/\{\{[^}]*\}\}/g)) {
        const at = mustache[0].search(new RegExp(`(?<![\\w.@/])${escaped}(?![\\w.])`));
        if (at >= 0) return positionAt(text, range.start + mustache.index + at);
      }
    }
    return positionAt(text, range.start);
  };

type HandlebarsError = Error & { lineNumber?: number; column?: number; endLineNumber?: number; endColumn?: number };

function handlebarsProblem(file: string, source: string, locate: Locate, error: unknown): TemplateProblem {
  const { message, lineNumber, column, endLineNumber, endColumn } = error as HandlebarsError;
  const missing = message.match(/^"([^"]{1,100})" not defined/)?.[1];
  if (lineNumber !== undefined && column !== undefined) {
    // Handlebars names only the part it could not find (`billing` of `link.billing`) but gives the
    // position of the whole path: the path as written is read back from the source.
    const sourceLine = source.split(/\r?\n/)[lineNumber - 1] ?? "";
    const written = missing && endLineNumber === lineNumber && endColumn !== undefined ? sourceLine.slice(column, endColumn).trim() || missing : missing;
    const at = locate(lineNumber, column, written);
    if (written) return { file, ...at, message: unknownVariable(written) };
    return { file, ...at, message: clean(message) };
  }
  const line = Number(message.match(/on line (\d+)/)?.[1] ?? 1);
  return { file, ...locate(line, 0, undefined), message: clean(message) };
}

const clean = (message: string) =>
  message
    .replace(/ - \d+:\d+$/, "")
    .replace(/ in \[object Object\]$/, "")
    .split("\n", 1)[0] ?? "";

/**
 * Checks a Handlebars source: every path it names from the top of the render context against the
 * context's paths (all of them, those given to helpers included, which strict mode lets through),
 * then compiles and runs it against the sample, which finds the rest (syntax errors, a path
 * inside `with`). Each problem once, with its line and column.
 */
function checkHandlebars(file: string, source: string, locate: Locate, sample: RenderContext, problems: TemplateProblem[]): void {
  const found: TemplateProblem[] = [];
  for (const named of rootPaths(source)) {
    if (!isKnownPath(named.path)) found.push({ file, ...locate(named.line, named.column, named.written), message: unknownVariable(named.written) });
  }
  try {
    handlebars.compile(source, STRICT)(sample);
  } catch (error) {
    const problem = handlebarsProblem(file, source, locate, error);
    if (!found.some((p) => p.line === problem.line && p.column === problem.column)) found.push(problem);
  }
  problems.push(...found.sort((a, b) => a.line - b.line || a.column - b.column));
}

const textOptions = {
  wordwrap: false as const,
  selectors: [
    { selector: "img", format: "skip" },
    { selector: "h1", options: { uppercase: false } },
    { selector: "h2", options: { uppercase: false } },
    { selector: "h3", options: { uppercase: false } },
    { selector: "table", format: "block" },
    { selector: "tr", format: "block" },
    { selector: "td", format: "block" },
    { selector: "a", options: { hideLinkHrefIfSameAsText: true } },
  ],
};

/**
 * Compiles a template file (front matter + MJML) with its layout and partials into Handlebars
 * delegates for subject, preheader, HTML and text. Every problem comes back with file, line and
 * column: bad front matter, a variable the render context does not have, invalid MJML. A variant
 * in a `locale` takes the layout and partials in that locale where they exist (`footer.sv.mjml`).
 */
export async function compileTemplate(
  file: string,
  source: string,
  files: ReadonlyMap<string, string>,
  locale: string | null = null,
): Promise<{ type: "ok"; template: CompiledTemplate } | { type: "invalid"; problems: TemplateProblem[] }> {
  const split = splitFrontMatter(file, source);
  if (split.type === "invalid") return split;
  const { frontMatter, fields, body, bodyLine } = split;
  const sample = validationContext();
  const problems: TemplateProblem[] = [];
  checkHandlebars(file, frontMatter.subject, inField(source, fields.subject, 2), sample, problems);
  if (frontMatter.preheader) checkHandlebars(file, frontMatter.preheader, inField(source, fields.preheader, 3), sample, problems);

  let layout: { file: string; text: string } | undefined;
  if (frontMatter.layout) {
    const path = localizedPath(`_layouts/${frontMatter.layout}.mjml`, locale, files);
    const text = files.get(path);
    if (text === undefined) return { type: "invalid", problems: [{ file, ...(fields.layout ? positionAt(source, fields.layout.start) : { line: 2, column: 1 }), message: `layout ${frontMatter.layout} does not exist (expected templates/${path})` }] };
    layout = { file: path, text };
  }
  const built = assemble({ file, text: body, line: bodyLine }, layout, files, locale);
  if (built.type === "invalid") return built;
  const { assembled } = built;

  // Handlebars is checked per source file, so that its line numbers are the file's own.
  checkHandlebars(file, body, fromLine(bodyLine), sample, problems);
  if (layout) checkHandlebars(layout.file, layout.text, fromLine(1), sample, problems);
  for (const segment of new Set(assembled.segments.map((s) => s.file))) {
    if (segment !== file && segment !== layout?.file) checkHandlebars(segment, files.get(segment) ?? "", fromLine(1), sample, problems);
  }
  if (problems.length > 0) return { type: "invalid", problems };

  let document = assembled.text;
  if (frontMatter.preheader) {
    // MJML's own preview text; the preheader stays a Handlebars expression until render.
    const preview = "<mj-preview>{{preheader}}</mj-preview>";
    document = /<mj-head>/.test(document) ? document.replace("<mj-head>", `<mj-head>${preview}`) : document.replace("<mjml>", `<mjml><mj-head>${preview}</mj-head>`);
  }
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(document, { validationLevel: "strict", keepComments: false });
  } catch (error) {
    // In strict mode MJML throws, with the same error list it would otherwise return.
    const errors = (error as { errors?: { line: number; message: string }[] }).errors;
    if (!errors) return { type: "invalid", problems: [{ file, line: bodyLine, column: 1, message: `MJML: ${(error as Error).message}` }] };
    result = { html: "", json: undefined as never, errors: errors as never };
  }
  if (result.errors.length > 0) {
    return {
      type: "invalid",
      problems: result.errors.map((error) => {
        const origin = sourceOf(assembled, error.line);
        return { file: origin.file, line: origin.line, column: 1, message: `MJML: ${error.message}` };
      }),
    };
  }
  const html = result.html;
  const text = convert(html.replace(/<mj-preview>[\s\S]*?<\/mj-preview>/g, ""), textOptions)
    // The preview text is for inbox lists, not the body of the text part.
    .replace(/^\s*\{\{preheader\}\}\s*$/m, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();

  // The preheader is plain text, like the subject: the HTML escapes it once where it goes into the
  // page (`{{preheader}}` in <mj-preview>), the text part and the preview API take it as it is.
  const preheaderTemplate = frontMatter.preheader ? handlebars.compile<RenderContext>(frontMatter.preheader, { ...STRICT, noEscape: true }) : undefined;
  const withPreheader = (template: HandlebarsTemplateDelegate<RenderContext & { preheader: string }>) =>
    ((context: RenderContext) => template({ ...context, preheader: preheaderTemplate ? preheaderTemplate(context) : "" })) as HandlebarsTemplateDelegate<RenderContext>;
  return {
    type: "ok",
    template: {
      file,
      locale,
      subject: handlebars.compile<RenderContext>(frontMatter.subject, { ...STRICT, noEscape: true }),
      preheader: preheaderTemplate,
      html: withPreheader(handlebars.compile(html, STRICT)),
      text: withPreheader(handlebars.compile(text, { ...STRICT, noEscape: true })),
    },
  };
}

const SAFE_HREF = /^(https?:\/\/|mailto:|#)/i;

/**
 * Why Handlebars could not render, in the template author's terms. Its own messages name its
 * internals (`not defined in [object Object] - 12:34`, positions in the compiled HTML), which
 * mean nothing to whoever reads a message's `render_failed` reason.
 */
function renderFailure(error: unknown): string {
  const missing = (error as Error).message.match(/^"([^"]{1,100})" not defined/)?.[1];
  return missing
    ? `this customer has no value for "${missing}", which the template uses (guard it with {{#if}})`
    : "the template could not be rendered for this customer";
}

/** Renders one recipient's email. Only Handlebars runs here; customer data is always data. */
export function renderTemplate(template: CompiledTemplate, context: RenderContext): RenderedEmail {
  let html: string;
  let text: string;
  let subject: string;
  try {
    subject = template.subject(context).replace(/\s+/g, " ").trim();
    html = template.html(context);
    text = template.text(context);
  } catch (error) {
    throw new RenderError(`${template.file}: ${renderFailure(error)}`);
  }
  for (const match of html.matchAll(/\shref="([^"]*)"/g)) {
    const href = (match[1] ?? "").replace(/&amp;/g, "&").trim();
    if (!SAFE_HREF.test(href)) throw new RenderError(`${template.file}: a link is not http(s): ${href.slice(0, 80)}`);
  }
  return { subject, preheader: template.preheader ? template.preheader(context) : null, html, text };
}
