import { sql } from "drizzle-orm";
import type { LoadedCampaign } from "../campaigns/index.js";
import { queryRows, type Tx } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { capAllowsAt, capRemaining, nextOpening } from "../policy/index.js";
import { durationMs } from "../time/index.js";

const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;

export type Policy = { type: "send" } | { type: "defer"; until: Date; outcome: Record<string, unknown> } | { type: "skip"; outcome: Record<string, unknown> };

/**
 * The delivery policy for one email now: the frequency cap (counted over the customer's recent
 * sends, serialised per customer by locking their row, higher-priority campaigns first) and the
 * send window in the customer's time zone. Over the cap or outside the window, the email is
 * deferred to the earliest allowed moment (or skipped, when the campaign says so) — never dropped.
 */
export async function applyPolicy(
  tx: Tx,
  deps: Deps,
  row: { id: number; customer_id: number; timezone: string | null },
  campaign: LoadedCampaign,
  now: Date,
): Promise<Policy> {
  const { frequencyCap, frequencyCapExempt, sendWindow, defaultTimeZone } = deps.config.delivery;
  const settings = campaign.definition.delivery;
  let earliest = now;
  let reason: Record<string, unknown> | undefined;
  if (frequencyCap.length > 0 && settings.frequency_cap && !frequencyCapExempt.includes(campaign.definition.category)) {
    await tx.execute(sql`select 1 from customers where id = ${row.customer_id} for update`);
    const horizon = Math.max(...frequencyCap.map((rule) => durationMs(rule.window, now)));
    const exempt = sql`array(select jsonb_array_elements_text(${JSON.stringify(frequencyCapExempt)}::jsonb))`;
    const counted = sql`m.customer_id = ${row.customer_id} and m.kind = 'email' and coalesce(m.category, '') <> all(${exempt})`;
    const sends = await queryRows<{ at: string }>(
      tx,
      sql`select coalesce(m.sent_at, m.updated_at) as at from messages m
          where ${counted} and m.status in ('sent', 'sending') and coalesce(m.sent_at, m.updated_at) > ${at(new Date(now.getTime() - horizon))}`,
    );
    const times = sends.map((s) => new Date(s.at));
    const allowedAt = capAllowsAt(times, frequencyCap, now);
    if (allowedAt > now) {
      if (settings.over_cap === "skip") return { type: "skip", outcome: { type: "capped", allowedAt } };
      earliest = allowedAt;
      reason = { type: "capped", allowedAt };
    } else {
      const [higher] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from messages m
            where ${counted} and m.id <> ${row.id} and m.status in ('scheduled', 'queued') and m.due_at <= ${at(now)} and m.priority > ${campaign.definition.priority}`,
      );
      const ahead = higher?.n ?? 0;
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
      reason = reason ? { ...reason, alsoQuietHours: true } : { type: "quiet_hours", window: `${sendWindow.start}-${sendWindow.end}` };
    }
  }
  return earliest > now ? { type: "defer", until: earliest, outcome: { ...reason, until: earliest } } : { type: "send" };
}

