import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, type EventType, queryRows } from "../db/index.js";
import { ensureEventPartitions, forgetEventPartitions, isMissingPartitionError, monthOf } from "./event-partitions.js";

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

/**
 * What `insertEvents` reads back of each event it stored: its id. The rest is what was sent, so it
 * is taken from the rows in hand rather than parsed again from the answer.
 */
const InsertedEvent = z.object({ id: col.int8, message_id: z.string() });

/** A stored event, as triggers and the timeline see it. */
export interface StoredEvent {
  id: number;
  messageId: string;
  type: EventType;
  name: string;
  customerId: number | null;
  properties: Record<string, unknown>;
  occurredAt: Date;
  /**
   * The customer's last activity before the group that stored this event (null: none), where the
   * ingestion path knows it (`applyProfilePatches`); undefined elsewhere. Never later than the
   * truth. Lets matching set aside, unread, a login that cannot be a return after a pause.
   */
  customerLastSeenBefore?: Date | null;
}

// One statement per this many rows (a batch is at most 500 KB, so usually one).
const ROWS_PER_STATEMENT = 2_000;

/**
 * Inserts events, skipping any whose messageId is already stored, and returns only the new ones:
 * a replayed batch returns nothing and so changes nothing downstream. The rows travel as one JSON
 * parameter rather than ten parameters each: cheaper to build, send and plan.
 *
 * The messageId is claimed in `event_message_ids` by the same statement that stores the event, so
 * two requests carrying one messageId at the same time store it once (the second waits on the
 * first's key, then skips it). A row whose month has no partition yet gets one first.
 *
 * The same statement records the new events in `unmatched_events`, so they commit together: the
 * caller matches them after its commit (`matchAfterCommit`, which deletes that record), and if it
 * never gets there, the sweep does.
 */
export async function insertEvents(db: Db, rows: EventRow[]): Promise<StoredEvent[]> {
  // A list may carry the same messageId twice; the first one counts.
  const seen = new Set<string>();
  const unique = rows.filter((row) => !seen.has(row.messageId) && seen.add(row.messageId));
  if (unique.length === 0) return [];
  await ensureEventPartitions(db, unique.map((row) => monthOf(row.occurredAt)));
  const stored: StoredEvent[] = [];
  for (let start = 0; start < unique.length; start += ROWS_PER_STATEMENT) {
    const rowsOfChunk = unique.slice(start, start + ROWS_PER_STATEMENT);
    const chunk = rowsOfChunk.map((row, ord) => ({
      ord,
      message_id: row.messageId,
      type: row.type,
      name: row.name,
      customer_id: row.customerId,
      anonymous_id: row.anonymousId,
      properties: row.properties,
      context: row.context,
      source: row.source,
      occurred_at: row.occurredAt.toISOString(),
      received_at: row.receivedAt.toISOString(),
    }));
    let inserted: z.infer<typeof InsertedEvent>[];
    try {
      inserted = await queryRows(
        db,
        InsertedEvent,
        // The messageIds are claimed in key order: two batches sharing several ids then wait on each
        // other in the same order instead of deadlocking. The events go in the order given.
        sql`with r as materialized (
              select * from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as r(
                ord int, message_id text, type text, name text, customer_id bigint, anonymous_id text,
                properties jsonb, context jsonb, source text, occurred_at timestamptz, received_at timestamptz)),
            claimed as (
              insert into event_message_ids (message_id)
              select message_id from r order by message_id
              on conflict (message_id) do nothing
              returning message_id),
            stored as (
              insert into events (message_id, type, name, customer_id, anonymous_id, properties, context, source, occurred_at, received_at)
              select r.message_id, r.type::event_type, r.name, r.customer_id, r.anonymous_id, r.properties, r.context, r.source, r.occurred_at, r.received_at
              from r where r.message_id in (select message_id from claimed)
              order by r.ord
              returning id, message_id, occurred_at, received_at),
            unmatched as (${unmatchedGroupSql(sql`stored`)})
            select id, message_id from stored order by id`,
      );
    } catch (error) {
      // A month this process knew was dropped meanwhile (retention, by another process): ask again next time.
      if (isMissingPartitionError(error)) forgetEventPartitions();
      throw error;
    }
    const sent = new Map(rowsOfChunk.map((row) => [row.messageId, row]));
    for (const { id, message_id: messageId } of inserted) {
      const row = sent.get(messageId);
      if (!row) throw new Error(`insertEvents: the database stored messageId ${messageId}, which this statement did not send`);
      stored.push({ id, messageId, type: row.type, name: row.name, customerId: row.customerId, properties: row.properties, occurredAt: row.occurredAt });
    }
  }
  return stored;
}

/**
 * An `insert into unmatched_events` of one group: the rows of `source` (a CTE of events with `id`,
 * `occurred_at` and `received_at`), none when it is empty. For use inside a statement that stores
 * or attaches those events, so the record commits with them.
 */
export function unmatchedGroupSql(source: SQL): SQL {
  return sql`insert into unmatched_events (first_event_id, event_ids, occurred_from, occurred_to, stored_at)
    select min(id), array_agg(id order by id), min(occurred_at), max(occurred_at), max(received_at) from ${source}
    having count(*) > 0`;
}
