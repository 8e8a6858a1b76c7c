import { sql } from "drizzle-orm";
import { customers, type Db, textArray } from "../../db/index.js";

/**
 * Returns the internal id of each external id, creating the customers that do not exist yet.
 * Ids are inserted in sorted order so that concurrent batches lock in the same order.
 */
export async function ensureCustomers(db: Db, externalIds: Iterable<string>, now: Date): Promise<Map<string, number>> {
  const unique = [...new Set(externalIds)].sort();
  if (unique.length === 0) return new Map();
  const lookup = async (ids: string[]) =>
    // One array parameter, not one parameter per id: a group of thousands of events parses and plans as fast as one.
    db.select({ id: customers.id, externalId: customers.externalId }).from(customers).where(sql`${customers.externalId} = any(${textArray(ids)})`);
  // Most events are for customers already known: one read, and an insert only for the new ones.
  const found = new Map((await lookup(unique)).map((row) => [row.externalId, row.id]));
  const missing = unique.filter((id) => !found.has(id));
  if (missing.length > 0) {
    await db
      .insert(customers)
      .values(missing.map((externalId) => ({ externalId, createdAt: now, updatedAt: now })))
      .onConflictDoNothing({ target: customers.externalId });
    for (const row of await lookup(missing)) found.set(row.externalId, row.id);
  }
  return found;
}
