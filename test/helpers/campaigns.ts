import { sql } from "drizzle-orm";
import { scanCampaign } from "../../src/campaigns/index.js";
import { queryRows } from "../../src/db/index.js";
import type { Harness } from "./harness.js";

export interface EnrollmentRow {
  customer: string;
  status: string;
  trigger_key: string;
  matched_facts: Record<string, unknown>;
  end_reason: string | null;
  campaign_version_id: number;
}

export async function enrollments(harness: Harness, campaignId: string): Promise<EnrollmentRow[]> {
  return queryRows<EnrollmentRow>(
    harness.deps.db,
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
  const rows = await queryRows<{ external_id: string }>(
    harness.deps.db,
    sql`select external_id from customers where id = any(array(select jsonb_array_elements_text(${JSON.stringify(result.map((r) => r.customerId))}::jsonb)::bigint)) order by external_id`,
  );
  return rows.map((row) => row.external_id);
}

export async function resetState(harness: Harness): Promise<void> {
  await harness.deps.db.execute(sql`truncate customers, events, anonymous_ids, enrollments, subscriptions, payment_methods, suppressions cascade`);
}
