import { localizedPath, type TemplateProblem } from "./template-files.js";

/** Where each line of an assembled document came from, so errors point at the right file. */
export interface Segment {
  file: string;
  /** First line in the assembled document (1-based). */
  start: number;
  lines: number;
  /** Line in the source file of the segment's first line. */
  sourceLine: number;
}

export interface Assembled {
  text: string;
  segments: Segment[];
}

const INCLUDE = /^\s*<mj-include\s+path="([^"]+)"\s*\/>\s*$/;
const YIELD = /^\s*<mj-yield\s*\/>\s*$/;

/** Maps a line of the assembled document back to its file and line. */
export function sourceOf(assembled: Assembled, line: number): { file: string; line: number } {
  for (const segment of assembled.segments) {
    if (line >= segment.start && line < segment.start + segment.lines) return { file: segment.file, line: segment.sourceLine + (line - segment.start) };
  }
  const last = assembled.segments[assembled.segments.length - 1];
  return { file: last?.file ?? "?", line };
}

/**
 * Builds one MJML document from a template body, its layout (body goes where `<mj-yield />`
 * stands) and partials (`<mj-include path="_partials/footer.mjml" />` on a line of its own),
 * from the file map of the campaign version — never from disk, so a version renders the same
 * forever. Partials are taken in the email's `locale` where they have a variant for it
 * (`_partials/footer.sv.mjml`). Each line remembers its origin for error messages.
 */
export function assemble(
  body: { file: string; text: string; line: number },
  layout: { file: string; text: string } | undefined,
  files: ReadonlyMap<string, string>,
  locale: string | null = null,
): { type: "ok"; assembled: Assembled } | { type: "invalid"; problems: TemplateProblem[] } {
  const out: string[] = [];
  const segments: Segment[] = [];
  const problems: TemplateProblem[] = [];

  const emit = (file: string, text: string, firstLine: number, depth: number, yieldBody?: () => void) => {
    const lines = text.split(/\r?\n/);
    // A run is a stretch of lines copied as they are; includes and the yield interrupt it.
    let runStart = out.length + 1;
    let runSource = firstLine;
    const flush = () => {
      const count = out.length + 1 - runStart;
      if (count > 0) segments.push({ file, start: runStart, lines: count, sourceLine: runSource });
    };
    lines.forEach((line, index) => {
      const include = line.match(INCLUDE);
      if (!include && !(yieldBody && YIELD.test(line))) {
        out.push(line);
        return;
      }
      flush();
      if (include) {
        const path = localizedPath((include[1] ?? "").replace(/^(\.\.\/)+/, ""), locale, files);
        const partial = files.get(path);
        const where = { file, line: firstLine + index, column: line.indexOf("<mj-include") + 1 };
        if (partial === undefined) problems.push({ ...where, message: `included file ${include[1]} does not exist (partials live in templates/_partials)` });
        else if (depth > 5) problems.push({ ...where, message: "includes nested too deep" });
        else emit(path, partial.replace(/\s+$/, ""), 1, depth + 1);
      } else yieldBody?.();
      runStart = out.length + 1;
      runSource = firstLine + index + 1;
    });
    flush();
  };

  if (layout) {
    let yielded = false;
    emit(layout.file, layout.text, 1, 0, () => {
      yielded = true;
      emit(body.file, body.text.replace(/\s+$/, ""), body.line, 1);
    });
    if (!yielded) problems.push({ file: layout.file, line: 1, column: 1, message: "a layout needs a <mj-yield /> line where the template's content goes" });
  } else {
    emit(body.file, body.text, body.line, 0);
  }
  return problems.length > 0 ? { type: "invalid", problems } : { type: "ok", assembled: { text: out.join("\n"), segments } };
}
