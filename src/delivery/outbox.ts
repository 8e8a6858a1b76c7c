import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { type LoadedCampaign, planFrom, scheduleCtes } from "../campaigns/index.js";
import { col, type Db, type MessageOutcome, queryRows, type Tx } from "../db/index.js";
import { groupBy } from "./group-by.js";

/*
 * The outbox's life cycle, every transition in one place. Each is one statement that names the
 * states it may move a row from, so that running it twice, late, or after another process got
 * there first changes nothing it should not:
 *
 *   scheduled ─dispatch─▶ queued ─claim─▶ sending ─record─▶ sent | failed
 *       ▲                   │  │             │  │
 *       └──requeue (lease ran out, or Redis lost the jobs)   │  └─lease ran out─▶ uncertain ─record─▶ sent | failed
 *       ▲                      │             └─retry later (SMTP said 4xx)─▶ queued
 *       └──defer (paused, capped, quiet hours)
 *   queued | scheduled ─finish─▶ skipped | done | failed   (checks at send time)
 *
 * The guarantee: a row is handed to SMTP only by the claim that moved it to `sending`, and once
 * SMTP may have it, nothing moves it back to `queued` or `scheduled`: its result is recorded
 * (retried for as long as it takes), or it becomes `uncertain` and is never sent on its own again.
 */

export const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;
const outcomeJson = (outcome: MessageOutcome) => sql`${JSON.stringify(outcome)}::jsonb`;

/** scheduled → queued: messages due before `until`, each with a lease past its due time (SKIP LOCKED: dispatchers never wait on each other). */
export async function queueDue(db: Db, now: Date, until: Date, lease: string, limit: number): Promise<{ id: number; dueAt: Date }[]> {
  const rows = await queryRows(
    db,
    z.object({ id: col.int8, due_at: col.timestamp }),
    sql`with due as (
          select id from messages where status = 'scheduled' and due_at <= ${at(until)}
          order by due_at limit ${limit} for update skip locked)
        update messages m set status = 'queued', lease_until = greatest(m.due_at, ${at(now)}) + ${lease}::interval, updated_at = ${at(now)}
        from due where m.id = due.id and m.status = 'scheduled'
        returning m.id, m.due_at`,
  );
  return rows.map((row) => ({ id: row.id, dueAt: row.due_at }));
}

/** queued → scheduled, all of them: Redis lost its data, so their jobs are gone. Dispatched again at once (same job ids: a job that survived is not doubled). */
export async function requeueAllQueued(db: Db, now: Date): Promise<number> {
  const [row] = await queryRows(
    db,
    z.object({ n: col.int }),
    sql`with back as (update messages set status = 'scheduled', lease_until = null, updated_at = ${at(now)} where status = 'queued' returning id)
        select count(*)::int as n from back`,
  );
  return row?.n ?? 0;
}

/**
 * Leases that ran out: a queued row (its job lost) goes back to `scheduled`; a `sending` row whose
 * worker never recorded an answer becomes `uncertain` — it may have been sent, so it is reported,
 * never sent again on its own.
 */
export async function reclaimExpired(db: Db, now: Date): Promise<{ requeued: number; uncertain: number }> {
  const uncertain: MessageOutcome = { type: "uncertain", reason: "the worker stopped after handing the email to SMTP and before recording the answer" };
  const [row] = await queryRows(
    db,
    z.object({ requeued: col.int, uncertain: col.int }),
    sql`with back as (
          update messages set status = 'scheduled', lease_until = null, updated_at = ${at(now)}
          where status = 'queued' and lease_until < ${at(now)} returning id),
        lost as (
          update messages set status = 'uncertain', updated_at = ${at(now)}, outcome = ${outcomeJson(uncertain)}
          where status = 'sending' and lease_until < ${at(now)} returning id)
        select (select count(*)::int from back) as requeued, (select count(*)::int from lost) as uncertain`,
  );
  return row ?? { requeued: 0, uncertain: 0 };
}

/**
 * queued | scheduled → sending, in the claim's transaction, committed before SMTP is called. The
 * token marks the claim: a claim retried after its commit was lost recognises its own rows, and
 * only the holder of the token records the result.
 */
export async function markSending(tx: Tx, rows: readonly { id: number; email: string | null }[], token: string, now: Date, lease: string): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(sql`update messages m set status = 'sending', attempts = m.attempts + 1, lease_until = ${at(now)} + ${lease}::interval,
                         to_address = v.email, claim_token = ${token}::uuid, updated_at = ${at(now)}
                       from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id bigint, email text)
                       where m.id = v.id and (m.status in ('queued', 'scheduled') or (m.status = 'sending' and m.claim_token = ${token}::uuid))`);
}

/** queued | scheduled → skipped | done | failed: a check at send time ended the step (in the claim's transaction). */
export async function finish(tx: Tx, id: number, status: "skipped" | "done" | "failed", now: Date, outcome: MessageOutcome): Promise<void> {
  await tx.execute(sql`update messages set status = ${status}, lease_until = null, updated_at = ${at(now)}, outcome = ${outcomeJson(outcome)}
                       where id = ${id} and status in ('queued', 'scheduled')`);
}

/** queued | scheduled → scheduled later: paused, capped, outside the send window, campaign unavailable. */
export async function defer(tx: Tx, id: number, until: Date, now: Date, outcome: MessageOutcome): Promise<void> {
  await tx.execute(sql`update messages set status = 'scheduled', due_at = ${at(until)}, lease_until = null, updated_at = ${at(now)}, outcome = ${outcomeJson(outcome)}
                       where id = ${id} and status in ('queued', 'scheduled')`);
}

