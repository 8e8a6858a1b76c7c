import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { type ActionStep, conditionSql, following, type LoadedCampaign, SqlScope } from "../campaigns/index.js";
import { type Db, queryRows, retryTransient, type Tx } from "../db/index.js";
import type { Deps } from "../deps/index.js";
import { applyPolicy, loadPolicyFacts, noteClaimed, type PolicyFacts } from "./apply-policy.js";
import type { SendOutcome } from "./outcome.js";
import { advance, at, defer, finish, markSending } from "./outbox.js";
import { lockMessages, type MessageRow } from "./outbox-row.js";

const UNAVAILABLE_RETRY_MS = 15 * 60_000;

async function holds(db: Db, customerId: number, condition: Parameters<typeof conditionSql>[0], now: Date): Promise<boolean> {
  const scope = new SqlScope(now);
  const predicate = conditionSql(condition, scope);
  const [row] = await queryRows(db, z.object({ holds: z.boolean() }), sql`select coalesce((select ${predicate} from customers c ${scope.joins()} where c.id = ${customerId}), false) as holds`);
  return row?.holds === true;
}

export type Sendable = Extract<ActionStep, { type: "email" | "webhook" }>;
/** A message checked and claimed for sending (with the claim's token), or what became of it instead. */
export type Claim = { done: SendOutcome } | { row: MessageRow; campaign: LoadedCampaign; step: Sendable; token: string };

/**
 * Everything is checked again against the current state — enrollment still active, no exit goal
 * met, no pause, address not suppressed, the delivery policy — because the row may have waited
 * days and its job minutes. Outcomes other than "send it" are written here, in the batch's
 * transaction; a row to send is returned for the batch's claim.
 */
async function check(tx: Tx, deps: Deps, row: MessageRow, facts: PolicyFacts, now: Date, token: string): Promise<Claim> {
  const tz = deps.config.delivery.defaultTimeZone;
  // This claim's own row, its first commit lost with the connection: it is still ours to send.
  const ours = row.status === "sending" && row.claim_token === token;
  if (row.status !== "queued" && row.status !== "scheduled" && !ours) return { done: { type: "not-ready", status: row.status } };
  if (row.enrollment_status !== "active") {
    await finish(tx, row.id, "skipped", now, { type: "enrollment_ended", status: row.enrollment_status });
    return { done: { type: "skipped", reason: `enrollment ${row.enrollment_status}` } };
  }
  const campaign = deps.campaigns.get(row.campaign_id);
  const step = campaign?.definition.steps.find((s) => s.id === row.step_id);
  if (!campaign || !campaign.definition.enabled) {
    // Invalid after an edit, or disabled: hold, do not drop.
    const until = new Date(now.getTime() + UNAVAILABLE_RETRY_MS);
    await defer(tx, row.id, until, now, { type: "campaign_unavailable", campaignId: row.campaign_id });
    return { done: { type: "deferred", until, reason: "campaign unavailable" } };
  }
  if (ours && campaign && step && (step.type === "email" || step.type === "webhook")) {
    if (step.type === "email") noteClaimed(facts, row, now);
    return { row, campaign, step, token };
  }
  if (!step || step.type === "wait") {
    // The live version no longer has this step: the sequence ends here.
    await finish(tx, row.id, "skipped", now, { type: "step_removed", stepId: row.step_id });
    await tx.execute(sql`update enrollments set status = 'completed', ended_at = ${at(now)}, end_reason = 'step removed from campaign' where id = ${row.enrollment_id} and status = 'active'`);
    return { done: { type: "skipped", reason: "step removed" } };
  }
  for (const goal of campaign.definition.exit) {
    if ("condition" in goal && (await holds(tx, row.customer_id, goal.condition, now))) {
      await tx.execute(sql`update enrollments set status = 'exited', ended_at = ${at(now)}, end_reason = 'goal: condition', goal_reached_at = ${at(now)}
                           where id = ${row.enrollment_id} and status = 'active'`);
      await finish(tx, row.id, "skipped", now, { type: "goal_reached" });
      return { done: { type: "skipped", reason: "exit goal reached" } };
    }
  }
  const pause = row.pause;
  if (pause) {
    const until = pause.until ? new Date(pause.until) : new Date(now.getTime() + UNAVAILABLE_RETRY_MS);
    await defer(tx, row.id, until, now, { type: "paused", pauseId: pause.id });
    return { done: { type: "deferred", until, reason: "paused" } };
  }
  if (row.holdout && step.type !== "branch") {
    // Held out to measure the campaign: walked like everyone else, sent nothing.
    await finish(tx, row.id, "skipped", now, { type: "holdout" });
    await advance(tx, campaign, row.enrollment_id, following(campaign.definition, step.id), now, tz);
    return { done: { type: "skipped", reason: "holdout" } };
  }
  if (step.type === "branch") {
    const next = (await holds(tx, row.customer_id, step.if, now)) ? step.then : (step.else ?? following(campaign.definition, step.id));
    await finish(tx, row.id, "done", now, { type: "branched", to: next });
    await advance(tx, campaign, row.enrollment_id, next, now, tz);
    return { done: { type: "done", next } };
  }
  if (step.type === "email") {
    if (!row.email) {
      await finish(tx, row.id, "skipped", now, { type: "no_address" });
      await advance(tx, campaign, row.enrollment_id, following(campaign.definition, step.id), now, tz);
      return { done: { type: "skipped", reason: "no email address" } };
    }
    const suppressed = row.suppression;
    if (suppressed) {
      await finish(tx, row.id, "skipped", now, { type: "suppressed", detail: suppressed });
      await advance(tx, campaign, row.enrollment_id, following(campaign.definition, step.id), now, tz);
      return { done: { type: "skipped", reason: `suppressed: ${suppressed}` } };
    }
  }
  if (step.type === "email") {
    const policy = applyPolicy(deps, facts, row, campaign, now);
    if (policy.type === "skip") {
      await finish(tx, row.id, "skipped", now, policy.outcome);
      await advance(tx, campaign, row.enrollment_id, following(campaign.definition, step.id), now, tz);
      return { done: { type: "skipped", reason: String(policy.outcome.type) } };
    }
    if (policy.type === "defer") {
      await defer(tx, row.id, policy.until, now, policy.outcome);
      return { done: { type: "deferred", until: policy.until, reason: String(policy.outcome.type) } };
    }
  }
  if (step.type === "email") noteClaimed(facts, row, now);
  return { row, campaign, step, token };
}

