import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HttpError } from "./http-error.js";
import { isTransientDbError } from "../db/index.js";

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Fastify's (and Node's) own 4xx errors, said in Rekindle's words; never their internals. */
function fromFastify(error: FastifyError, bodyLimit: number, timeouts: { requestMs: number }): HttpError | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new HttpError(413, "payload_too_large", `The request body is over the ${kb(bodyLimit)} limit of this endpoint (measured after decompression).`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_TYPE":
      return new HttpError(415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return HttpError.invalid([{ path: "(body)", message: "the body is empty; expected a JSON object" }]);
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new HttpError(400, "bad_request", "The Content-Length header does not match the body.");
    case "FST_ERR_BAD_URL":
      return HttpError.invalid([{ path: "(url)", message: "a malformed %-escape (each % must start a UTF-8 escape such as %20)" }], "The URL is not valid.");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new HttpError(414, "uri_too_long", "A part of the path is too long to name anything here.");
    case "FST_ERR_HANDLER_TIMEOUT":
      return new HttpError(503, "timeout", `The request took longer than ${seconds(timeouts.requestMs)} (HTTP_REQUEST_TIMEOUT); try again shortly.`, [], { "retry-after": "5" });
    default:
      // zlib's own codes: a body that claims gzip or deflate and is not.
      if (typeof error.code === "string" && /^Z_/.test(error.code)) {
        return HttpError.invalid([{ path: "(body)", message: "not valid gzip or deflate data" }], "The body could not be decompressed.");
      }
      return error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
        ? new HttpError(error.statusCode, "bad_request", `${STATUS_CODES[error.statusCode] ?? "Bad request"}.`)
        : undefined;
  }
}

/** A request's path for the log: without its query string, which may carry customer data. */
const pathOf = (request: FastifyRequest) => request.url.split("?")[0];

/** Sends any error as `{ error: { code, message, problems } }`. */
function send(raw: FastifyError, request: FastifyRequest, reply: FastifyReply, timeouts: { requestMs: number }) {
  const error = raw instanceof HttpError ? raw : fromFastify(raw, request.routeOptions?.bodyLimit ?? 0, timeouts);
  if (error) {
    if (error.status >= 500) request.log.error({ err: raw, method: request.method, path: pathOf(request) }, error.message);
    return reply
      .status(error.status)
      .headers(error.headers)
      .send({ error: { code: error.code, message: error.message, problems: error.problems } });
  }
  // A dependency down or restarting, or a lost deadlock race: 503 with Retry-After, so that clients
  // (Segment's libraries, Stripe) try again. Expected while PostgreSQL restarts, so a warning.
  const unavailable = isTransientDbError(raw);
  if (unavailable) {
    request.log.warn({ err: raw, method: request.method, path: pathOf(request) }, "request failed: PostgreSQL unavailable; answered 503");
    void reply.header("retry-after", "5");
  } else {
    request.log.error({ err: raw, method: request.method, path: pathOf(request) }, "request failed");
  }
  return reply.status(unavailable ? 503 : 500).send({
    error: unavailable
      ? { code: "unavailable", message: "A service Rekindle depends on is not answering; try again shortly.", problems: [] }
      : { code: "internal_error", message: "Something went wrong on our side; it has been logged.", problems: [] },
  });
}

/**
 * The one place errors become responses: `{ error: { code, message, problems } }`, for route
 * errors, the router's own (a malformed URL, an overlong parameter) and the connection's (a
 * request not received in time). A fault that is not a client's (a bug, the database gone) is
 * logged with its stack and answered with a plain 500 (503 when a dependency is down), never
 * with the stack.
 */
export function installErrorHandler(app: FastifyInstance, timeouts: { requestMs: number }): void {
  app.setErrorHandler((raw: FastifyError, request, reply) => send(raw, request, reply, timeouts));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: "not_found", message: `No route for ${request.method} ${pathOf(request)}.`, problems: [] } }),
  );
}

/** Fastify's `frameworkErrors`: router errors, which come before any route's error handler. */
export const frameworkErrors = (timeouts: { requestMs: number }) => (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
  void send(error, request, reply, timeouts);

/**
 * Fastify's `clientErrorHandler`: errors of the connection itself, before there is a request
 * (headers or body not received in time, headers too large, not HTTP). Answered in the same
 * shape, then the connection is closed. The raw packet is never logged: it holds the headers.
 */
export function clientErrorHandler(timeouts: { headersMs: number; bodyMs: number }, log: (code: string) => void) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const [status, code, message] =
      error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request_timeout", `The request was not received in time (headers within ${seconds(timeouts.headersMs)}, the whole request within ${seconds(timeouts.bodyMs)}).`]
        : error.code === "HPE_HEADER_OVERFLOW"
          ? [431, "headers_too_large", "The request's headers are too large."]
          : [400, "bad_request", "The request is not valid HTTP/1.1."];
    log(error.code ?? "unknown");
    if (socket.writable) {
      const body = JSON.stringify({ error: { code, message, problems: [] } });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
