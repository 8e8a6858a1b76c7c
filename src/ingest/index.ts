export { fromSegment, type IncomingEvent } from "./incoming-event.js";
export { ingestEvents, ingestGroup, type IngestRequest, type IngestResult } from "./ingest-events.js";
export { ingestThenMatch } from "./ingest-then-match.js";
export { BACKFILL_INGEST_QUEUE, DEFAULT_INGEST_QUEUE, IngestQueue, type IngestQueueOptions } from "./ingest-queue.js";
export { occurredAt } from "./occurred-at.js";
export { parseSegmentBatch, parseSegmentMessage } from "./parse-segment.js";
export { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, SegmentBatch, SegmentMessage } from "./segment-message.js";
export type { StoredEvent } from "../events/index.js";
