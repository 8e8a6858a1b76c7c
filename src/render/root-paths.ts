import Handlebars from "handlebars";

/** A path a template names (`{{customer.name}}`, `{{#if customer.nme}}`), with where it stands in its source. */
export interface RootPath {
  /** As written, e.g. `customer.nme` (or `this.customer.nme`). */
  written: string;
  /** The path it names, dotted: `customer.nme`. */
  path: string;
  /** 1-based, as Handlebars counts. */
  line: number;
  /** 0-based, as Handlebars counts. */
  column: number;
}

type Node = hbs.AST.Node;
const CONTEXT_CHANGING = new Set(["each", "with"]);

/**
 * The paths a template names from the top of the render context: those it prints, and those it
 * hands to helpers (`if`, `unless`, `each`, `with`). Strict mode checks only the printed ones, and
 * only where the sample reaches them: `{{#if customer.frist_name}}` would otherwise be false for
 * everyone and its block silently never shown. Paths inside `each` and `with` are relative to
 * another context and are left alone, as are `@data` and `../` paths.
 */
export function rootPaths(source: string): RootPath[] {
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch {
    return []; // A syntax error: compiling reports it, with its line.
  }
  const found: RootPath[] = [];
  const expression = (node: Node, atRoot: boolean) => {
    if (node.type === "PathExpression") {
      const path = node as hbs.AST.PathExpression;
      if (atRoot && !path.data && path.depth === 0 && path.parts.length > 0) found.push({ written: path.original, path: path.parts.join("."), line: node.loc.start.line, column: node.loc.start.column });
    } else if (node.type === "SubExpression") call(node as hbs.AST.SubExpression, atRoot);
  };
  const call = (node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression, atRoot: boolean) => {
    for (const param of node.params) expression(param, atRoot);
    for (const pair of node.hash?.pairs ?? []) expression(pair.value, atRoot);
  };
  const statements = (block: hbs.AST.Program | undefined, atRoot: boolean) => {
    for (const statement of block?.body ?? []) {
      if (statement.type === "MustacheStatement") {
        const mustache = statement as hbs.AST.MustacheStatement;
        // `{{customer.name}}` prints a path; with arguments, the path is a helper's name.
        if (mustache.params.length === 0 && (mustache.hash?.pairs.length ?? 0) === 0) expression(mustache.path, atRoot);
        call(mustache, atRoot);
      }
      else if (statement.type === "BlockStatement") {
        const block = statement as hbs.AST.BlockStatement;
        call(block, atRoot);
        statements(block.program, atRoot && !CONTEXT_CHANGING.has(block.path.original));
        // `{{else}}` of `each` and `with` runs in the outer context.
        statements(block.inverse, atRoot);
      }
    }
  };
  statements(program, true);
  return found;
}
