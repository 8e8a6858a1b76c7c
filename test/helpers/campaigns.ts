import { sql } from "drizzle-orm";
import { z } from "zod";
import { scanCampaign } from "../../src/campaigns/index.js";
import { col, queryRows } from "../../src/db/index.js";
import type { Harness } from "./harness.js";

export const EnrollmentRow = z.object({
  customer: z.string(),
  status: z.string(),
  trigger_key: z.string(),
  matched_facts: col.jsonObject,
  end_reason: z.string().nullable(),
  campaign_version_id: col.int,
});
export type EnrollmentRow = z.infer<typeof EnrollmentRow>;

export async function enrollments(harness: Harness, campaignId: string): Promise<EnrollmentRow[]> {
  return queryRows(
    harness.deps.db,
    EnrollmentRow,
    sql`select c.external_id as customer, en.status::text as status, en.trigger_key, en.matched_facts, en.end_reason,
               en.campaign_version_id::int as campaign_version_id
        from enrollments en join customers c on c.id = en.customer_id
        where en.campaign_id = ${campaignId} order by c.external_id, en.id`,
  );
}

/** Customers enrolled in a campaign, by external id, sorted. */
export async function enrolled(harness: Harness, campaignId: string): Promise<string[]> {
  return (await enrollments(harness, campaignId)).map((row) => row.customer);
}

/** Runs one scan of a campaign at the harness clock's now; returns the external ids it enrolled. */
export async function scan(harness: Harness, campaignId: string): Promise<string[]> {
  const campaign = harness.deps.campaigns.get(campaignId);
  if (!campaign) throw new Error(`campaign ${campaignId} is not loaded: ${JSON.stringify(harness.deps.campaigns.invalid())}`);
  const result = await scanCampaign(harness.deps.db, campaign, harness.deps.clock.now());
  if (result.length === 0) return [];
  const rows = await queryRows(
    harness.deps.db,
    z.object({ external_id: z.string() }),
    sql`select external_id from customers where id = any(array(select jsonb_array_elements_text(${JSON.stringify(result.map((r) => r.customerId))}::jsonb)::bigint)) order by external_id`,
  );
  return rows.map((row) => row.external_id);
}

export async function resetState(harness: Harness): Promise<void> {
  await harness.deps.db.execute(sql`truncate customers, events, unmatched_events, anonymous_ids, enrollments, subscriptions, payment_methods, suppressions cascade`);
}