/**
 * sending → queued: SMTP (or the webhook) answered with a transient failure, so nothing was
 * delivered; the queue tries the job again after `retryAt`. The lease covers the wait and more,
 * in case the job is lost meanwhile. Only the claim's holder may do this.
 */
export async function retryLater(db: Db, id: number, token: string, now: Date, leaseUntil: Date, outcome: MessageOutcome): Promise<void> {
  await db.execute(sql`update messages set status = 'queued', lease_until = ${at(leaseUntil)}, outcome = ${outcomeJson(outcome)}, updated_at = ${at(now)}
                       where id = ${id} and status = 'sending' and claim_token = ${token}::uuid`);
}

/** What a finished send writes on its row (optional fields keep what the row has). */
export interface SendRecord {
  id: number;
  token: string;
  enrollmentId: number;
  status: "sent" | "failed";
  outcome: MessageOutcome;
  subject?: string;
  smtpMessageId?: string;
  smtpResponse?: string;
  sentAt?: Date;
  /** The language of the email sent (its unsubscribe page speaks it). */
  locale?: string;
}

/**
 * sending | uncertain → sent | failed, with the next step of each message scheduled in the same
 * statement (one per campaign version and next step). Guarded by the claim's token and the states
 * it moves from, so a batch recorded twice (its first answer lost with the connection) schedules
 * nothing twice. A row already `uncertain` (its lease ran out while PostgreSQL was away) is
 * corrected: the worker knows what SMTP said.
 */
export async function recordResults(
  db: Db,
  results: readonly { record: SendRecord; campaign: LoadedCampaign; nextStep: string }[],
  now: Date,
  defaultTimeZone: string,
): Promise<void> {
  const groups = groupBy(results, (result) => `${result.campaign.versionId}\u0000${result.nextStep}`);
  for (const group of groups.values()) {
    const [first] = group;
    if (!first) continue;
    const { campaign, nextStep } = first;
    const values = group.map(({ record: r }) => ({
      id: r.id,
      token: r.token,
      status: r.status,
      outcome: r.outcome,
      subject: r.subject ?? null,
      smtp_message_id: r.smtpMessageId ?? null,
      smtp_response: r.smtpResponse ?? null,
      sent_at: r.sentAt?.toISOString() ?? null,
      locale: r.locale ?? null,
    }));
    await db.execute(sql`
      with finished as (
        update messages m set status = v.status::message_status, lease_until = null, updated_at = ${at(now)}, outcome = v.outcome,
               subject = coalesce(v.subject, m.subject), smtp_message_id = coalesce(v.smtp_message_id, m.smtp_message_id),
               smtp_response = coalesce(v.smtp_response, m.smtp_response), sent_at = coalesce(v.sent_at, m.sent_at), locale = coalesce(v.locale, m.locale)
        from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(
          id bigint, token uuid, status text, outcome jsonb, subject text, smtp_message_id text, smtp_response text, sent_at timestamptz, locale text)
        where m.id = v.id and m.status in ('sending', 'uncertain') and m.claim_token = v.token
        returning m.enrollment_id),
      enrolled as (
        select en.id, en.customer_id from enrollments en join finished f on f.enrollment_id = en.id where en.status = 'active'),
      ${scheduleCtes(campaign, planFrom(campaign.definition, nextStep), at(now), defaultTimeZone, { updateEnrollments: true })}
      select 1`);
  }
}

/** scheduled → skipped, every one of a customer's: support stopped their sequences (queued ones are skipped when their job finds the enrollment ended). */
export async function skipStopped(tx: Tx, customerId: number, by: string, reason: string, now: Date): Promise<number> {
  const stopped: MessageOutcome = { type: "stopped", by, reason };
  const [row] = await queryRows(
    tx,
    z.object({ n: col.int }),
    sql`with skipped as (update messages set status = 'skipped', updated_at = ${at(now)}, lease_until = null, outcome = ${outcomeJson(stopped)}
                         where customer_id = ${customerId} and status = 'scheduled' returning id)
        select count(*)::int as n from skipped`,
  );
  return row?.n ?? 0;
}

/** scheduled (held by a pause) → due now: the pause was lifted. */
export async function releasePaused(tx: Tx, filter: SQL, now: Date): Promise<number> {
  const [row] = await queryRows(
    tx,
    z.object({ n: col.int }),
    sql`with released as (
          update messages m set due_at = ${at(now)}, updated_at = ${at(now)}
          from enrollments en
          where en.id = m.enrollment_id and ${filter} and m.status = 'scheduled' and m.outcome ->> 'type' = 'paused'
          returning m.id)
        select count(*)::int as n from released`,
  );
  return row?.n ?? 0;
}

/** Suppresses an address SMTP refused as a recipient (a hard bounce); idempotent. */
export async function suppressBounce(db: Db, email: string, detail: string, now: Date): Promise<void> {
  await db.execute(sql`insert into suppressions (email, category, reason, detail, created_by, created_at)
                       values (${email.toLowerCase()}, null, 'bounce', ${detail.slice(0, 500)}, 'smtp', ${at(now)})
                       on conflict do nothing`);
}

/** Schedules what comes after a step ended at send time (or completes the enrollment), in the claim's transaction. */
export async function advance(tx: Tx, campaign: LoadedCampaign, enrollmentId: number, nextStepId: string, now: Date, defaultTimeZone: string): Promise<void> {
  const plan = planFrom(campaign.definition, nextStepId);
  await tx.execute(sql`
    with enrolled as (select id, customer_id from enrollments where id = ${enrollmentId} and status = 'active'),
    ${scheduleCtes(campaign, plan, at(now), defaultTimeZone, { updateEnrollments: true })}
    select 1`);
}
