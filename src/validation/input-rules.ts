import { formatPath, type Problem } from "./problem.js";

/**
 * How deep a request's JSON may nest. Segment's own payloads stay under ten levels; past 32,
 * storing and re-serialising the value (jsonb, JSON.stringify) costs a stack frame per level.
 */
export const MAX_DEPTH = 32;

// String.prototype.isWellFormed (ES2024, Node 20) is false exactly when a surrogate is unpaired;
// TypeScript's ES2023 library does not declare it yet.
const wellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/** The problem with one string, or undefined: a NUL byte or half a surrogate pair. */
export function stringProblem(text: string): string | undefined {
  // PostgreSQL refuses NUL in text and jsonb; a lone surrogate cannot be encoded as UTF-8, so it would be stored mangled.
  if (text.includes("\0")) return "contains a NUL character (\\u0000)";
  if (!wellFormed(text)) return "contains an unpaired UTF-16 surrogate (not valid Unicode)";
  return undefined;
}

/**
 * The rule every request's body, query and parameters pass before a route sees them: no string
 * (value or key) with a NUL character or an unpaired surrogate, and no nesting deeper than
 * MAX_DEPTH. Each problem names its path; the walk stops descending below the limit, so a
 * hostile document costs no more than its size.
 */
export function inputProblems(value: unknown, prefix: readonly (string | number)[] = []): Problem[] {
  const problems: Problem[] = [];
  // One path, grown and shrunk as the walk goes: it is only copied when there is a problem to name.
  const path: (string | number)[] = [...prefix];
  const visit = (current: unknown, depth: number): void => {
    if (problems.length >= 100) return;
    if (typeof current === "string") {
      const problem = stringProblem(current);
      if (problem) problems.push({ path: formatPath(path), message: problem });
      return;
    }
    if (current === null || typeof current !== "object" || Buffer.isBuffer(current)) return;
    if (depth >= MAX_DEPTH) {
      problems.push({ path: formatPath(path), message: `nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) {
        path.push(index);
        visit(current[index], depth + 1);
        path.pop();
      }
      return;
    }
    for (const key in current) {
      if (!Object.hasOwn(current, key)) continue;
      const keyProblem = stringProblem(key);
      path.push(keyProblem ? JSON.stringify(key) : key);
      if (keyProblem) problems.push({ path: formatPath(path), message: `the key ${keyProblem}` });
      else visit((current as Record<string, unknown>)[key], depth + 1);
      path.pop();
    }
  };
  visit(value, 0);
  return problems;
}
