import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Deps } from "../../deps/index.js";
import { BACKFILL_INGEST_QUEUE, type IncomingEvent, IngestQueue, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, parseSegmentBatch, parseSegmentMessage } from "../../ingest/index.js";
import type { Checked } from "../../validation/index.js";
import { basicUsername, KeyRing, unauthorized } from "../auth.js";
import { HttpError } from "../http-error.js";

const SINGLE_TYPES = ["identify", "track", "page", "screen", "group", "alias"] as const;

/**
 * Segment's HTTP Tracking API: `/v1/identify`, `/v1/track`, `/v1/page`, `/v1/screen`, `/v1/group`,
 * `/v1/alias` and `/v1/batch` (also `/v1/import`). The write key comes as the Basic username, or
 * as `writeKey` in the body, as Segment accepts. Answers `{ "success": true }`.
 */
export function segmentRoutes(app: FastifyInstance, deps: Deps): void {
  const writeKeys = new KeyRing(deps.config.writeKeys, "write-key");
  // Concurrent requests share transactions (group commit); each is still answered once its own events are stored.
  const live = new IngestQueue(deps);
  // A backfill sends big batches back to back: bigger groups, fewer commits and matching passes.
  const backfill = new IngestQueue(deps, BACKFILL_INGEST_QUEUE);

  const authenticate = (request: FastifyRequest) => {
    const fromHeader = basicUsername(request.headers.authorization);
    const body = request.body as { writeKey?: unknown } | undefined;
    const presented = fromHeader ?? (typeof body?.writeKey === "string" ? body.writeKey : undefined);
    if (presented === undefined) throw unauthorized("Send your write key as the username of HTTP Basic auth.", "Basic");
    if (writeKeys.match(presented) === undefined) throw unauthorized("Unknown write key.", "Basic");
  };

  const store = async (checked: Checked<IncomingEvent[]>, receivedAt: Date, queue = live) => {
    if (checked.type === "invalid") throw HttpError.invalid(checked.problems, "The request is invalid; nothing was stored.");
    await queue.ingest(checked.value, receivedAt);
    return { success: true };
  };

  // Auth before the body is read when a header is present, so an unknown key never costs a parse
  // (or a decompression). Segment's libraries may gzip their bodies; the limits count them inflated.
  const options = (bodyLimit: number) => ({
    bodyLimit,
    config: { compressedBody: true },
    onRequest: async (request: FastifyRequest) => {
      if (request.headers.authorization === undefined) return;
      const key = basicUsername(request.headers.authorization);
      if (key === undefined || writeKeys.match(key) === undefined) throw unauthorized("Unknown write key.", "Basic");
    },
  });

  for (const type of SINGLE_TYPES) {
    app.post(`/v1/${type}`, options(MAX_MESSAGE_BYTES), async (request) => {
      authenticate(request);
      const receivedAt = deps.clock.now();
      const checked = parseSegmentMessage(type, request.body, receivedAt);
      return store(checked.type === "ok" ? { type: "ok", value: [checked.value] } : checked, receivedAt);
    });
  }
  for (const path of ["/v1/batch", "/v1/import"]) {
    app.post(path, options(MAX_BATCH_BYTES), async (request) => {
      authenticate(request);
      const receivedAt = deps.clock.now();
      return store(parseSegmentBatch(request.body, receivedAt), receivedAt, path === "/v1/import" ? backfill : live);
    });
  }
}
