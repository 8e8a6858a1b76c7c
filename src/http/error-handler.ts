import type { FastifyError, FastifyInstance } from "fastify";
import { HttpError } from "./http-error.js";

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

/** Fastify's own 4xx errors, said in Rekindle's words. */
function fromFastify(error: FastifyError, bodyLimit: number): HttpError | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new HttpError(413, "payload_too_large", `The request body is over the ${kb(bodyLimit)} limit of this endpoint.`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new HttpError(415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return HttpError.invalid([{ path: "(body)", message: "the body is empty; expected a JSON object" }]);
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new HttpError(400, "bad_request", "The Content-Length header does not match the body.");
    default:
      return error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
        ? new HttpError(error.statusCode, "bad_request", error.message)
        : undefined;
  }
}

/**
 * A fault worth retrying: a dependency that is down or restarting, or a transaction that lost a
 * deadlock or serialization race. Answered 503 so that clients (Segment's included) retry.
 */
function isTransient(error: unknown): boolean {
  for (let current = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    const code = typeof current.code === "string" ? current.code : "";
    if (/^(40001|40P01|57P0[1-3]|08\w{3}|53300)$/.test(code) || /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE)$/.test(code)) return true;
    if (/Connection terminated|the database system is/i.test(String(current.message))) return true;
    current = current.cause as typeof current;
  }
  return false;
}

/**
 * The one place errors become responses: `{ error: { code, message, problems } }`. A fault that
 * is not a client's (a bug, the database gone) is logged with its stack and answered with a
 * plain 500 (503 when a dependency is down), never with the stack.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, request, reply) => {
    const error = raw instanceof HttpError ? raw : fromFastify(raw, request.routeOptions.bodyLimit ?? 0);
    if (error) {
      if (error.status >= 500) request.log.error({ err: raw }, error.message);
      return reply
        .status(error.status)
        .headers(error.headers)
        .send({ error: { code: error.code, message: error.message, problems: error.problems } });
    }
    request.log.error({ err: raw, method: request.method, url: request.url }, "request failed");
    const unavailable = isTransient(raw);
    return reply.status(unavailable ? 503 : 500).send({
      error: unavailable
        ? { code: "unavailable", message: "A service Rekindle depends on is not answering; try again shortly.", problems: [] }
        : { code: "internal_error", message: "Something went wrong on our side; it has been logged.", problems: [] },
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: "not_found", message: `No route for ${request.method} ${request.url.split("?")[0]}.`, problems: [] } }),
  );
}
