import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../db/index.js";

/** An email a worker may or may not have sent; `updated_at` stays as PostgreSQL wrote it (`--json` prints it as is). */
const UncertainRow = z.object({
  id: col.int,
  customer: z.string(),
  campaign: z.string(),
  step: z.string(),
  to_address: z.string().nullable(),
  updated_at: z.string(),
});

/** Emails a worker stopped inside the SMTP call may or may not have sent, oldest first: reported, never resent on their own. */
export async function uncertainMessages(db: Db) {
  return queryRows(
    db,
    UncertainRow,
    sql`select m.id::int, c.external_id as customer, en.campaign_id as campaign, m.step_id as step, m.to_address, m.updated_at
        from messages m join customers c on c.id = m.customer_id join enrollments en on en.id = m.enrollment_id
        where m.status = 'uncertain' order by m.updated_at`,
  );
}
