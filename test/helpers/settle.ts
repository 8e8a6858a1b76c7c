import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "../../src/db/index.js";
import { dispatchDue } from "../../src/delivery/index.js";
import type { Clock } from "../../src/time/index.js";
import type { Harness } from "./harness.js";
import type { TestSmtp } from "./smtp.js";

/**
 * Dispatches until nothing due at the harness's clock is scheduled, queued or sending, and the
 * SMTP server holds at least `count` emails (the worker sends them); fails after 20 s.
 */
export async function settleEmails(harness: Harness, smtp: TestSmtp, clock: Clock, count: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await dispatchDue(harness.deps);
    const busy = await queryRows(harness.deps.db, z.object({}), sql`select 1 from messages where status in ('queued', 'sending') or (status = 'scheduled' and due_at <= ${clock.now().toISOString()}::timestamptz)`);
    if (busy.length === 0 && smtp.received.length >= count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${count} emails, got ${smtp.received.length}`);
}
