import type { z } from "zod";

/** One thing wrong with some input, and where: `batch[2].userId`, `subscription.status`. */
export interface Problem {
  path: string;
  message: string;
}

/** Every issue zod found, each with its path (under `prefix`). */
export function zodProblems(error: z.ZodError, prefix: readonly (string | number)[] = []): Problem[] {
  return error.issues.map((issue) => ({
    path: formatPath([...prefix, ...(issue.path as (string | number)[])]),
    message: issue.message,
  }));
}

/** `["batch", 2, "userId"]` → `batch[2].userId`; the empty path is `(body)`. */
export function formatPath(path: readonly (string | number | symbol)[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? String(part) : `.${String(part)}`;
  }
  return text === "" ? "(body)" : text;
}

/** The outcome of checking input: the value, or every problem found. */
export type Checked<T> = { type: "ok"; value: T } | { type: "invalid"; problems: Problem[] };
