import { events, type Db, type EventType } from "../db/index.js";

export interface EventRow {
  messageId: string;
  type: EventType;
  name: string;
  customerId: number | null;
  anonymousId: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown>;
  source: string;
  occurredAt: Date;
  receivedAt: Date;
}

/** A stored event, as triggers and the timeline see it. */
export interface StoredEvent {
  id: number;
  messageId: string;
  type: EventType;
  name: string;
  customerId: number | null;
  properties: Record<string, unknown>;
  occurredAt: Date;
}

// Postgres takes at most 65,535 parameters per statement; an event row uses 10.
const ROWS_PER_STATEMENT = 2_000;

/**
 * Inserts events, skipping any whose messageId is already stored, and returns only the new ones:
 * a replayed batch returns nothing and so changes nothing downstream.
 */
export async function insertEvents(db: Db, rows: EventRow[]): Promise<StoredEvent[]> {
  const stored: StoredEvent[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const inserted = await db
      .insert(events)
      .values(chunk)
      .onConflictDoNothing({ target: events.messageId })
      .returning({
        id: events.id,
        messageId: events.messageId,
        type: events.type,
        name: events.name,
        customerId: events.customerId,
        properties: events.properties,
        occurredAt: events.occurredAt,
      });
    stored.push(...inserted);
  }
  return stored;
}
