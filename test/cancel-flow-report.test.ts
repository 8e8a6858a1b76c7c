import { spawn } from "node:child_process";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelSessions, type CancelSessionStatus, customers, type ShownOffer, subscriptions } from "../src/db/index.js";
import { insertEvents } from "../src/events/index.js";
import { cancelFlowReport, churnByMonth } from "../src/reports/index.js";
import { API_KEY, type ErrorBody, type Harness, startHarness } from "./helpers/harness.js";
import { present } from "./helpers/present.js";

const ROOT = new URL("..", import.meta.url).pathname;
const HOUR = 3_600_000;

const DISCOUNT: ShownOffer = { id: "discount-30", type: "discount", spec: { percentOff: 30, months: 3 } };
const PAUSE: ShownOffer = { id: "pause-2m", type: "pause", spec: { months: 2 } };

/** A run of identical sessions: `count` customers, each with one session started at `start` plus a minute per customer. */
interface Seed {
  reason: string | null;
  offer: ShownOffer | null;
  holdout: boolean | null;
  status: CancelSessionStatus;
  count: number;
  mrrMinor: number;
  currency: string;
  start: string;
  /** How long after its start a finished session ended; an hour unless said. */
  finishedAfterMs?: number;
}

const SEP = "2026-09-10T00:00:00Z";
const OCT = "2026-10-10T00:00:00Z";
const te = (status: CancelSessionStatus, holdout: boolean, count: number, mrrMinor: number, currency: string, start = SEP): Seed => ({
  reason: "too_expensive",
  offer: DISCOUNT,
  holdout,
  status,
  count,
  mrrMinor,
  currency,
  start,
});

/**
 * The seeded history, chosen so every figure can be worked out by hand:
 * - too_expensive (offer discount-30): shown to 100 finished sessions, 40 saved (30 accepted, 10
 *   kept), 2 more still open; held out 50, 10 kept → 0.40 vs 0.20.
 * - missing_feature (the same offer): shown 40, 10 accepted; held out 30, 3 kept.
 * - not_using (offer pause-2m): no holdout; 8 of 20 accepted.
 * - other: no offer; 2 of 10 kept, and one more cancelled that ends in November.
 * - without a reason: 5 abandoned, 3 open, 1 kept, 1 cancelled.
 * - one session started before the period, cancelled on its first day (churn counts it, the rest not).
 */
const SEEDS: Seed[] = [
  te("accepted", false, 30, 4900, "USD"),
  te("kept", false, 10, 1900, "EUR"),
  te("cancelled", false, 50, 4900, "USD"),
  te("abandoned", false, 10, 4900, "USD"),
  te("reason_given", false, 2, 4900, "USD"),
  te("kept", true, 10, 4900, "USD"),
  te("cancelled", true, 35, 4900, "USD", OCT),
  te("abandoned", true, 5, 4900, "USD"),
  { reason: "not_using", offer: PAUSE, holdout: false, status: "accepted", count: 8, mrrMinor: 2900, currency: "USD", start: SEP },
  { reason: "not_using", offer: PAUSE, holdout: false, status: "cancelled", count: 12, mrrMinor: 2900, currency: "USD", start: SEP },
  { reason: "missing_feature", offer: DISCOUNT, holdout: false, status: "accepted", count: 10, mrrMinor: 9900, currency: "EUR", start: OCT },
  { reason: "missing_feature", offer: DISCOUNT, holdout: false, status: "cancelled", count: 30, mrrMinor: 9900, currency: "EUR", start: OCT },
  { reason: "missing_feature", offer: DISCOUNT, holdout: true, status: "kept", count: 3, mrrMinor: 9900, currency: "EUR", start: OCT },
  { reason: "missing_feature", offer: DISCOUNT, holdout: true, status: "cancelled", count: 27, mrrMinor: 9900, currency: "EUR", start: OCT },
  { reason: "other", offer: null, holdout: false, status: "kept", count: 2, mrrMinor: 1000, currency: "USD", start: SEP },
  { reason: "other", offer: null, holdout: false, status: "cancelled", count: 8, mrrMinor: 1000, currency: "USD", start: SEP },
  { reason: "other", offer: null, holdout: false, status: "cancelled", count: 1, mrrMinor: 1000, currency: "USD", start: "2026-10-31T23:30:00Z" },
  { reason: null, offer: null, holdout: null, status: "abandoned", count: 5, mrrMinor: 1000, currency: "USD", start: SEP },
  { reason: null, offer: null, holdout: null, status: "started", count: 3, mrrMinor: 1000, currency: "USD", start: SEP },
  { reason: null, offer: null, holdout: null, status: "kept", count: 1, mrrMinor: 1000, currency: "USD", start: SEP },
  { reason: null, offer: null, holdout: null, status: "cancelled", count: 1, mrrMinor: 1000, currency: "USD", start: OCT },
  { ...te("cancelled", false, 1, 4900, "USD", "2026-08-31T23:00:00Z"), finishedAfterMs: 1.5 * HOUR },
];

