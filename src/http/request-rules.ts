import { createGunzip, createInflate } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { inputProblems } from "../validation/index.js";
import { HttpError } from "./http-error.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route takes gzip and deflate bodies (Content-Encoding); its body limit applies after decompression. */
    compressedBody?: boolean;
  }
}

/**
 * The rules every request passes, whatever its route, so that no route can forget them:
 * - a compressed body only where the route takes one, decompressed as it streams so that the
 *   route's body limit counts the decompressed bytes (a small gzip bomb is refused at the limit);
 * - no string anywhere in the body, query or parameters with a NUL character or an unpaired
 *   surrogate, and no nesting past MAX_DEPTH (400 naming each place), before any handler runs.
 */
export function installRequestRules(app: FastifyInstance): void {
  app.addHook("preParsing", async (request, _reply, payload) => {
    const encoding = String(request.headers["content-encoding"] ?? "").trim().toLowerCase();
    const hasBody = request.headers["transfer-encoding"] !== undefined || Number(request.headers["content-length"] ?? 0) > 0;
    if (encoding === "" || encoding === "identity" || !hasBody) return payload;
    const decoder = encoding === "gzip" || encoding === "x-gzip" ? createGunzip() : encoding === "deflate" ? createInflate() : undefined;
    if (!decoder || request.routeOptions.config.compressedBody !== true) {
      throw new HttpError(415, "unsupported_content_encoding", request.routeOptions.config.compressedBody ? "Send the body as gzip, deflate, or uncompressed." : "Send the body uncompressed (this endpoint takes no Content-Encoding).");
    }
    // Fastify compares Content-Length with the bytes that arrived, not with what they inflate to.
    const counted = Object.assign(decoder, { receivedEncodedLength: 0 });
    payload.on("data", (chunk: Buffer) => (counted.receivedEncodedLength += chunk.length));
    payload.on("error", (error) => decoder.destroy(error));
    return payload.pipe(counted);
  });

  app.addHook("preValidation", async (request) => {
    const problems = [...inputProblems(request.params, ["params"]), ...inputProblems(request.query, ["query"]), ...inputProblems(request.body)];
    if (problems.length > 0) throw HttpError.invalid(problems, "The request is invalid; nothing was stored.");
  });
}
