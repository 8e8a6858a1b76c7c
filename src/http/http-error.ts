import type { z } from "zod";
import { type Problem, zodProblems } from "../validation/index.js";

/**
 * The only error type a route throws on purpose. The error handler renders it as
 * `{ error: { code, message, problems } }` with its status; nothing else reaches a client.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** A 400 listing every problem, each with its path. */
  static invalid(problems: Problem[], message = "The request is invalid."): HttpError {
    return new HttpError(400, "invalid_request", message, problems);
  }

  static fromZod(error: z.ZodError, prefix: (string | number)[] = []): HttpError {
    return HttpError.invalid(zodProblems(error, prefix));
  }
}
