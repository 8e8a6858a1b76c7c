import { cancelSessions, type CancelSessionStatus, customers, type Db, type ShownOffer, subscriptions } from "../../src/db/index.js";
import { present } from "./present.js";

const OFFERS: Record<string, ShownOffer> = {
  too_expensive: { id: "discount-30", type: "discount", spec: { percentOff: 30, months: 3 } },
  not_using: { id: "pause-2m", type: "pause", spec: { months: 2 } },
  missing_feature: { id: "downgrade-starter", type: "downgrade", spec: { plan: "starter" } },
  switching: { id: "talk-to-us", type: "contact", spec: { team: "success" } },
};

/** Per reason and group, how many sessions ended each way. */
const HISTORY: { reason: string | null; holdout: boolean | null; outcomes: Partial<Record<CancelSessionStatus, number>> }[] = [
  { reason: "too_expensive", holdout: false, outcomes: { accepted: 28, kept: 8, cancelled: 38, abandoned: 6, reason_given: 2 } },
  { reason: "too_expensive", holdout: true, outcomes: { kept: 8, cancelled: 28, abandoned: 4 } },
  { reason: "not_using", holdout: false, outcomes: { accepted: 20, kept: 3, cancelled: 20, abandoned: 2 } },
  { reason: "not_using", holdout: true, outcomes: { kept: 7, cancelled: 23, abandoned: 2 } },
  { reason: "missing_feature", holdout: false, outcomes: { accepted: 6, kept: 2, cancelled: 26, abandoned: 2 } },
  { reason: "missing_feature", holdout: true, outcomes: { kept: 5, cancelled: 24, abandoned: 1 } },
  { reason: "switching", holdout: false, outcomes: { accepted: 2, cancelled: 12 } },
  { reason: "switching", holdout: true, outcomes: { cancelled: 4 } },
  { reason: "other", holdout: false, outcomes: { kept: 2, cancelled: 10 } },
  { reason: null, holdout: null, outcomes: { abandoned: 9, started: 3 } },
];

const PLANS = [
  { plan: "starter", mrrMinor: 1900 },
  { plan: "pro", mrrMinor: 4900 },
  { plan: "team", mrrMinor: 9900 },
];
const CURRENCIES = ["EUR", "USD", "EUR", "SEK"];

/**
 * Three months of a cancel flow (307 sessions, from 25 August 2026 to 18 November): reasons with
 * their offers and a holdout, every outcome, customers `cf-0001`… with subscriptions that end when
 * their session ends cancelled. Nothing else (no events), so campaigns do not notice them.
 *
 * By hand: too_expensive saves 36 of 80 finished treated sessions (45.0%) against 8 of 40 held out
 * (20.0%); not_using 23 of 45 against 7 of 32; 307 sessions, 56 accepted, 35 kept, 185 cancelled,
 * 26 abandoned, 5 open.
 */
export async function seedCancelFlowDemo(db: Db): Promise<void> {
  const runs = HISTORY.flatMap((h) => Object.entries(h.outcomes).flatMap(([status, n]) => Array.from({ length: n }, () => ({ ...h, status: status as CancelSessionStatus }))));
  const start = Date.parse("2026-08-25T08:00:00Z");
  const step = (85 * 86_400_000) / runs.length;
  // Interleaved, so every month has some of each reason.
  const order = runs.map((_, i) => i).sort((a, b) => ((a * 37) % runs.length) - ((b * 37) % runs.length));
  const ids = await db
    .insert(customers)
    .values(runs.map((_, i) => ({ externalId: `cf-${String(i + 1).padStart(4, "0")}`, email: `cf-${i + 1}@example.com` })))
    .returning({ id: customers.id });
  const sessions = runs.map((run, i) => {
    const createdAt = new Date(start + present(order[i], "a session's place") * step);
    const finished = !["started", "reason_given"].includes(run.status);
    const finishedAt = finished ? new Date(createdAt.getTime() + 6 * 60_000) : null;
    const { plan, mrrMinor } = present(PLANS[i % PLANS.length], "a plan");
    return {
      customerId: present(ids[i], "an inserted customer").id,
      flowVersion: "demo",
      locale: "en",
      returnUrl: "https://app.acme.example/account",
      status: run.status,
      reason: run.reason,
      comment: null,
      holdout: run.holdout,
      offer: run.reason ? (OFFERS[run.reason] ?? null) : null,
      plan,
      mrrMinor,
      currency: present(CURRENCIES[i % CURRENCIES.length], "a currency"),
      createdAt,
      expiresAt: new Date(createdAt.getTime() + 86_400_000),
      reasonAt: run.reason ? new Date(createdAt.getTime() + 60_000) : null,
      finishedAt,
    };
  });
  await db.insert(cancelSessions).values(sessions);
  await db.insert(subscriptions).values(
    sessions.map((s) => ({
      customerId: s.customerId,
      externalId: `sub_cf_${s.customerId}`,
      status: s.status === "cancelled" ? ("canceled" as const) : ("active" as const),
      plan: s.plan,
      mrrMinor: s.mrrMinor,
      currency: s.currency,
      startedAt: new Date("2026-03-01T00:00:00Z"),
      canceledAt: s.status === "cancelled" ? s.finishedAt : null,
    })),
  );
}
