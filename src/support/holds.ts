import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { auditLog, customers, type Db, pauses, col, queryRows, type Tx } from "../db/index.js";
import { releasePaused, skipStopped } from "../delivery/index.js";
import type { PauseInput, StopInput } from "../api/index.js";
import { addDuration } from "../time/index.js";

export type Scope = { scope: "customer"; customerId: number; label: string } | { scope: "campaign"; campaignId: string } | { scope: "global" };

/** The scope of one customer by their id (`external_id`), or undefined when there is no such customer. */
export async function customerScope(db: Db, id: string): Promise<Extract<Scope, { scope: "customer" }> | undefined> {
  const [row] = await db.select({ id: customers.id }).from(customers).where(eq(customers.externalId, id));
  return row && { scope: "customer", customerId: row.id, label: id };
}

const target = (s: Scope) => (s.scope === "customer" ? { targetType: "customer", targetId: s.label } : s.scope === "campaign" ? { targetType: "campaign", targetId: s.campaignId } : { targetType: "global", targetId: null });

/**
 * Holds sending at a scope. Messages already queued are held too: the send job checks pauses
 * at send time and defers what it finds paused to the pause's end.
 */
export async function pause(db: Db, scope: Scope, input: PauseInput, actor: string, now: Date): Promise<{ pauseId: number }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(pauses)
      .values({
        scope: scope.scope,
        customerId: scope.scope === "customer" ? scope.customerId : null,
        campaignId: scope.scope === "campaign" ? scope.campaignId : null,
        until: input.until ?? null,
        reason: input.reason,
        createdBy: actor,
        createdAt: now,
      })
      .returning({ id: pauses.id });
    if (!row) throw new Error("inserting a pause returned no row");
    await tx.insert(auditLog).values({ actor, action: `${scope.scope}.pause`, ...target(scope), after: { until: input.until ?? null, reason: input.reason }, at: now });
    return { pauseId: row.id };
  });
}

/**
 * Lifts the active pauses of a scope. Messages they held go out now (the time they waited for
 * has passed); later steps keep their own times.
 */
export async function resume(db: Db, scope: Scope, actor: string, now: Date): Promise<{ lifted: number; released: number }> {
  return db.transaction(async (tx) => {
    const where =
      scope.scope === "customer"
        ? and(eq(pauses.scope, "customer"), eq(pauses.customerId, scope.customerId))
        : scope.scope === "campaign"
          ? and(eq(pauses.scope, "campaign"), eq(pauses.campaignId, scope.campaignId))
          : eq(pauses.scope, "global");
    const lifted = await tx.update(pauses).set({ liftedAt: now, liftedBy: actor }).where(and(where, isNull(pauses.liftedAt))).returning({ id: pauses.id, reason: pauses.reason });
    const released = await releaseHeld(tx, scope, now);
    if (lifted.length > 0) await tx.insert(auditLog).values({ actor, action: `${scope.scope}.resume`, ...target(scope), before: lifted, after: { released }, at: now });
    return { lifted: lifted.length, released };
  });
}

async function releaseHeld(tx: Tx, scope: Scope, now: Date): Promise<number> {
  const filter =
    scope.scope === "customer"
      ? sql`m.customer_id = ${scope.customerId}`
      : scope.scope === "campaign"
        ? sql`en.campaign_id = ${scope.campaignId}`
        : sql`true`;
  return releasePaused(tx, filter, now);
}

/**
 * Ends a customer's active enrollments now: their scheduled emails are skipped (queued ones are
 * skipped when their job runs), and with `block` no campaign enrolls them for that long.
 */
export async function stop(db: Db, customer: { id: number; label: string }, input: StopInput, actor: string, now: Date): Promise<{ stopped: number; skipped: number; blockedUntil: Date | null }> {
  return db.transaction(async (tx) => {
    const at = now.toISOString();
    const ended = await queryRows(
      tx,
      z.object({ id: col.int, campaign_id: z.string() }),
      sql`update enrollments set status = 'stopped', ended_at = ${at}::timestamptz, end_reason = ${`stopped by ${actor}: ${input.reason}`}
          where customer_id = ${customer.id} and status = 'active' returning id::int, campaign_id`,
    );
    const skipped = await skipStopped(tx, customer.id, actor, input.reason, now);
    const blockedUntil = input.block ? addDuration(now, input.block) : null;
    if (blockedUntil) await tx.update(customers).set({ enrollmentBlockedUntil: blockedUntil }).where(eq(customers.id, customer.id));
    await tx.insert(auditLog).values({
      actor,
      action: "customer.stop",
      targetType: "customer",
      targetId: customer.label,
      before: { enrollments: ended.map((e) => e.campaign_id) },
      after: { reason: input.reason, blockedUntil },
      at: now,
    });
    return { stopped: ended.length, skipped, blockedUntil };
  });
}