const FROM = new Date("2026-09-01T00:00:00Z");
const TO = new Date("2026-11-01T00:00:00Z");

/** The difference of two proportions and its 95% interval, written out once more. */
function interval(saved1: number, n1: number, saved2: number, n2: number): [number, number] {
  const p1 = saved1 / n1;
  const p2 = saved2 / n2;
  const half = 1.96 * Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  return [p1 - p2 - half, p1 - p2 + half];
}

describe("the cancel flow report", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
    const db = harness.deps.db;
    let n = 0;
    for (const seed of SEEDS) {
      const ids = await db
        .insert(customers)
        .values(Array.from({ length: seed.count }, () => ({ externalId: `c-${++n}`, email: `c-${n}@example.com` })))
        .returning({ id: customers.id });
      const rows = ids.map(({ id }, i) => {
        const createdAt = new Date(new Date(seed.start).getTime() + i * 60_000);
        const finished = !["started", "reason_given"].includes(seed.status);
        const finishedAt = finished ? new Date(createdAt.getTime() + (seed.finishedAfterMs ?? HOUR)) : null;
        return {
          session: {
            customerId: id,
            flowVersion: "v1",
            locale: "en",
            returnUrl: "https://app.example/account",
            status: seed.status,
            reason: seed.reason,
            holdout: seed.holdout,
            offer: seed.offer,
            plan: "pro",
            mrrMinor: seed.mrrMinor,
            currency: seed.currency,
            createdAt,
            expiresAt: new Date(createdAt.getTime() + 24 * HOUR),
            reasonAt: seed.reason ? new Date(createdAt.getTime() + 60_000) : null,
            finishedAt,
          },
          // Every customer paid since August; those who cancelled stopped when their session ended.
          subscription: {
            customerId: id,
            externalId: `sub_${id}`,
            status: seed.status === "cancelled" ? ("canceled" as const) : ("active" as const),
            mrrMinor: seed.mrrMinor,
            currency: seed.currency,
            startedAt: new Date("2026-08-01T00:00:00Z"),
            canceledAt: seed.status === "cancelled" ? finishedAt : null,
          },
        };
      });
      await db.insert(cancelSessions).values(rows.map((r) => r.session));
      await db.insert(subscriptions).values(rows.map((r) => r.subscription));
    }
    // One of October's missing_feature cancellations followed a failed payment: involuntary churn to churnByMonth.
    const [firstMissingFeature] = await db
      .select({ id: cancelSessions.customerId })
      .from(cancelSessions)
      .where(and(eq(cancelSessions.reason, "missing_feature"), eq(cancelSessions.status, "cancelled")))
      .limit(1);
    // Stored the way Rekindle stores events (its month's partition made as it goes).
    const at = new Date("2026-10-05T00:00:00Z");
    await insertEvents(db, [{ messageId: "pf-1", type: "track", name: "payment_failed", customerId: present(firstMissingFeature, "firstMissingFeature").id, anonymousId: null, properties: {}, context: {}, source: "stripe", occurredAt: at, receivedAt: at }]);
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it("counts sessions, outcomes and reasons given in the period", async () => {
    const report = await cancelFlowReport(harness.deps.db, FROM, TO);
    expect(report.from).toBe("2026-09-01T00:00:00.000Z");
    expect(report.to).toBe("2026-11-01T00:00:00.000Z");
    // 264 seeded, less the one started in August.
    expect(report.sessions).toBe(263);
    expect(report.outcomes).toEqual({ accepted: 48, cancelled: 164, kept: 26, abandoned: 20, open: 5 });
    expect(report.gaveReason).toBe(253);
    expect(report.reasons.map((r) => [r.reason, r.sessions, r.saved, r.cancelled, r.abandoned, r.open])).toEqual([
      ["too_expensive", 152, 50, 85, 15, 2],
      ["missing_feature", 70, 13, 57, 0, 0],
      ["not_using", 20, 8, 12, 0, 0],
      ["other", 11, 2, 9, 0, 0],
    ]);
    expect(report.reasons.map((r) => r.share)).toEqual([152 / 253, 70 / 253, 20 / 253, 11 / 253]);
  });

  it("compares each reason's save rate with its holdout: 40% vs 20% for too_expensive, with the interval worked out by hand", async () => {
    const report = await cancelFlowReport(harness.deps.db, FROM, TO);
    const [tooExpensive, missingFeature, notUsing, other] = report.reasons;
    expect(tooExpensive?.treated).toEqual({ finished: 100, saved: 40, rate: 0.4 });
    expect(tooExpensive?.holdout).toEqual({ finished: 50, saved: 10, rate: 0.2 });
    // SE = √(.4·.6/100 + .2·.8/50) = √.0056 = 0.0748331; half-width 1.96·SE = 0.1466729.
    expect(tooExpensive?.uplift?.absolute).toBeCloseTo(0.2, 12);
    expect(tooExpensive?.uplift?.relative).toBeCloseTo(1, 12);
    expect(Math.abs(present(present(tooExpensive, "tooExpensive").uplift, "tooExpensive.uplift").ci95[0] - (0.2 - 1.96 * Math.sqrt(0.0056)))).toBeLessThan(1e-9);
    expect(Math.abs(present(present(tooExpensive, "tooExpensive").uplift, "tooExpensive.uplift").ci95[1] - (0.2 + 1.96 * Math.sqrt(0.0056)))).toBeLessThan(1e-9);
    expect(tooExpensive?.uplift?.ci95[0]).toBeCloseTo(0.0533271, 6);
    expect(tooExpensive?.verdict).toBe(
      "Showing an offer works: 40.0% of the customers shown one stayed vs 20.0% of those held out (+20.0 points, 95% CI +5.3 points to +34.7 points).",
    );

    // 10 of 40 vs 3 of 30: the interval includes zero.
    expect(missingFeature?.treated).toEqual({ finished: 40, saved: 10, rate: 0.25 });
    expect(missingFeature?.holdout).toEqual({ finished: 30, saved: 3, rate: 0.1 });
    const [low, high] = interval(10, 40, 3, 30);
    expect(Math.abs(present(present(missingFeature, "missingFeature").uplift, "missingFeature.uplift").ci95[0] - low)).toBeLessThan(1e-9);
    expect(Math.abs(present(present(missingFeature, "missingFeature").uplift, "missingFeature.uplift").ci95[1] - high)).toBeLessThan(1e-9);
    expect(missingFeature?.verdict).toMatch(/^No measurable difference yet: 25\.0% of the customers shown one stayed vs 10\.0% of those held out; the 95% CI .* includes zero\.$/);

    expect(notUsing?.holdout).toEqual({ finished: 0, saved: 0, rate: null });
    expect(present(notUsing, "notUsing").uplift).toBeNull();
    expect(notUsing?.verdict).toBe("No holdout group: no session with this reason was held out, so what its offer changes cannot be measured.");
    expect(other?.treated).toEqual({ finished: 11, saved: 2, rate: 2 / 11 });
    expect(present(other, "other").uplift).toBeNull();
    expect(other?.verdict).toBe("No offer for this reason: nothing to compare with the holdout.");
  });

  it("compares each offer with the held-out sessions matched to the same offer, across the reasons it was shown for", async () => {
    const report = await cancelFlowReport(harness.deps.db, FROM, TO);
    expect(report.offers.map((o) => [o.offer, o.type, o.reasons, o.shown, o.accepted])).toEqual([
      ["discount-30", "discount", ["missing_feature", "too_expensive"], 142, 40],
      ["pause-2m", "pause", ["not_using"], 20, 8],
    ]);
    const [discount, pause] = report.offers;
    // too_expensive and missing_feature together: 50 of 140 shown vs 13 of 80 held out.
    expect(discount?.treated).toEqual({ finished: 140, saved: 50, rate: 50 / 140 });
    expect(discount?.holdout).toEqual({ finished: 80, saved: 13, rate: 13 / 80 });
    const [low, high] = interval(50, 140, 13, 80);
    expect(Math.abs(present(present(discount, "discount").uplift, "discount.uplift").absolute - (50 / 140 - 13 / 80))).toBeLessThan(1e-12);
    expect(Math.abs(present(present(discount, "discount").uplift, "discount.uplift").ci95[0] - low)).toBeLessThan(1e-9);
    expect(Math.abs(present(present(discount, "discount").uplift, "discount.uplift").ci95[1] - high)).toBeLessThan(1e-9);
    expect(discount?.verdict).toBe(
      `The offer works: 35.7% of the customers shown it stayed vs 16.3% of those held out (+19.5 points, 95% CI +${(low * 100).toFixed(1)} points to +${(high * 100).toFixed(1)} points).`,
    );
    expect(pause?.treated).toEqual({ finished: 20, saved: 8, rate: 0.4 });
    expect(pause?.verdict).toMatch(/^No holdout group/);
  });

  it("sums the MRR saved by the offers and lost through the flow, per currency", async () => {
    const report = await cancelFlowReport(harness.deps.db, FROM, TO);
    expect(report.mrr).toEqual([
      // Saved and shown an offer: 10 × 19.00 (kept) + 10 × 99.00 (missing_feature, accepted). Lost: 57 × 99.00.
      { currency: "EUR", savedMinor: 118_000, savedSessions: 20, lostMinor: 564_300, lostSessions: 57 },
      // Saved: 30 × 49.00 + 8 × 29.00 + 2 × 10.00 (held-out and reasonless keeps are not counted).
      // Lost: 85 × 49.00 + 12 × 29.00 + 9 × 10.00 + 1 × 10.00 (without a reason).
      { currency: "USD", savedMinor: 172_200, savedSessions: 40, lostMinor: 461_300, lostSessions: 107 },
    ]);
  });

  it("puts customers cancelled through the flow each month, by reason, beside that month's churn", async () => {
    const report = await cancelFlowReport(harness.deps.db, FROM, TO);
    expect(report.churn).toEqual([
      {
        month: "2026-09",
        // The August session that ended on 1 September counts here; the other's cancellation ends on 1 November.
        cancelled: 71,
        byReason: [
          { reason: "too_expensive", customers: 51 },
          { reason: "not_using", customers: 12 },
          { reason: "other", customers: 8 },
        ],
        customersAtStart: 264,
        customersLost: 71,
        lostVoluntary: 71,
      },
      {
        month: "2026-10",
        cancelled: 93,
        byReason: [
          { reason: "missing_feature", customers: 57 },
          { reason: "too_expensive", customers: 35 },
          { reason: null, customers: 1 },
        ],
        customersAtStart: 193,
        customersLost: 93,
        lostVoluntary: 92,
      },
    ]);
    const churn = await churnByMonth(harness.deps.db, FROM, TO);
    expect(churn.map((m) => [m.month, m.customersAtStart, m.customersLost, m.lostVoluntary])).toEqual(report.churn.map((m) => [m.month, m.customersAtStart, m.customersLost, m.lostVoluntary]));
  });

  it("answers the same over HTTP, and refuses a date that is not one with where and why", async () => {
    const get = (query: string) => fetch(`${harness.url}/api/reports/cancel-flow${query}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const response = await get("?from=2026-09-01&to=2026-11-01");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(await cancelFlowReport(harness.deps.db, FROM, TO))));

    const bad = await get("?from=last-tuesday");
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as ErrorBody;
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.problems).toEqual([{ path: "query.from", message: "expected an ISO-8601 date-time such as 2026-11-22T10:00:00Z" }]);
    const backwards = (await (await get("?from=2026-11-01&to=2026-09-01")).json()) as ErrorBody;
    expect(backwards.error.problems).toEqual([{ path: "query.from", message: "expected a date before to" }]);
  });

  it("prints readable tables from the command line", async () => {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "report", "--cancel-flow", "--from", "2026-09-01", "--to", "2026-11-01"], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DATABASE_URL: harness.config.database.url, DATA_DIR: harness.config.dataDir, LOG_LEVEL: "silent" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.on("error", reject);
      child.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
    });
    expect(output).toContain("263 session(s): 48 accepted an offer, 26 kept their subscription, 164 cancelled, 20 abandoned, 5 still open; 253 gave a reason");
    // 152 of 253 is 60.1%: 18 of 30 blocks.
    expect(output).toMatch(/^ {2}too_expensive {4}█{18}░{12} {2}60\.1% {2}152$/m);
    expect(output).toMatch(/^ {2}too_expensive +152 +50 +85 +15 +40\.0% of 100 +20\.0% of 50 +\+20\.0 pts \(\+5\.3 to \+34\.7\)$/m);
    expect(output).toMatch(/^ {2}discount-30 +discount +missing_feature, too_expensive +142 +40 +35\.7% of 140 +16\.3% of 80 +\+19\.5 pts/m);
    expect(output).toMatch(/^ {2}USD +1722\.00 \(40\) +4613\.00 \(107\)$/m);
    expect(output).toMatch(/^ {2}2026-10 +193 +93 +92 +93 +missing_feature 57, too_expensive 35, no reason 1$/m);
  }, 60_000);
});
