import { type SQL, sql } from "drizzle-orm";
import { bigintArray, type Db } from "../../db/index.js";
import type { ProfilePatch } from "../profile.js";

export interface CustomerPatch {
  customerId: number;
  profile: ProfilePatch;
  /** Latest activity seen for this customer in the change, if any. */
  seenAt?: Date;
  /** Earliest activity seen for this customer in the change (with `seenAt`). */
  firstSeenAt?: Date;
}

/**
 * Applies many customers' changes in two set-based statements. Profiles: absent fields keep their
 * value, traits merge key by key (a null removes the key); only customers whose profile the batch
 * changes are touched. Activity: `customer_activity.last_seen_at` only moves forward, `first_seen_at` only back.
 */
export async function applyProfilePatches(db: Db, patches: CustomerPatch[], now: Date): Promise<void> {
  const sorted = [...patches].sort((a, b) => a.customerId - b.customerId);
  const profiles = sorted
    .filter(({ profile }) => Object.values(profile).some((value) => value !== undefined))
    .map(({ customerId, profile }) => ({
      id: customerId,
      email: profile.email ?? null,
      name: profile.name ?? null,
      locale: profile.locale ?? null,
      timezone: profile.timezone ?? null,
      plan: profile.plan ?? null,
      signed_up_at: profile.signedUpAt?.toISOString() ?? null,
      traits: profile.traits ?? null,
    }));
  if (profiles.length > 0) {
    const ids = profiles.map((r) => r.id);
    // Lock in id order first: the UPDATE's join order is the planner's choice, and two batches
    // touching the same customers in different orders would otherwise deadlock. NO KEY UPDATE (the
    // lock the UPDATE itself takes) does not conflict with the KEY SHARE locks that inserting events
    // takes on their customers through the foreign key; FOR UPDATE would, and deadlocked under load.
    await db.execute(sql`select 1 from customers where id = any(${bigintArray(ids)}) order by id for no key update`);
    await db.execute(sql`
      update customers c set
        email = coalesce(p.email, c.email),
        name = coalesce(p.name, c.name),
        locale = coalesce(p.locale, c.locale),
        timezone = coalesce(p.timezone, c.timezone),
        plan = coalesce(p.plan, c.plan),
        signed_up_at = coalesce(p.signed_up_at, c.signed_up_at),
        traits = case
          when p.traits is null then c.traits
          else (c.traits || p.traits) - coalesce(
            (select array_agg(key) from jsonb_each(p.traits) where value = 'null'::jsonb), '{}'::text[])
        end,
        updated_at = ${now.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(profiles)}::jsonb) as p(
        id bigint, email text, name text, locale text, timezone text, plan text, signed_up_at timestamptz, traits jsonb)
      where c.id = p.id`);
  }
  // In customer id order, so concurrent batches take the rows' locks in the same order.
  const seen = sorted.flatMap(({ customerId, seenAt, firstSeenAt }) =>
    seenAt ? [{ id: customerId, last: seenAt.toISOString(), first: (firstSeenAt ?? seenAt).toISOString() }] : [],
  );
  if (seen.length > 0) {
    await db.execute(
      recordActivitySql(sql`select s.id as customer_id, s.last as last_seen_at, s.first as first_seen_at
        from jsonb_to_recordset(${JSON.stringify(seen)}::jsonb) as s(id bigint, last timestamptz, first timestamptz) order by s.id`),
    );
  }
}

/**
 * Moves customers' first and last activity outwards (never inwards) from `rows` (`customer_id`,
 * `last_seen_at`, `first_seen_at`, one row per customer, in customer id order so that concurrent
 * batches take the rows' locks in the same order). A row whose times change nothing is not written.
 */
export function recordActivitySql(rows: SQL): SQL {
  return sql`
    insert into customer_activity (customer_id, last_seen_at, first_seen_at) ${rows}
    on conflict (customer_id) do update set
      last_seen_at = greatest(customer_activity.last_seen_at, excluded.last_seen_at),
      first_seen_at = least(customer_activity.first_seen_at, excluded.first_seen_at)
    where customer_activity.last_seen_at < excluded.last_seen_at
      or customer_activity.first_seen_at is null or customer_activity.first_seen_at > excluded.first_seen_at`;
}
