import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type Stripe from "stripe";
import type { MatchDeps } from "../campaigns/index.js";
import { ingestThenMatch } from "../ingest/index.js";
import { applyStripeEvent, type StripeOutcome } from "./apply-event.js";

export interface ImportReport {
  lines: number;
  outcomes: Record<StripeOutcome, number>;
  /** Lines that could not be read, with their number and why. */
  problems: { line: number; message: string }[];
}

type StripeObject = { id?: string; object?: string; created?: number; status?: string; attempt_count?: number; customer?: unknown };

/** An exported object turned into the event that would have carried it. */
function asEvent(object: StripeObject): Stripe.Event | undefined {
  const type =
    object.object === "customer"
      ? "customer.updated"
      : object.object === "subscription"
        ? "customer.subscription.updated"
        : object.object === "payment_method"
          ? "payment_method.attached"
          : object.object === "card" || object.object === "source"
            ? "customer.source.expiring"
            : object.object === "invoice"
              ? object.status === "paid"
                ? "invoice.paid"
                : object.status === "open" && (object.attempt_count ?? 0) > 0
                  ? "invoice.payment_failed"
                  : undefined
              : undefined;
  if (!type || !object.id) return undefined;
  const created = object.created ?? Math.floor(Date.now() / 1000);
  return { id: `import_${object.id}_${created}`, object: "event", created, type, data: { object } } as unknown as Stripe.Event;
}

/**
 * `rekindle stripe import <file.jsonl>`: replays exported Stripe events, or objects (customers,
 * subscriptions, payment methods, cards, invoices), through the same mapping as the webhook, oldest
 * first, once each. Imported events count as received when they happened, so the live matcher's
 * sweep does not start campaigns for history. Each event is matched right after it is applied, as
 * a webhook delivery is, in the file's time order: an imported `invoice.paid` ends the dunning
 * sequence its failure started, and only events younger than EVENT_TRIGGER_MAX_AGE start any.
 */
export async function importStripeFile(deps: MatchDeps, file: string, metadataKey: string, now: Date): Promise<ImportReport> {
  const report: ImportReport = { lines: 0, outcomes: { applied: 0, duplicate: 0, ignored: 0, unlinked: 0 }, problems: [] };
  const events: { line: number; event: Stripe.Event }[] = [];
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const text of lines) {
    report.lines++;
    if (text.trim() === "") continue;
    let value: StripeObject & { type?: string; data?: unknown };
    try {
      value = JSON.parse(text) as typeof value;
    } catch (error) {
      report.problems.push({ line: report.lines, message: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const event = value.object === "event" && value.type && value.data ? (value as unknown as Stripe.Event) : asEvent(value);
    if (!event) {
      report.problems.push({ line: report.lines, message: `not a Stripe event or an object Rekindle imports (${value.object ?? "no object type"})` });
      continue;
    }
    events.push({ line: report.lines, event });
  }
  events.sort((a, b) => a.event.created - b.event.created || a.line - b.line);
  for (const { line, event } of events) {
    try {
      const result = await ingestThenMatch(deps, "stripe", () => applyStripeEvent(deps.db, event, metadataKey, now, { backfill: true }));
      report.outcomes[result.outcome]++;
    } catch (error) {
      report.problems.push({ line, message: (error as Error).message });
    }
  }
  return report;
}