/**
 * Claims a batch of messages in one transaction: locks them, checks each, and marks the ones to
 * send `sending` with a lease and the claim's token — committed before SMTP is called, so whatever
 * happens next, no row is sent twice (a crash leaves it to the lease reclaimer, which marks it
 * uncertain). A transaction lost to a PostgreSQL fault is run again, with the same token, for up
 * to DATABASE_RETRY.
 */
export async function claimMessages(deps: Deps, ids: readonly number[]): Promise<Claim[]> {
  const token = randomUUID();
  return retryTransient(() => claimOnce(deps, ids, token), {
    forMs: deps.config.delivery.databaseRetryMs,
    onRetry: (error, attempt) => deps.logger.warn({ err: error, attempt, messages: ids.length }, "claiming messages failed on a database fault; trying again"),
  });
}

async function claimOnce(deps: Deps, ids: readonly number[], token: string): Promise<Claim[]> {
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    const rows = await lockMessages(tx, ids, now);
    const emails = [...rows.values()].flatMap((row) => {
      const campaign = deps.campaigns.get(row.campaign_id);
      return row.kind === "email" && campaign ? [{ customer_id: row.customer_id, campaign }] : [];
    });
    const facts = await loadPolicyFacts(tx, deps, emails, now);
    const claims: Claim[] = [];
    const seen = new Set<number>();
    for (const id of ids) {
      const row = rows.get(id);
      if (!row) claims.push({ done: { type: "not-ready", status: "missing" } });
      // The same message twice in one batch (a job delivered again): the first one has it.
      else if (seen.has(id)) claims.push({ done: { type: "not-ready", status: "sending" } });
      else claims.push(await check(tx, deps, row, facts, now, token));
      seen.add(id);
    }
    const claimed = claims.flatMap((claim) => ("row" in claim ? [{ id: claim.row.id, email: claim.row.email }] : []));
    await markSending(tx, claimed, token, now, deps.config.delivery.sendLease);
    return claims;
  });
}
