import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../../db/index.js";
import { eventCandidatesSql, scanCandidatesSql, SqlScope } from "../compile/index.js";
import { isEventTrigger, type Trigger } from "../definition/index.js";
import { describeEventTrigger } from "./explain-event-trigger.js";
import { describeScanTrigger } from "./explain-scan-trigger.js";
import type { EntryCheck } from "./explanation.js";
import { isoSql } from "./sql-text.js";
import { durationWords } from "./words.js";

/** A moment the trigger offers the customer now: what enrollment would record. */
export interface Moment {
  triggerKey: string;
  sortAt: string;
  facts: Record<string, unknown>;
}

/** The trigger in a few words, e.g. "card expiring within 30 days". */
export function triggerWords(trigger: Trigger): string {
  switch (trigger.type) {
    case "card_expiring":
      return `card expiring within ${durationWords(trigger.within)}`;
    case "payment_failed":
      return `a failed payment (“${trigger.event}”)`;
    case "inactive":
      return `inactive for ${durationWords(trigger.for)}`;
    case "usage_drop":
      return `“${trigger.event}” falling by ${Math.round(trigger.drop * 100)}% over ${durationWords(trigger.window)}`;
    case "cancel_page_visited":
      return `a visit to ${trigger.path}, ${durationWords(trigger.grace)} without cancelling`;
    case "returned_after_pause":
      return `back after at least ${durationWords(trigger.min_pause)} away`;
    case "not_activated":
      return `no “${trigger.activation_event}” ${durationWords(trigger.after)} after sign-up`;
    case "data_exported":
      return `data exported (“${trigger.event}”)`;
    case "downgraded":
      return `a downgrade (“${trigger.event}”)`;
    case "tenure":
      return `a customer for ${durationWords(trigger.at)}`;
    case "low_engagement":
      return `in the bottom ${Math.round(trigger.percentile * 100)}% by activity over ${durationWords(trigger.window)}`;
    case "event":
      return `the event “${trigger.name}”`;
  }
}

/**
 * The trigger check: whether the customer is in the trigger's candidate set now (its own compiled
 * statement, restricted to them: the same answer the scan or the dry run gets), and their values
 * against the trigger's window in words.
 */
export async function explainTrigger(db: Db, trigger: Trigger, customerId: number, now: Date, eventWindowMs: number): Promise<{ check: EntryCheck; moments: Moment[] }> {
  const scope = new SqlScope(now);
  const candidates = isEventTrigger(trigger)
    ? eventCandidatesSql(trigger, { receivedSince: new Date(now.getTime() - eventWindowMs) }, scope)
    : scanCandidatesSql(trigger, scope);
  const rows = await queryRows(
    db,
    z.object({ trigger_key: z.string(), sort_at: z.string(), facts: col.jsonObject }),
    sql`select m.trigger_key, ${isoSql(sql`m.sort_at`)} as sort_at, m.facts from (${candidates}) m where m.customer_id = ${customerId} order by m.sort_at, m.trigger_key`,
  );
  const moments = rows.map((row) => ({ triggerKey: row.trigger_key, sortAt: row.sort_at, facts: row.facts }));
  const matched = moments.length > 0;
  const facts = moments[0]?.facts;
  const words = isEventTrigger(trigger)
    ? await describeEventTrigger(db, trigger, customerId, now, eventWindowMs, matched, facts)
    : await describeScanTrigger(db, trigger, customerId, now, matched, facts);
  return {
    check: { test: "trigger", title: `Trigger: ${triggerWords(trigger)}`, passed: matched, stops: "entry", detail: words.detail, ...(!matched && words.next && { next: words.next }) },
    moments,
  };
}
