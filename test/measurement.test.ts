import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { FixedClock } from "../src/time/index.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";

const DAY = 86_400_000;
const campaign = (id: string, holdout: number) => `id: ${id}
name: ${id}
category: winback
holdout: ${holdout}
conversion_window: P14D
trigger:
  type: event
  name: Went Quiet
reentry: always
exit:
  - event: Came Back
steps:
  - id: hello
    type: email
    template: hello
`;

describe("holdout groups and conversions", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(new Date("2026-11-01T12:00:00Z"));
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "none" } });
    await harness.setCampaign("measured", campaign("measured", 0.1));
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  it("holds out close to the configured share of 10,000 customers, the same ones every time", async () => {
    for (let start = 0; start < 10_000; start += 1_000) {
      const batch = Array.from({ length: 1_000 }, (_, i) => ({ type: "track", userId: `h${start + i}`, event: "Went Quiet" }));
      expect((await post(harness, "/v1/batch", { batch })).status).toBe(200);
    }
    const [share] = await queryRows<{ n: number; held: number }>(harness.deps.db, sql`select count(*)::int as n, count(*) filter (where holdout)::int as held from enrollments`);
    expect(share!.n).toBe(10_000);
    // 10% ± 3 standard deviations (σ = √(0.1·0.9/10000) = 0.3 points).
    expect(share!.held / share!.n).toBeGreaterThan(0.091);
    expect(share!.held / share!.n).toBeLessThan(0.109);
    // Stable: the same hash gives the same group on re-entry.
    await harness.deps.db.execute(sql`update enrollments set status = 'completed'`);
    clock.advance(DAY);
    const again = Array.from({ length: 1_000 }, (_, i) => ({ type: "track", userId: `h${i}`, event: "Went Quiet" }));
    await post(harness, "/v1/batch", { batch: again });
    const [changed] = await queryRows<{ n: number }>(
      harness.deps.db,
      sql`select count(*)::int as n from enrollments a join enrollments b on a.customer_id = b.customer_id and a.id < b.id where a.holdout <> b.holdout`,
    );
    expect(changed!.n).toBe(0);
  }, 60_000);
});

describe("the uplift report", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(new Date("2026-11-01T12:00:00Z"));
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "none" } });
    await harness.setCampaign("measured", campaign("measured", 0.5));
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  it("sends nothing to the holdout, counts goals within the window (even after the sequence ended), and reports", async () => {
    const batch = Array.from({ length: 120 }, (_, i) => ({ type: "identify", userId: `u${i}`, traits: { email: `u${i}@example.com` } }));
    await post(harness, "/v1/batch", { batch });
    await post(harness, "/v1/batch", { batch: Array.from({ length: 120 }, (_, i) => ({ type: "track", userId: `u${i}`, event: "Went Quiet" })) });
    for (let i = 0; i < 100; i++) {
      await dispatchDue(harness.deps);
      const [left] = await queryRows<{ n: number }>(harness.deps.db, sql`select count(*)::int as n from messages where status in ('scheduled', 'queued', 'sending')`);
      if (left!.n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const groups = await queryRows<{ holdout: boolean; n: number; sent: number }>(
      harness.deps.db,
      sql`select en.holdout, count(*)::int as n, count(*) filter (where m.status = 'sent')::int as sent
          from enrollments en join messages m on m.enrollment_id = en.id group by en.holdout order by en.holdout`,
    );
    const [treated, held] = [groups.find((g) => !g.holdout)!, groups.find((g) => g.holdout)!];
    expect(treated.sent).toBe(treated.n);
    expect(held.sent).toBe(0);
    expect(smtp.received).toHaveLength(treated.n);

    // Goals: every emailed customer with an even number comes back on day 3; held-out ones on day 20 (outside the window).
    const ids = await queryRows<{ external_id: string; holdout: boolean }>(harness.deps.db, sql`select c.external_id, en.holdout from enrollments en join customers c on c.id = en.customer_id`);
    const back = (days: number, who: typeof ids) =>
      post(harness, "/v1/batch", { batch: who.map((r) => ({ type: "track", userId: r.external_id, event: "Came Back", timestamp: new Date(clock.now().getTime() + days * DAY).toISOString() })) });
    const emailedBack = ids.filter((r) => !r.holdout && Number(r.external_id.slice(1)) % 2 === 0);
    await back(3, emailedBack);
    await back(20, ids.filter((r) => r.holdout));
    clock.advance(30 * DAY);
    const response = await fetch(`${harness.url}/api/campaigns/measured/report?from=2026-10-01&to=2026-11-30`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const report = (await response.json()) as { entered: number; emailsSent: number; treated: { entered: number; converted: number }; holdout: { entered: number; converted: number }; verdict: string };
    expect(report.entered).toBe(120);
    expect(report.emailsSent).toBe(treated.n);
    expect(report.treated).toMatchObject({ entered: treated.n, converted: emailedBack.length });
    expect(report.holdout).toMatchObject({ entered: held.n, converted: 0 });
    expect(report.verdict).toMatch(/^The campaign works: /);
  }, 60_000);
});
