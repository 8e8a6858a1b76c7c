import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../db/index.js";
import { lastHours, periodsJson } from "../reports/index.js";

/** One hour of sending, as the ops screen draws it. */
export interface SendHour {
  /** The hour's first moment, ISO. */
  from: string;
  sent: number;
  /** Given up on in that hour: refused by the mail server, unrenderable, out of retries. */
  failed: number;
  /** Left uncertain in that hour (a worker stopped mid-send). */
  uncertain: number;
}

/**
 * Sends and failures per hour over the last `hours` hours (the current one so far): the same counts
 * as the status's "last hour", by the same partial indexes, one range per hour.
 */
export async function hourlySends(db: Db, now: Date, hours: number): Promise<{ hours: SendHour[] }> {
  const periods = lastHours(now, hours);
  const rows = await queryRows(
    db,
    z.object({ i: col.int, sent: col.int, failed: col.int, uncertain: col.int }),
    sql`select p.i,
               (select count(*)::int from messages m where m.status = 'sent' and m.sent_at >= p.start_at and m.sent_at < p.end_at) as sent,
               (select count(*)::int from messages m where m.status = 'failed' and m.updated_at >= p.start_at and m.updated_at < p.end_at) as failed,
               (select count(*)::int from messages m where m.status = 'uncertain' and m.updated_at >= p.start_at and m.updated_at < p.end_at) as uncertain
        from jsonb_to_recordset(${periodsJson(periods)}::jsonb) as p(i int, start_at timestamptz, end_at timestamptz)`,
  );
  return {
    hours: periods.map((period, i) => {
      const row = rows.find((r) => r.i === i);
      return { from: period.start.toISOString(), sent: row?.sent ?? 0, failed: row?.failed ?? 0, uncertain: row?.uncertain ?? 0 };
    }),
  };
}
