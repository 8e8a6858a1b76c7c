import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { FixedClock } from "../src/time/index.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { present } from "./helpers/present.js";

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
    const [counted] = await queryRows(harness.deps.db, z.object({ n: col.int, held: col.int }), sql`select count(*)::int as n, count(*) filter (where holdout)::int as held from enrollments`);
    const share = present(counted, "the count of enrollments");
    expect(share.n).toBe(10_000);
    // 10% ± 3 standard deviations (σ = √(0.1·0.9/10000) = 0.3 points).
    expect(share.held / share.n).toBeGreaterThan(0.091);
    expect(share.held / share.n).toBeLessThan(0.109);
    // Stable: the same hash gives the same group on re-entry.
    await harness.deps.db.execute(sql`update enrollments set status = 'completed'`);
    clock.advance(DAY);
    const again = Array.from({ length: 1_000 }, (_, i) => ({ type: "track", userId: `h${i}`, event: "Went Quiet" }));
    await post(harness, "/v1/batch", { batch: again });
    const [changed] = await queryRows(
      harness.deps.db,
      z.object({ n: col.int }),
      sql`select count(*)::int as n from enrollments a join enrollments b on a.customer_id = b.customer_id and a.id < b.id where a.holdout <> b.holdout`,
    );
    expect(changed?.n).toBe(0);
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
    for (let i = 0; i < 400; i++) {
      await dispatchDue(harness.deps);
      const [left] = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status in ('scheduled', 'queued', 'sending')`);
      if (present(left, "the count of emails left").n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const groups = await queryRows(
      harness.deps.db,
      z.object({ holdout: z.boolean(), n: col.int, sent: col.int }),
      sql`select en.holdout, count(*)::int as n, count(*) filter (where m.status = 'sent')::int as sent
          from enrollments en join messages m on m.enrollment_id = en.id group by en.holdout order by en.holdout`,
    );
    const [treated, held] = [present(groups.find((g) => !g.holdout), "groups.find((g) => !g.holdout)"), present(groups.find((g) => g.holdout), "groups.find((g) => g.holdout)")];
    expect(treated.sent).toBe(treated.n);
    expect(held.sent).toBe(0);
    expect(smtp.received).toHaveLength(treated.n);

    // Goals: every emailed customer with an even number comes back on day 3; held-out ones on day 20 (outside the window).
    const ids = await queryRows(harness.deps.db, z.object({ external_id: z.string(), holdout: z.boolean() }), sql`select c.external_id, en.holdout from enrollments en join customers c on c.id = en.customer_id`);
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

describe("churn metrics", () => {
  let harness: Harness;
  const clock = new FixedClock(new Date("2026-10-01T12:00:00Z"));
  beforeAll(async () => {
    harness = await startHarness({ clock });
    await harness.setCampaign("measured", campaign("measured", 0));
  });
  afterAll(async () => {
    await harness.stop();
  });

  const put = async (at: string, id: string, body: unknown) => {
    clock.set(new Date(at));
    const response = await fetch(`${harness.url}/api/customers/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
  };

  it("computes customer churn, gross and net MRR churn and the involuntary share as defined", async () => {
    // Four paying customers on 1 November: 10.00 + 20.00 + 30.00 + 40.00 = 100.00 of MRR.
    for (const [id, mrr] of [["a", 1000], ["b", 2000], ["c", 3000], ["d", 4000]] as const) {
      await put("2026-10-05T10:00:00Z", id, { email: `${id}@example.com`, subscription: { status: "active", mrrMinor: mrr, currency: "EUR" } });
    }
    // November: b's payment fails, then b cancels (involuntary, -20.00); c downgrades 30.00 → 10.00; d upgrades 40.00 → 50.00; e starts.
    clock.set(new Date("2026-11-05T09:00:00Z"));
    await post(harness, "/v1/track", { userId: "b", event: "payment_failed", timestamp: "2026-11-05T09:00:00Z" });
    await put("2026-11-10T10:00:00Z", "b", { subscription: { status: "canceled" } });
    await put("2026-11-12T10:00:00Z", "c", { subscription: { status: "active", mrrMinor: 1000 } });
    await put("2026-11-15T10:00:00Z", "d", { subscription: { status: "active", mrrMinor: 5000 } });
    await put("2026-11-20T10:00:00Z", "e", { email: "e@example.com", subscription: { status: "active", mrrMinor: 9900, currency: "EUR" } });
    // December: a cancels of their own accord.
    await put("2026-12-03T10:00:00Z", "a", { subscription: { status: "canceled" } });

    const { churnByMonth } = await import("../src/reports/index.js");
    const [november, december] = await churnByMonth(harness.deps.db, new Date("2026-11-01T00:00:00Z"), new Date("2026-12-31T00:00:00Z"));
    // By hand: 1 of 4 customers lost = 25%; gross (20.00 lost + 20.00 contraction) / 100.00 = 40%; net (40.00 − 10.00) / 100.00 = 30%.
    expect(november).toEqual({
      month: "2026-11",
      customersAtStart: 4,
      customersLost: 1,
      customerChurnRate: 0.25,
      lostInvoluntary: 1,
      lostVoluntary: 0,
      mrr: { EUR: { starting: 10_000, lost: 2000, contraction: 2000, expansion: 1000, grossChurnRate: 0.4, netChurnRate: 0.3 } },
    });
    // December starts with a (10.00), c (10.00), d (50.00), e (99.00) = 169.00; a leaves voluntarily.
    expect(december).toMatchObject({ customersAtStart: 4, customersLost: 1, customerChurnRate: 0.25, lostInvoluntary: 0, lostVoluntary: 1 });
    expect(december?.mrr.EUR).toMatchObject({ starting: 16_900, lost: 1000, contraction: 0, expansion: 0 });
    expect(december?.mrr.EUR?.grossChurnRate).toBeCloseTo(1000 / 16_900, 10);

    // The same through the API, and split by a campaign: b entered it, the others did not.
    await harness.deps.db.execute(sql`insert into enrollments (campaign_id, campaign_version_id, customer_id, status, trigger_key, entered_at)
      select 'measured', (select current_version_id from campaigns where id = 'measured'), id, 'completed', 'test', '2026-11-06T00:00:00Z' from customers where external_id = 'b'`);
    const split = (await (await fetch(`${harness.url}/api/reports/churn?from=2026-11-01&to=2026-11-30&campaign=measured`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as {
      entered: { customersAtStart: number; customersLost: number }[];
      notEntered: { customersAtStart: number; customersLost: number }[];
    };
    expect(split.entered).toMatchObject([{ customersAtStart: 1, customersLost: 1 }]);
    expect(split.notEntered).toMatchObject([{ customersAtStart: 3, customersLost: 0 }]);
  });
});

describe("a retention goal", () => {
  it("counts customers who did not cancel within the goal's time, once that time has passed", async () => {
    const clock = new FixedClock(new Date("2026-09-01T12:00:00Z"));
    const harness = await startHarness({ clock });
    try {
      await harness.setCampaign("keep", campaign("keep", 0.5).replace("conversion_window: P14D", "retention_goal: P30D"));
      const ids = Array.from({ length: 80 }, (_, i) => `k${i}`);
      for (const id of ids) {
        await fetch(`${harness.url}/api/customers/${id}`, { method: "PUT", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ subscription: { status: "active", mrrMinor: 1000 } }) });
      }
      await post(harness, "/v1/batch", { batch: ids.map((userId) => ({ type: "track", userId, event: "Went Quiet" })) });
      const groups = await queryRows(harness.deps.db, z.object({ external_id: z.string(), holdout: z.boolean() }), sql`select c.external_id, en.holdout from enrollments en join customers c on c.id = en.customer_id`);
      // Every held-out customer cancels on day 10; among the emailed, every fourth does, and one more on day 40 (after the goal).
      const emailed = groups.filter((g) => !g.holdout);
      const held = groups.filter((g) => g.holdout);
      const cancel = async (at: string, id: string) => {
        clock.set(new Date(at));
        await fetch(`${harness.url}/api/customers/${id}`, { method: "PUT", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ subscription: { status: "canceled" } }) });
      };
      for (const g of held) await cancel("2026-09-11T12:00:00Z", g.external_id);
      const emailedCancels = emailed.filter((_, i) => i % 4 === 0);
      for (const g of emailedCancels) await cancel("2026-09-11T12:00:00Z", g.external_id);
      await cancel("2026-10-11T12:00:00Z", present(emailed[1], "emailed[1]").external_id);
      clock.set(new Date("2026-10-15T00:00:00Z"));
      const response = await fetch(`${harness.url}/api/campaigns/keep/report?from=2026-09-01&to=2026-09-30`, { headers: { authorization: `Bearer ${API_KEY}` } });
      const report = (await response.json()) as { conversionWindow: string; treated: { entered: number; converted: number }; holdout: { entered: number; converted: number } };
      expect(report.conversionWindow).toBe("not cancelled within P30D");
      expect(report.treated).toMatchObject({ entered: emailed.length, converted: emailed.length - emailedCancels.length });
      expect(report.holdout).toMatchObject({ entered: held.length, converted: 0 });
      // Before the 30 days have passed, nobody is counted yet.
      clock.set(new Date("2026-09-20T00:00:00Z"));
      const early = (await (await fetch(`${harness.url}/api/campaigns/keep/report?from=2026-09-01&to=2026-09-30`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { entered: number };
      expect(early.entered).toBe(0);
    } finally {
      await harness.stop();
    }
  }, 60_000);
});
