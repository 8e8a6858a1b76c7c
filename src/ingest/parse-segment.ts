import { type Checked, formatPath, type Problem, zodProblems } from "../validation/index.js";
import { fromSegment, type IncomingEvent } from "./incoming-event.js";
import { MAX_MESSAGE_BYTES, SegmentBatch, SegmentMessage, singleMessage } from "./segment-message.js";

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * Checks a `/v1/batch` body whole: every message is validated and measured, and every problem
 * is reported with its path, so a client fixes them all at once. Nothing is stored unless all pass.
 */
export function parseSegmentBatch(body: unknown, receivedAt: Date): Checked<IncomingEvent[]> {
  const envelope = SegmentBatch.safeParse(body);
  if (!envelope.success) return { type: "invalid", problems: zodProblems(envelope.error) };
  const { batch, sentAt, context } = envelope.data;
  const problems: Problem[] = [];
  const events: IncomingEvent[] = [];
  batch.forEach((item, index) => {
    const bytes = Buffer.byteLength(JSON.stringify(item) ?? "");
    if (bytes > MAX_MESSAGE_BYTES) {
      problems.push({ path: formatPath(["batch", index]), message: `message is ${kb(bytes)}; the limit is 32 KB per message` });
      return;
    }
    const message = SegmentMessage.safeParse(item);
    if (!message.success) problems.push(...zodProblems(message.error, ["batch", index]));
    else events.push(fromSegment(message.data, { receivedAt, sentAt, context }));
  });
  return problems.length > 0 ? { type: "invalid", problems } : { type: "ok", value: events };
}

/** Checks the body of `/v1/identify`, `/v1/track`, `/v1/page`... (size is limited by the route). */
export function parseSegmentMessage(type: SegmentMessage["type"], body: unknown, receivedAt: Date): Checked<IncomingEvent> {
  const message = singleMessage(type).safeParse(body);
  if (!message.success) return { type: "invalid", problems: zodProblems(message.error) };
  return { type: "ok", value: fromSegment(message.data, { receivedAt }) };
}
