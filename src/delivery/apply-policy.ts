import { sql } from "drizzle-orm";
import { z } from "zod";
import type { LoadedCampaign } from "../campaigns/index.js";
import { bigintArray, col, type MessageOutcome, queryRows, textArray, type Tx } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { capAllowsAt, capRemaining, nextOpening } from "../policy/index.js";
import { durationMs } from "../time/index.js";
import { groupBy } from "./group-by.js";
import { at } from "./outbox.js";

export type Policy = { type: "send" } | { type: "defer"; until: Date; outcome: MessageOutcome } | { type: "skip"; outcome: MessageOutcome };

/**
 * What the frequency cap needs to know about the customers of a batch of emails, read once for
 * the batch: their recent sends and their other emails waiting now (with priorities). Their rows
 * are locked first, so decisions about one customer are serialised across workers.
 */
export interface PolicyFacts {
  sends: Map<number, Date[]>;
  waiting: Map<number, { id: number; priority: number }[]>;
}

function capApplies(deps: Deps, campaign: LoadedCampaign): boolean {
  const { frequencyCap, frequencyCapExempt } = deps.config.delivery;
  return frequencyCap.length > 0 && campaign.definition.delivery.frequency_cap && !frequencyCapExempt.includes(campaign.definition.category);
}

/** Locks the customers the cap applies to (in id order, so batches cannot deadlock) and reads their facts. */
export async function loadPolicyFacts(tx: Tx, deps: Deps, emails: readonly { customer_id: number; campaign: LoadedCampaign }[], now: Date): Promise<PolicyFacts> {
  const facts: PolicyFacts = { sends: new Map(), waiting: new Map() };
  const ids = [...new Set(emails.filter((e) => capApplies(deps, e.campaign)).map((e) => e.customer_id))].sort((a, b) => a - b);
  if (ids.length === 0) return facts;
  const { frequencyCap, frequencyCapExempt } = deps.config.delivery;
  const customers = bigintArray(ids);
  await tx.execute(sql`select 1 from customers where id = any(${customers}) order by id for update`);
  const horizon = Math.max(...frequencyCap.map((rule) => durationMs(rule.window, now)));
  const exempt = textArray(frequencyCapExempt);
  const counted = sql`m.customer_id = any(${customers}) and m.kind = 'email' and coalesce(m.category, '') <> all(${exempt})`;
  const sends = await queryRows(
    tx,
    z.object({ customer_id: col.int, at: col.timestamp }),
    sql`select m.customer_id::int, coalesce(m.sent_at, m.updated_at) as at from messages m
        where ${counted} and m.status in ('sent', 'sending') and coalesce(m.sent_at, m.updated_at) > ${at(new Date(now.getTime() - horizon))}`,
  );
  for (const [customer, list] of groupBy(sends, (send) => send.customer_id)) facts.sends.set(customer, list.map((send) => send.at));
  const waiting = await queryRows(
    tx,
    z.object({ customer_id: col.int, id: col.int, priority: col.int }),
    sql`select m.customer_id::int, m.id::int, m.priority from messages m
        where ${counted} and m.status in ('scheduled', 'queued') and m.due_at <= ${at(now)}`,
  );
  for (const [customer, list] of groupBy(waiting, (message) => message.customer_id)) facts.waiting.set(customer, list.map(({ id, priority }) => ({ id, priority })));
  return facts;
}

/** Once an email of the batch is claimed, the next decisions for its customer count it as sent. */
export function noteClaimed(facts: PolicyFacts, row: { id: number; customer_id: number }, now: Date): void {
  facts.sends.set(row.customer_id, [...(facts.sends.get(row.customer_id) ?? []), now]);
  const waiting = facts.waiting.get(row.customer_id);
  if (waiting) facts.waiting.set(row.customer_id, waiting.filter((message) => message.id !== row.id));
}

/**
 * The delivery policy for one email now: the frequency cap (counted over the customer's recent
 * sends, higher-priority campaigns first) and the send window in the customer's time zone. Over
 * the cap or outside the window, the email is deferred to the earliest allowed moment (or skipped,
 * when the campaign says so) — never dropped.
 */
export function applyPolicy(deps: Deps, facts: PolicyFacts, row: { id: number; customer_id: number; timezone: string | null }, campaign: LoadedCampaign, now: Date): Policy {
  const { frequencyCap, sendWindow, defaultTimeZone } = deps.config.delivery;
  const settings = campaign.definition.delivery;
  let earliest = now;
  let reason: Extract<MessageOutcome, { type: "capped" | "quiet_hours" }> | undefined;
  if (capApplies(deps, campaign)) {
    const times = facts.sends.get(row.customer_id) ?? [];
    const allowedAt = capAllowsAt(times, frequencyCap, now);
    if (allowedAt > now) {
      if (settings.over_cap === "skip") return { type: "skip", outcome: { type: "capped", allowedAt } };
      earliest = allowedAt;
      reason = { type: "capped", allowedAt };
    } else {
      const ahead = (facts.waiting.get(row.customer_id) ?? []).filter((message) => message.id !== row.id && message.priority > campaign.definition.priority).length;
      if (ahead > 0 && ahead >= capRemaining(times, frequencyCap, now)) {
        // Leave the room to them: count them as sent now, and wait for what the cap then allows.
        const withAhead = [...times, ...Array.from({ length: ahead }, () => now)];
        const later = capAllowsAt(withAhead, frequencyCap, now);
        if (settings.over_cap === "skip") return { type: "skip", outcome: { type: "capped", detail: "a higher-priority email goes first" } };
        earliest = later;
        reason = { type: "capped", detail: "a higher-priority email goes first", allowedAt: later };
      }
    }
  }
  if (sendWindow && settings.quiet_hours) {
    const opening = nextOpening(earliest, row.timezone ?? defaultTimeZone, sendWindow);
    if (opening > earliest) {
      earliest = opening;
      reason = reason?.type === "capped" ? { ...reason, alsoQuietHours: true } : { type: "quiet_hours", window: `${sendWindow.start}-${sendWindow.end}` };
    }
  }
  return earliest > now && reason ? { type: "defer", until: earliest, outcome: { ...reason, until: earliest } } : { type: "send" };
}
