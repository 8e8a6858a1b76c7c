import { formatPath, type Problem } from "./problem.js";

/**
 * How deep a request's JSON may nest. Segment's own payloads stay under ten levels; past 32,
 * storing and re-serialising the value (jsonb, JSON.stringify) costs a stack frame per level.
 */
export const MAX_DEPTH = 32;

// In a `u` regular expression a well-formed pair is one code point; only a lone half is a surrogate (Cs).
const LONE_SURROGATE = /\p{Cs}/u;

/** The problem with one string, or undefined: a NUL byte or half a surrogate pair. */
export function stringProblem(text: string): string | undefined {
  // PostgreSQL refuses NUL in text and jsonb; a lone surrogate cannot be encoded as UTF-8, so it would be stored mangled.
  if (text.includes("\0")) return "contains a NUL character (\\u0000)";
  if (LONE_SURROGATE.test(text)) return "contains an unpaired UTF-16 surrogate (not valid Unicode)";
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
  const visit = (current: unknown, path: (string | number)[], depth: number): void => {
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
      current.forEach((item, index) => visit(item, [...path, index], depth + 1));
      return;
    }
    for (const [key, item] of Object.entries(current)) {
      const keyProblem = stringProblem(key);
      if (keyProblem) problems.push({ path: formatPath([...path, JSON.stringify(key)]), message: `the key ${keyProblem}` });
      else visit(item, [...path, key], depth + 1);
    }
  };
  visit(value, [...prefix], 0);
  return problems;
}
