import type { ChildProcess } from "node:child_process";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, queryRows } from "../src/db/index.js";
import { dispatchDue } from "../src/delivery/index.js";
import { type Harness, post, startHarness } from "./helpers/harness.js";
import { present } from "./helpers/present.js";
import { childEnv, spawnRekindle } from "./helpers/processes.js";
import { startSmtp, type TestSmtp } from "./helpers/smtp.js";

const EMAILS = 300;

describe("a rolling restart of the workers, under load", () => {
  let harness: Harness;
  let smtp: TestSmtp;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    smtp = await startSmtp();
    smtp.slowDown(15);
    harness = await startHarness({ env: { SMTP_URL: smtp.url, FREQUENCY_CAP: "none" } });
    await harness.setCampaign(
      "blast",
      `id: blast
name: Blast
category: loyalty
trigger:
  type: event
  name: Thank You
steps:
  - id: thanks
    type: email
    template: thanks
`,
    );
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await harness.stop();
    await smtp.close();
  });

  const worker = (name: string) => {
    const process = spawnRekindle("worker", childEnv(harness, { SEND_CONCURRENCY: "4", FREQUENCY_CAP: "none", SHUTDOWN_TIMEOUT: "PT20S" }));
    children.push(process.child);
    return { name, child: process.child, exited: process.exited };
  };
  const sent = async () => present((await queryRows(harness.deps.db, z.object({ n: col.int }), sql`select count(*)::int as n from messages where status = 'sent'`))[0], "the count of sent emails").n;

  it("loses nothing and sends nothing twice", async () => {
    const batch = Array.from({ length: EMAILS }, (_, i) => ({ type: "identify", userId: `r${i}`, traits: { email: `r${i}@example.com` } }));
    await post(harness, "/v1/batch", { batch });
    await post(harness, "/v1/batch", { batch: Array.from({ length: EMAILS }, (_, i) => ({ type: "track", userId: `r${i}`, event: "Thank You" })) });
    const a = worker("a");
    const b = worker("b");
    await dispatchDue(harness.deps);

    // Replace a, then b, while they are busy sending.
    const until = async (n: number) => {
      while ((await sent()) < n) await new Promise((r) => setTimeout(r, 50));
    };
    await until(EMAILS / 5);
    a.child.kill("SIGTERM");
    const c = worker("c");
    expect(await a.exited).toBe(0);
    await until((EMAILS * 2) / 5);
    b.child.kill("SIGTERM");
    const d = worker("d");
    expect(await b.exited).toBe(0);

    const deadline = Date.now() + 45_000;
    while ((await sent()) < EMAILS && Date.now() < deadline) {
      await dispatchDue(harness.deps);
      await new Promise((r) => setTimeout(r, 100));
    }
    const statuses = await queryRows(harness.deps.db, z.object({ status: z.string(), n: col.int }), sql`select status::text, count(*)::int as n from messages group by status`);
    expect(statuses).toEqual([{ status: "sent", n: EMAILS }]);
    await new Promise((r) => setTimeout(r, 300));
    const ids = smtp.received.map((m) => m.messageId);
    expect(ids).toHaveLength(EMAILS);
    expect(new Set(ids).size).toBe(EMAILS);
    c.child.kill("SIGTERM");
    d.child.kill("SIGTERM");
    await Promise.all([c.exited, d.exited]);
  }, 90_000);
});
