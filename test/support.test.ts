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

const CAMPAIGN = `id: nudge
name: Nudge
category: winback
trigger:
  type: event
  name: Nudge Me
reentry: always
steps:
  - id: hello
    type: email
    template: hello
`;

describe("pause, resume and stop, on emails already queued", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(new Date("2026-12-01T12:00:00Z"));
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "none" } });
    await harness.setCampaign("nudge", CAMPAIGN);
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });
  beforeEach(async () => {
    clock.set(new Date("2026-12-01T12:00:00Z"));
    smtp.received.length = 0;
    await resetState(harness);
    await harness.deps.db.execute(sql`truncate pauses, audit_log`);
  });

  const api = async (path: string, body: unknown = {}) => {
    const response = await fetch(`${harness.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** A customer whose email is queued in Redis, due in a moment. */
  async function queued(id: string): Promise<number> {
    await fetch(`${harness.url}/api/customers/${id}`, { method: "PUT", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ email: `${id}@example.com` }) });
    await post(harness, "/v1/track", { userId: id, event: "Nudge Me" });
    await harness.deps.db.execute(sql`update messages m set due_at = due_at + interval '1 second' from customers c where c.id = m.customer_id and c.external_id = ${id} and m.status = 'scheduled'`);
    await dispatchDue(harness.deps);
    const [row] = await queryRows(harness.deps.db, z.object({ id: col.int }), sql`select m.id::int from messages m join customers c on c.id = m.customer_id where c.external_id = ${id} order by m.id desc limit 1`);
    const message = present(row, `the latest email of ${id}`);
    expect(await harness.deps.queues.queue("send").getJob(`msg-${message.id}`)).toBeTruthy();
    return message.id;
  }
  const settled = async (id: number, status: string) => {
    for (let i = 0; i < 400; i++) {
      const [row] = await queryRows(harness.deps.db, z.object({ status: z.string(), outcome: col.jsonObject.nullable() }), sql`select status::text, outcome from messages where id = ${id}`);
      if (row?.status === status) return row;
      await dispatchDue(harness.deps);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`message ${id} never became ${status}`);
  };

  it("a customer pause holds the queued email; resume sends it", async () => {
    const id = await queued("ann");
    expect((await api("/api/customers/ann/pause", { until: "2026-12-24T00:00:00Z", reason: "asked us to wait until after the holidays" })).status).toBe(201);
    expect(await settled(id, "scheduled")).toMatchObject({ outcome: { type: "paused" } });
    expect(smtp.received).toHaveLength(0);
    expect((await api("/api/customers/ann/resume")).body).toEqual({ lifted: 1, released: 1 });
    await settled(id, "sent");
    expect(smtp.received).toHaveLength(1);
  });

  it("a campaign pause and the global kill switch hold queued emails until resumed", async () => {
    const a = await queued("bob");
    expect((await api("/api/campaigns/nudge/pause", { reason: "fixing a typo in the email" })).status).toBe(201);
    await settled(a, "scheduled");
    const b = await queued("cy");
    expect((await api("/api/pause-all", { reason: "incident 42" })).status).toBe(201);
    await api("/api/campaigns/nudge/resume");
    await settled(b, "scheduled");
    expect(smtp.received).toHaveLength(0);
    expect((await api("/api/resume-all")).body).toMatchObject({ lifted: 1 });
    await settled(a, "sent");
    await settled(b, "sent");
  });

  it("stop ends the customer's sequences, skips what was queued and can keep them out for a while", async () => {
    const id = await queued("dee");
    const stopped = await api("/api/customers/dee/stop", { reason: "cancelled by phone", block: "P30D" });
    expect(stopped.body).toMatchObject({ stopped: 1, skipped: 0 });
    expect(await settled(id, "skipped")).toMatchObject({ outcome: { type: "enrollment_ended", status: "stopped" } });
    await post(harness, "/v1/track", { userId: "dee", event: "Nudge Me" });
    const enrollments = await queryRows(harness.deps.db, z.object({ status: z.string(), end_reason: z.string() }), sql`select status::text, end_reason from enrollments`);
    expect(enrollments).toEqual([{ status: "stopped", end_reason: expect.stringMatching(/^stopped by api-key:\w+: cancelled by phone$/) }]);
    expect(smtp.received).toHaveLength(0);
  });

  it("refuses a pause without a reason, and records every act in the audit log", async () => {
    await fetch(`${harness.url}/api/customers/eve`, { method: "PUT", headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ email: "eve@example.com" }) });
    expect((await api("/api/customers/eve/pause", {})).status).toBe(400);
    expect((await api("/api/customers/nobody/pause", { reason: "x" })).status).toBe(404);
    await api("/api/customers/eve/pause", { reason: "on leave" });
    await api("/api/customers/eve/resume");
    const audit = await queryRows(harness.deps.db, z.object({ action: z.string(), target_id: z.string() }), sql`select action, target_id from audit_log order by id`);
    expect(audit).toEqual([
      { action: "customer.pause", target_id: "eve" },
      { action: "customer.resume", target_id: "eve" },
    ]);
  });
});

describe("the customer timeline", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const clock = new FixedClock(new Date("2026-12-01T12:00:00Z"));
  beforeAll(async () => {
    smtp = await startSmtp();
    harness = await startHarness({ clock, worker: true, env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "none" } });
    await harness.setCampaign("nudge", CAMPAIGN.replace("steps:", "steps:\n  - id: first\n    type: email\n    template: hello\n  - id: wait\n    type: wait\n    duration: P2D").replace("  - id: hello\n", "  - id: second\n"));
  });
  afterAll(async () => {
    await harness.stop();
    await smtp.close();
  });

  it("reads back the whole story in order, with reasons, and what comes next", async () => {
    const auth = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
    await fetch(`${harness.url}/api/customers/fay`, { method: "PUT", headers: auth, body: JSON.stringify({ email: "fay@example.com", name: "Fay" }) });
    clock.advance(60_000);
    await post(harness, "/v1/track", { userId: "fay", event: "Nudge Me", properties: { plan: "pro" } });
    await dispatchDue(harness.deps);
    await smtp.waitFor(1);
    for (let i = 0; i < 50; i++) {
      const [row] = await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status = 'sent'`);
      if (present(row, "the count of sent emails").n === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    clock.advance(60_000);
    await fetch(`${harness.url}/api/customers/fay/pause`, { method: "POST", headers: auth, body: JSON.stringify({ reason: "travelling" }) });
    const response = await fetch(`${harness.url}/api/customers/fay/timeline`, { headers: auth });
    const timeline = (await response.json()) as { entries: { kind: string; summary: string; detail: Record<string, unknown> }[]; next: { step: string; due: string }[] };
    expect(timeline.entries.map((e) => e.kind)).toEqual(["event", "entered", "message", "pause"]);
    // In words: the source by name, why she entered (no trigger key), the kind and status once, no ISO stamps.
    expect(timeline.entries[0]?.summary).toBe("Nudge Me (Segment)");
    expect(timeline.entries[1]?.summary).toBe("entered nudge because of the event “Nudge Me” on 1 Dec 2026, 12:01");
    expect(timeline.entries[1]?.detail).toMatchObject({ campaign: "nudge", version: expect.stringMatching(/^[0-9a-f]{64}$/), trigger: "event", moment: expect.stringMatching(/^event:\d+$/) });
    expect(timeline.entries[2]?.summary).toBe("email “Nudge for fay@example.com” sent (nudge / first)");
    expect(timeline.entries[2]?.detail.because).toMatchObject({ words: "because of the event “Nudge Me” on 1 Dec 2026, 12:01" });
    expect(timeline.entries[3]?.summary).toMatch(/^customer paused by api-key:\w+: travelling$/);
    // The reader's time zone, when the reader gives it: the same moment in Tokyo's words.
    const tokyo = (await (await fetch(`${harness.url}/api/customers/fay/timeline?timeZone=Asia/Tokyo`, { headers: auth })).json()) as typeof timeline;
    expect(tokyo.entries[1]?.summary).toBe("entered nudge because of the event “Nudge Me” on 1 Dec 2026, 21:01");
    const badZone = await fetch(`${harness.url}/api/customers/fay/timeline?timeZone=Mars/Olympus`, { headers: auth });
    expect(badZone.status).toBe(400);
    expect(((await badZone.json()) as { error: { problems: { path: string }[] } }).error.problems[0]?.path).toBe("query.timeZone");
    expect(timeline.next).toEqual([{ due: "2026-12-03T12:01:00.000Z", campaign: "nudge", step: "second", status: "scheduled" }]);

    // The same story in ops' figures.
    const status = (await (await fetch(`${harness.url}/api/status`, { headers: auth })).json()) as { lastHour: { sent: number }; workers: { running: boolean; lastSeenAt: string | null }; campaigns: { id: string; state: string }[]; queues: Record<string, unknown>; warnings: string[] };
    expect(status.lastHour.sent).toBe(1);
    // This harness runs a worker: its periodic tasks say it is alive.
    expect(status.workers).toEqual({ running: true, lastSeenAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    expect(status.campaigns).toEqual([{ id: "nudge", state: "running", detail: null }]);
    expect(Object.keys(status.queues).sort()).toEqual(["send"]);
    // A server without autovacuum is called out: its statistics go stale and queries slow down.
    const [server] = await queryRows(harness.deps.db, z.object({ autovacuum: z.string() }), sql`select current_setting('autovacuum') as autovacuum`);
    const { warnings } = status;
    if (present(server, "server").autovacuum === "on") expect(warnings).toEqual([]);
    else expect(warnings).toEqual([expect.stringMatching(/^PostgreSQL runs without autovacuum/)]);
    const metrics = await (await fetch(`${harness.url}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/^rekindle_messages_last_hour\{status="sent"\} 1$/m);
    expect(metrics).toMatch(/^rekindle_queue_jobs\{queue="send",state="waiting"\} \d+$/m);
    expect(metrics).toMatch(/^rekindle_outbox_lag_seconds \d+$/m);
  });
});
