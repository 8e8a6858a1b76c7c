import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { parseCampaignFile } from "../src/campaigns/index.js";
import { queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { FixedClock } from "../src/time/index.js";
import { resetState } from "./helpers/campaigns.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { present } from "./helpers/present.js";

const NOW = new Date("2026-12-01T12:00:00Z");

const MORNING = `id: morning
name: Morning
category: winback
trigger:
  type: payment_failed
steps:
  - id: wait-a-day
    type: wait
    duration: P1D
    until: "09:00"
  - id: hello
    type: email
    template: hello
`;

describe("the outbox", () => {
  let harness: Harness;
  const clock = new FixedClock(NOW);
  beforeAll(async () => {
    harness = await startHarness({ clock, campaigns: { morning: MORNING } });
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    clock.set(NOW);
    await resetState(harness);
  });

  const outbox = () =>
    queryRows(
      harness.deps.db,
      z.object({ customer: z.string(), step_id: z.string(), kind: z.string(), status: z.string(), due_at: z.string() }),
      sql`select c.external_id as customer, m.step_id, m.kind, m.status::text as status, m.due_at
          from messages m join customers c on c.id = m.customer_id order by c.external_id`,
    );

  it("enrolling schedules the first step, with waits until a local time in the customer's time zone", async () => {
    for (const [id, timezone] of [
      ["new-york", "America/New_York"],
      ["stockholm", "Europe/Stockholm"],
      ["unknown", null],
    ] as const) {
      await fetch(`${harness.url}/api/customers/${id}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ email: `${id}@example.com`, timezone }),
      });
      await post(harness, "/v1/track", { userId: id, event: "payment_failed" });
    }
    const rows = await outbox();
    expect(rows.map((r) => [r.customer, r.step_id, r.kind, r.status, new Date(r.due_at).toISOString()])).toEqual([
      // A day later is 2 Dec 12:00 UTC: 07:00 in New York (so 09:00 that day), 13:00 in Stockholm (so 09:00 the next day).
      ["new-york", "hello", "email", "scheduled", "2026-12-02T14:00:00.000Z"],
      ["stockholm", "hello", "email", "scheduled", "2026-12-03T08:00:00.000Z"],
      ["unknown", "hello", "email", "scheduled", "2026-12-03T09:00:00.000Z"],
    ]);
  });

  it("gets daylight-saving days right", async () => {
    clock.set(new Date("2026-03-07T12:00:00Z")); // New York moves to EDT on 8 March
    await fetch(`${harness.url}/api/customers/dst`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: "dst@example.com", timezone: "America/New_York" }),
    });
    await post(harness, "/v1/track", { userId: "dst", event: "payment_failed" });
    expect(new Date(present((await outbox())[0], "(await outbox())[0]").due_at).toISOString()).toBe("2026-03-08T13:00:00.000Z");
  });

  it("hands everything due to the send queue in one dispatch pass, however many statements' batches it takes", async () => {
    // 2,500 emails due at once: more than one batch (1,000 rows a statement); none waits for the next DISPATCH_INTERVAL.
    const campaign = present(harness.deps.campaigns.get("morning"), "harness.deps.campaigns.get('morning')");
    await harness.deps.db.execute(sql`
      with c as (insert into customers (external_id, email) select 'bulk-' || g, 'bulk-' || g || '@example.com' from generate_series(1, 2500) g returning id),
      en as (insert into enrollments (campaign_id, campaign_version_id, customer_id, status, current_step_id, trigger_key)
             select ${campaign.id}, ${campaign.versionId}, id, 'active', 'hello', 'bulk' from c returning id, customer_id)
      insert into messages (enrollment_id, step_id, kind, category, campaign_version_id, customer_id, status, due_at)
      select id, 'hello', 'email', 'winback', ${campaign.versionId}, customer_id, 'scheduled', ${NOW.toISOString()}::timestamptz from en`);
    const send = harness.deps.queues.queue("send");
    try {
      const pass = await dispatchDue(harness.deps);
      expect(pass.dispatched).toBe(2500);
      expect(await send.getWaitingCount()).toBe(2500);
      expect((await outbox()).filter((row) => row.status !== "queued")).toEqual([]);
    } finally {
      await send.obliterate({ force: true });
    }
  });
});

describe("campaign flow validation", () => {
  it("refuses steps that loop", () => {
    const looped = parseCampaignFile(
      "f",
      MORNING.replace('    until: "09:00"\n', '    until: "09:00"\n').replace("    template: hello\n", "    template: hello\n    next: wait-a-day\n"),
    );
    expect(looped.type === "invalid" && looped.problems.map((p) => p.message)).toEqual([
      "the steps form a loop (wait-a-day → hello → wait-a-day); each step runs at most once per customer",
    ]);
  });
});
