import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/index.js";

/** Emails a worker stopped inside the SMTP call may or may not have sent, oldest first: reported, never resent on their own. */
export async function uncertainMessages(db: Db) {
  return queryRows<{ id: number; customer: string; campaign: string; step: string; to_address: string | null; updated_at: string }>(
    db,
    sql`select m.id::int, c.external_id as customer, en.campaign_id as campaign, m.step_id as step, m.to_address, m.updated_at
        from messages m join customers c on c.id = m.customer_id join enrollments en on en.id = m.enrollment_id
        where m.status = 'uncertain' order by m.updated_at`,
  );
}
