import { and, eq, inArray, sql } from "drizzle-orm";
import type Stripe from "stripe";
import type { Logger } from "pino";
import { applyStripeDecision, isPermanentStripeError, postToApp } from "../billing/index.js";
import type { Config } from "../config/index.js";
import { cancelSessions, type CancelSession, customers, type Db, retryTransient } from "../db/index.js";

/** Waits between tries of a decision that failed; after the last, it goes to the support team. */
export const APPLY_BACKOFF_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000];
/** How long recording what billing answered is retried through a PostgreSQL fault (within the lease). */
const RECORD_RETRY_MS = 60_000;
/** How long one try holds the session: another process does not take it meanwhile. */
const APPLY_LEASE_MS = 2 * 60_000;

export interface ApplyDeps {
  db: Db;
  config: Pick<Config, "cancelFlow" | "appSigningSecret">;
  stripe: Stripe | undefined;
  logger: Logger;
}

/** The payload the app receives (`CANCEL_FLOW_APPLY=webhook`): what the customer decided, to apply. */
export interface DecisionPayload {
  id: string;
  type: "cancel_flow.decision";
  createdAt: string;
  customer: { id: string; email: string | null };
  subscription: { id: string | null; plan: string | null };
  outcome: "accepted" | "cancelled";
  reason: string | null;
  comment: string | null;
  offer: { id: string; type: string } | null;
  decision: NonNullable<CancelSession["decision"]>;
}

/**
 * Takes sessions whose decision is due (one, or every due one), each under a lease so that the
 * page's immediate try and the periodic task never apply one twice at once; Stripe's idempotency
 * keys and the app's `Idempotency-Key` cover a try whose answer was lost.
 */
async function claim(db: Db, now: Date, sessionId: string | undefined, limit: number): Promise<CancelSession[]> {
  const due = sql`${cancelSessions.applyStatus} in ('pending', 'failed') and ${cancelSessions.applyNextAt} <= ${now.toISOString()}::timestamptz`;
  return db
    .update(cancelSessions)
    .set({ applyAttempts: sql`${cancelSessions.applyAttempts} + 1`, applyNextAt: new Date(now.getTime() + APPLY_LEASE_MS) })
    .where(
      inArray(
        cancelSessions.id,
        db
          .select({ id: cancelSessions.id })
          .from(cancelSessions)
          .where(sessionId ? and(eq(cancelSessions.id, sessionId), due) : due)
          .orderBy(cancelSessions.applyNextAt)
          .limit(limit)
          // One session (the page's own try) waits for a lock a concurrent request holds: a double
          // tap's losing transaction keeps the row locked until it ends, and skipping it would leave
          // the decision to the periodic task. A batch skips rows another process is applying.
          .for("update", sessionId ? {} : { skipLocked: true }),
      ),
    )
    .returning();
}

/** A decision this process cannot apply however often it tries: it goes to support at once. */
class CannotApply extends Error {
  override readonly name = "CannotApply";
}

/** Only billing's (or the app's) answer comes out of here: the database is read before and written after. */
async function applyOne(deps: ApplyDeps, session: CancelSession, customer: { id: string; email: string | null } | undefined, now: Date): Promise<string> {
  const decision = session.decision;
  // Only sessions with a decision are claimed for applying.
  if (!decision) throw new CannotApply("the session has no decision to apply");
  if (session.applyVia === "stripe") {
    if (!deps.stripe) throw new CannotApply("STRIPE_SECRET_KEY is not set in this process");
    if (!session.subscriptionExternalId?.startsWith("sub_")) throw new CannotApply("no Stripe subscription is on record for this customer");
    return applyStripeDecision(deps.stripe, session.subscriptionExternalId, decision, session.id);
  }
  if (session.applyVia === "webhook") {
    const { webhookUrl } = deps.config.cancelFlow;
    if (!webhookUrl || !deps.config.appSigningSecret) throw new CannotApply("CANCEL_WEBHOOK_URL and APP_SIGNING_SECRET are not set in this process");
    const payload: DecisionPayload = {
      id: session.id,
      type: "cancel_flow.decision",
      createdAt: (session.finishedAt ?? now).toISOString(),
      customer: { id: customer?.id ?? "", email: customer?.email ?? null },
      subscription: { id: session.subscriptionExternalId, plan: session.plan },
      outcome: session.status === "accepted" ? "accepted" : "cancelled",
      reason: session.reason,
      comment: session.comment,
      offer: session.offer ? { id: session.offer.id, type: session.offer.type } : null,
      decision,
    };
    await postToApp(webhookUrl, deps.config.appSigningSecret, payload, session.id, now);
    return `delivered to ${new URL(webhookUrl).host}`;
  }
  throw new CannotApply("no billing integration is configured (CANCEL_FLOW_APPLY=support): apply it by hand");
}

