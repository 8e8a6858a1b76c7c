import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../db/index.js";

const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;

/**
 * Claims scheduled messages falling due before `until` (FOR UPDATE SKIP LOCKED on the partial
 * index of scheduled rows, so dispatchers never wait on each other) and marks them queued with a
 * lease: a message not finished by then goes back to the outbox.
 */
export async function claimDueMessages(db: Db, now: Date, until: Date, lease: string, limit: number): Promise<{ id: number; dueAt: Date }[]> {
  const rows = await queryRows<{ id: string | number; due_at: string | Date }>(
    db,
    sql`with due as (
          select id from messages where status = 'scheduled' and due_at <= ${at(until)}
          order by due_at limit ${limit} for update skip locked)
        update messages m set status = 'queued', lease_until = greatest(m.due_at, ${at(now)}) + ${lease}::interval, updated_at = ${at(now)}
        from due where m.id = due.id
        returning m.id, m.due_at`,
  );
  return rows.map((row) => ({ id: Number(row.id), dueAt: new Date(row.due_at) }));
}

/**
 * Leases that ran out: a queued message (its job lost with Redis, say) goes back to the outbox; a
 * message claimed for SMTP whose worker never came back is `uncertain` — it may have been sent,
 * so it is reported, never sent again on its own.
 */
export async function reclaimExpired(db: Db, now: Date): Promise<{ requeued: number; uncertain: number }> {
  const [row] = await queryRows<{ requeued: number; uncertain: number }>(
    db,
    sql`with back as (
          update messages set status = 'scheduled', lease_until = null, updated_at = ${at(now)}
          where status = 'queued' and lease_until < ${at(now)} returning id),
        lost as (
          update messages set status = 'uncertain', updated_at = ${at(now)},
            outcome = jsonb_build_object('type', 'uncertain', 'reason', 'the worker stopped after handing the email to SMTP and before hearing back')
          where status = 'sending' and lease_until < ${at(now)} returning id)
        select (select count(*)::int from back) as requeued, (select count(*)::int from lost) as uncertain`,
  );
  return row ?? { requeued: 0, uncertain: 0 };
}
