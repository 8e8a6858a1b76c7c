import Handlebars from "handlebars";
import { convert } from "html-to-text";
import mjml2html from "mjml";
import { assemble, sourceOf } from "./assemble.js";
import type { RenderContext } from "./render-context.js";
import { validationContext } from "./render-context.js";
import { splitFrontMatter, type TemplateProblem } from "./template-files.js";

/** One email template, compiled once per campaign version: MJML is gone, only Handlebars runs per recipient. */
export interface CompiledTemplate {
  file: string;
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

function handlebarsProblem(file: string, firstLine: number, error: unknown): TemplateProblem {
  const message = (error as Error).message;
  const position = message.match(/ - (\d+):(\d+)$/) ?? message.match(/on line (\d+)/);
  const line = position ? firstLine + Number(position[1]) - 1 : firstLine;
  const clean = message
    .replace(/ - \d+:\d+$/, "")
    .replace(/ in \[object Object\]$/, "")
    .split("\n")[0]!;
  const hint = /not defined/.test(clean) ? " (see the render context in the README: customer, subscription, card, campaign, facts, company, links)" : "";
  return { file, line, message: `${clean}${hint}` };
}

/** Compiles and runs a Handlebars source against the sample: unknown variables and syntax errors surface here, with their line. */
function checkHandlebars(file: string, firstLine: number, source: string, sample: RenderContext, problems: TemplateProblem[]): void {
  try {
    handlebars.compile(source, STRICT)(sample);
  } catch (error) {
    problems.push(handlebarsProblem(file, firstLine, error));
  }
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
 * delegates for subject, preheader, HTML and text. Every problem comes back with file and line:
 * bad front matter, a variable the render context does not have, invalid MJML.
 */
export async function compileTemplate(
  file: string,
  source: string,
  files: ReadonlyMap<string, string>,
): Promise<{ type: "ok"; template: CompiledTemplate } | { type: "invalid"; problems: TemplateProblem[] }> {
  const split = splitFrontMatter(file, source);
  if (split.type === "invalid") return split;
  const { frontMatter, body, bodyLine } = split;
  const sample = validationContext();
  const problems: TemplateProblem[] = [];
  checkHandlebars(file, 2, frontMatter.subject, sample, problems);
  if (frontMatter.preheader) checkHandlebars(file, 3, frontMatter.preheader, sample, problems);

  let layout: { file: string; text: string } | undefined;
  if (frontMatter.layout) {
    const path = `_layouts/${frontMatter.layout}.mjml`;
    const text = files.get(path);
    if (text === undefined) return { type: "invalid", problems: [{ file, line: 2, message: `layout ${frontMatter.layout} does not exist (expected templates/${path})` }] };
    layout = { file: path, text };
  }
  const built = assemble({ file, text: body, line: bodyLine }, layout, files);
  if (built.type === "invalid") return built;
  const { assembled } = built;

  // Handlebars is checked per source file, so that its line numbers are the file's own.
  checkHandlebars(file, bodyLine, body, sample, problems);
  if (layout) checkHandlebars(layout.file, 1, layout.text, sample, problems);
  for (const segment of new Set(assembled.segments.map((s) => s.file))) {
    if (segment !== file && segment !== layout?.file) checkHandlebars(segment, 1, files.get(segment) ?? "", sample, problems);
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
    if (!errors) return { type: "invalid", problems: [{ file, line: bodyLine, message: `MJML: ${(error as Error).message}` }] };
    result = { html: "", json: undefined as never, errors: errors as never };
  }
  if (result.errors.length > 0) {
    return {
      type: "invalid",
      problems: result.errors.map((error) => {
        const origin = sourceOf(assembled, error.line);
        return { file: origin.file, line: origin.line, message: `MJML: ${error.message}` };
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
    const href = match[1]!.replace(/&amp;/g, "&").trim();
    if (!SAFE_HREF.test(href)) throw new RenderError(`${template.file}: a link is not http(s): ${href.slice(0, 80)}`);
  }
  return { subject, preheader: template.preheader ? template.preheader(context) : null, html, text };
}