/**
 * Applies due decisions and records each result. A permanent refusal (a bad request, no Stripe
 * subscription, nothing configured) goes to support at once; anything else is tried again after
 * APPLY_BACKOFF_MS, then handed to support. Nothing is dropped: a session leaves `pending` only
 * as `applied` or as `support`, with the error that put it there.
 */
export async function applyDueDecisions(deps: ApplyDeps, now: Date, options: { sessionId?: string; limit?: number } = {}): Promise<{ applied: number; failed: number; support: number }> {
  const counts = { applied: 0, failed: 0, support: 0 };
  const sessions = await claim(deps.db, now, options.sessionId, options.limit ?? 50);
  for (const session of sessions) {
    // What billing said is kept apart from recording it: a PostgreSQL fault while recording is
    // retried on its own (RECORD_RETRY_MS) and never turns a decision that was applied into a
    // failure shown to the customer. Should recording still fail, the session's lease lapses and
    // the decision is tried again with the same idempotency key.
    const [customer] =
      session.applyVia === "webhook" ? await deps.db.select({ id: customers.externalId, email: customers.email }).from(customers).where(eq(customers.id, session.customerId)) : [];
    let result: { applied: true; done: string } | { applied: false; error: unknown };
    try {
      result = { applied: true, done: await applyOne(deps, session, customer, now) };
    } catch (error) {
      result = { applied: false, error };
    }
    if (result.applied) {
      await retryTransient(
        () => deps.db.update(cancelSessions).set({ applyStatus: "applied", appliedAt: now, applyError: null, applyNextAt: null }).where(eq(cancelSessions.id, session.id)),
        { forMs: RECORD_RETRY_MS },
      );
      deps.logger.info({ session: session.id, via: session.applyVia, action: session.decision?.action }, `cancel flow decision applied: ${result.done}`);
      counts.applied++;
      continue;
    }
    const message = (result.error as Error).message.slice(0, 500);
    // The app's refusals are retried (it may be mid-deploy); Stripe's 4xx will not change.
    const permanent = result.error instanceof CannotApply || (session.applyVia === "stripe" && isPermanentStripeError(result.error));
    const wait = APPLY_BACKOFF_MS[session.applyAttempts - 1];
    const toSupport = permanent || wait === undefined;
    await retryTransient(
      () =>
        deps.db
          .update(cancelSessions)
          .set(toSupport ? { applyStatus: "support", applyError: message, applyNextAt: null } : { applyStatus: "failed", applyError: message, applyNextAt: new Date(now.getTime() + wait) })
          .where(eq(cancelSessions.id, session.id)),
      { forMs: RECORD_RETRY_MS },
    );
    deps.logger.warn(
      { session: session.id, via: session.applyVia, action: session.decision?.action, attempt: session.applyAttempts, err: message },
      toSupport ? "cancel flow decision could not be applied; handed to support" : "cancel flow decision could not be applied; will try again",
    );
    counts[toSupport ? "support" : "failed"]++;
  }
  return counts;
}
