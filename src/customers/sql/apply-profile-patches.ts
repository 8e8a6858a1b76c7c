import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { bigintArray, col, type Db, queryRows } from "../../db/index.js";
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
 * Each customer's last activity before a change was applied (null: none on record), for the
 * customers whose activity it moved. Read in the statement's snapshot, so a concurrent batch's
 * activity may be missing from it: it is never later than the truth, only possibly earlier.
 */
export type LastSeenBefore = ReadonlyMap<number, Date | null>;

/**
 * Applies many customers' changes in two set-based statements. Profiles: absent fields keep their
 * value, traits merge key by key (a null removes the key); only customers whose profile the batch
 * changes are touched. Activity: `customer_activity.last_seen_at` only moves forward, `first_seen_at` only back.
 */
export async function applyProfilePatches(db: Db, patches: CustomerPatch[], now: Date): Promise<LastSeenBefore> {
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
  if (seen.length === 0) return new Map();
  // The upsert and, in the same statement (so one round trip), what each row held before it.
  const rows = await queryRows(
    db,
    z.object({ customer_id: col.int8, last_seen_at: col.timestamp.nullable() }),
    sql`with s as materialized (
          select s.id as customer_id, s.last as last_seen_at, s.first as first_seen_at
          from jsonb_to_recordset(${JSON.stringify(seen)}::jsonb) as s(id bigint, last timestamptz, first timestamptz)),
        before as materialized (
          select a.customer_id, a.last_seen_at from customer_activity a where a.customer_id in (select customer_id from s)),
        moved as (${recordActivitySql(sql`select customer_id, last_seen_at, first_seen_at from s order by customer_id`)})
        select s.customer_id, b.last_seen_at from s left join before b on b.customer_id = s.customer_id`,
  );
  return new Map(rows.map((row) => [row.customer_id, row.last_seen_at]));
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
