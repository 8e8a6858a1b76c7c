/**
 * The floor under ingestion: the CPU that storing an event costs when nothing else is done —
 * no HTTP, no group commit, no matching — with Rekindle's own storing code (`ingestGroup`: the
 * customers' lookup, the messageId claim, the events insert, the `unmatched_events` record, the
 * profiles and the activity upsert), one group after another, each in a transaction of its own
 * that is rolled back instead of committed (nothing is left for the sweep or the later scenarios).
 *
 * From it, the most events per second this machine could ingest if every core did nothing but
 * that: what the ingestion targets are to be read against.
 */
import { cpus } from "node:os";
import { TransactionRollbackError } from "drizzle-orm";
import type pg from "pg";
import type { Db } from "../../src/db/index.js";
import { ensureEventPartitions, monthOf } from "../../src/events/index.js";
import { type IncomingEvent, ingestGroup, parseSegmentBatch } from "../../src/ingest/index.js";
import { cpuOf } from "./processes.js";

export interface StoreFloorCase {
  label: string;
  /** Segment batches, as the clients send them. */
  batches: number;
  batch: (b: number) => Record<string, unknown>[];
  /** Batches per group: what the ingest queue puts in one transaction under the scenario's load. */
  batchesPerGroup: number;
}

export interface StoreFloor {
  label: string;
  events: number;
  eventsPerGroup: number;
  /** CPU per event, µs: parsing and validating the bodies; storing, in this process and in PostgreSQL. */
  parseUs: number;
  storeProcessUs: number;
  storePostgresUs: number;
  /** All cores at nothing but parsing and storing: the most events per second this machine allows. */
  ceilingPerSecond: number;
}

/** `pool`: the bench's own connections, from which PostgreSQL's CPU is read (its backend is left out). */
export async function storeFloor(db: Db, pool: pg.Pool, cases: StoreFloorCase[], log: (line: string) => void): Promise<StoreFloor[]> {
  const floors: StoreFloor[] = [];
  for (const c of cases) {
    const bodies = Array.from({ length: c.batches }, (_, b) => JSON.stringify({ batch: c.batch(b) }));
    const parse = (body: string): IncomingEvent[] => {
      const checked = parseSegmentBatch(JSON.parse(body), new Date());
      if (checked.type !== "ok") throw new Error(`the bench's own batch is invalid: ${JSON.stringify(checked.problems.slice(0, 3))}`);
      return checked.value;
    };
    const cpuUs = (usage: NodeJS.CpuUsage) => usage.user + usage.system;
    let events = 0;
    let groups = 0;
    let parseUs = 0;
    let processUs = 0;
    // PostgreSQL's CPU over the whole loop is storing's: its backends are idle while a group is parsed.
    const { postgresMs } = await cpuOf(pool, [], async () => {
      for (let b = 0; b < bodies.length; b += c.batchesPerGroup) {
        let before = process.cpuUsage();
        const group = bodies.slice(b, b + c.batchesPerGroup).map(parse);
        parseUs += cpuUs(process.cpuUsage(before));
        // Months made for real, outside the transaction rolled back: a partition created there would be
        // rolled back with it while this process remembered it as there.
        await ensureEventPartitions(db, group.flat().map((event) => monthOf(event.occurredAt)));
        before = process.cpuUsage();
        // Each group in a transaction of its own, as the ingest queue runs it, rolled back instead of committed.
        await db
          .transaction(async (tx) => {
            const receivedAt = new Date();
            await ingestGroup(tx, group.map((events) => ({ events, receivedAt })));
            tx.rollback();
          })
          .catch((error: unknown) => {
            if (!(error instanceof TransactionRollbackError)) throw error;
          });
        processUs += cpuUs(process.cpuUsage(before));
        events += group.reduce((sum, events) => sum + events.length, 0);
        groups++;
      }
    });

    const perEvent = (us: number) => +(us / events).toFixed(1);
    const floor: StoreFloor = {
      label: c.label,
      events,
      eventsPerGroup: Math.round(events / groups),
      parseUs: perEvent(parseUs),
      storeProcessUs: perEvent(processUs),
      storePostgresUs: perEvent(postgresMs * 1000),
      ceilingPerSecond: Math.round((cpus().length * 1_000_000 * events) / (parseUs + processUs + postgresMs * 1000)),
    };
    log(`store floor, ${c.label}: ${JSON.stringify(floor)}`);
    floors.push(floor);
  }
  return floors;
}
