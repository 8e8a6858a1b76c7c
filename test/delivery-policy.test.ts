import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { FixedClock } from "../src/time/index.js";
import { resetState } from "./helpers/campaigns.js";
import { API_KEY, type Harness, post, startHarness } from "./helpers/harness.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";
import { present } from "./helpers/present.js";

const campaign = (id: string, category: string, priority = 0, extra = "") => `id: ${id}
name: ${id}
category: ${category}
priority: ${priority}
${extra}
trigger:
  type: event
  name: ${id}
reentry: always
steps:
  - id: hello
    type: email
    template: hello
`;

describe("frequency cap and send window", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(new Date("2026-12-10T20:00:00Z"));
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "2/P1D", SEND_WINDOW: "09:00-18:00" } });
    await harness.setCampaign("winback", campaign("winback", "winback", 10));
    await harness.setCampaign("onboarding", campaign("onboarding", "onboarding", 0));
    await harness.setCampaign("dunning", campaign("dunning", "dunning", 0, "delivery:\n  quiet_hours: false"));
    await harness.setCampaign("urgent", campaign("urgent", "winback", 0, "delivery:\n  over_cap: skip\n  quiet_hours: false"));
    expect(harness.deps.campaigns.invalid()).toEqual([]);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });
  beforeEach(async () => {
    clock.set(new Date("2026-12-10T20:00:00Z"));
    smtp.received.length = 0;
    await resetState(harness);
  });

  const customer = (id: string, timezone: string) =>
    fetch(`${harness.url}/api/customers/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email: `${id}@example.com`, timezone }),
    });
  const rows = () =>
    queryRows(
      harness.deps.db,
      z.object({ customer: z.string(), campaign: z.string(), status: z.string(), due_at: z.string(), outcome: col.jsonObject.nullable() }),
      sql`select c.external_id as customer, en.campaign_id as campaign, m.status::text as status, m.due_at, m.outcome
          from messages m join customers c on c.id = m.customer_id join enrollments en on en.id = m.enrollment_id order by m.id`,
    );
  async function settle() {
    for (let i = 0; i < 100; i++) {
      await dispatchDue(harness.deps);
      const all = await rows();
      const pending = (r: { status: string; due_at: string }) =>
        r.status === "sending" || ((r.status === "queued" || r.status === "scheduled") && new Date(r.due_at) <= clock.now());
      if (!all.some(pending)) return all;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(JSON.stringify(await rows()));
  }

  it("holds a night-time email until the morning in the customer's own time zone", async () => {
    // 20:00 UTC: 04:00 tomorrow in Shanghai, noon in Los Angeles.
    await customer("shanghai", "Asia/Shanghai");
    await customer("los-angeles", "America/Los_Angeles");
    await post(harness, "/v1/batch", { batch: ["shanghai", "los-angeles"].map((userId) => ({ type: "track", userId, event: "onboarding" })) });
    let all = await settle();
    expect(all.map((r) => [r.customer, r.status])).toEqual([
      ["shanghai", "scheduled"],
      ["los-angeles", "sent"],
    ]);
    expect(new Date(present(all[0], "all[0]").due_at).toISOString()).toBe("2026-12-11T01:00:00.000Z");
    expect(all[0]?.outcome).toMatchObject({ type: "quiet_hours" });
    clock.set(new Date("2026-12-11T01:00:00Z"));
    all = await settle();
    expect(all[0]?.status).toBe("sent");
    expect(smtp.received.map((m) => m.to && "value" in m.to ? present(m.to.value[0], "m.to.value[0]").address : "").sort()).toEqual(["los-angeles@example.com", "shanghai@example.com"]);
  });

  it("defers a third email in a day to when the cap allows it; billing notices are exempt", async () => {
    clock.set(new Date("2026-12-10T09:00:00Z"));
    await customer("reader", "Europe/London");
    await post(harness, "/v1/track", { userId: "reader", event: "onboarding" });
    await settle();
    clock.set(new Date("2026-12-10T11:00:00Z"));
    await post(harness, "/v1/track", { userId: "reader", event: "winback" });
    await settle();
    clock.set(new Date("2026-12-10T12:00:00Z"));
    await post(harness, "/v1/track", { userId: "reader", event: "onboarding" });
    await post(harness, "/v1/track", { userId: "reader", event: "dunning" });
    const all = await settle();
    expect(all.map((r) => [r.campaign, r.status])).toEqual([
      ["onboarding", "sent"],
      ["winback", "sent"],
      ["onboarding", "scheduled"],
      ["dunning", "sent"],
    ]);
    // The 09:00 send leaves the rolling day at 09:00 tomorrow; that is inside the London window.
    expect(new Date(present(all[2], "all[2]").due_at).toISOString()).toBe("2026-12-11T09:00:00.000Z");
    expect(all[2]?.outcome).toMatchObject({ type: "capped" });
  });

  it("lets the higher-priority campaign go first when the cap has room for one, and skips when a campaign says so", async () => {
    clock.set(new Date("2026-12-10T10:00:00Z"));
    await customer("busy", "Europe/London");
    await post(harness, "/v1/track", { userId: "busy", event: "onboarding" });
    await settle();
    // One left today; two fall due together.
    await post(harness, "/v1/batch", { batch: [{ type: "track", userId: "busy", event: "onboarding" }, { type: "track", userId: "busy", event: "winback" }] });
    let all = await settle();
    // The two campaigns of one batch are matched at once, so their emails are created in either order.
    expect(all.map((r) => [r.campaign, r.status]).sort()).toEqual([
      ["onboarding", "scheduled"],
      ["onboarding", "sent"],
      ["winback", "sent"],
    ]);
    // Whichever job ran first, the lower-priority email waits for tomorrow's room.
    const waiting = all.find((r) => r.campaign === "onboarding" && r.status === "scheduled");
    expect(new Date(present(waiting, "waiting").due_at).toISOString()).toBe("2026-12-11T10:00:00.000Z");
    await post(harness, "/v1/track", { userId: "busy", event: "urgent" });
    all = await settle();
    expect(all.find((r) => r.campaign === "urgent")).toMatchObject({ campaign: "urgent", status: "skipped", outcome: { type: "capped" } });
  });
});
