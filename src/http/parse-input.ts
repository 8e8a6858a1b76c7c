import type { FastifyRequest } from "fastify";
import type { z } from "zod";
import { HttpError } from "./http-error.js";

/** The query string by its API schema (src/api), or a 400 whose problems' paths start with `query`. */
export function queryOf<S extends z.ZodType>(schema: S, request: FastifyRequest): z.output<S> {
  const parsed = schema.safeParse(request.query);
  if (!parsed.success) throw HttpError.fromZod(parsed.error, ["query"]);
  return parsed.data;
}

/** The path's parameters by their schema, or a 400 whose problems' paths start with `params`. */
export function paramsOf<S extends z.ZodType>(schema: S, request: FastifyRequest): z.output<S> {
  const parsed = schema.safeParse(request.params);
  if (!parsed.success) throw HttpError.fromZod(parsed.error, ["params"]);
  return parsed.data;
}

/** The JSON body by its API schema (an absent body reads as `{}`), or a 400 naming each problem. */
export function bodyOf<S extends z.ZodType>(schema: S, request: FastifyRequest): z.output<S> {
  const parsed = schema.safeParse(request.body ?? {});
  if (!parsed.success) throw HttpError.fromZod(parsed.error);
  return parsed.data;
}
