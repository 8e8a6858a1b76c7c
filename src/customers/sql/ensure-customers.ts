import { inArray } from "drizzle-orm";
import { customers, type Db } from "../../db/index.js";

/**
 * Returns the internal id of each external id, creating the customers that do not exist yet.
 * Ids are inserted in sorted order so that concurrent batches lock in the same order.
 */
export async function ensureCustomers(db: Db, externalIds: Iterable<string>, now: Date): Promise<Map<string, number>> {
  const unique = [...new Set(externalIds)].sort();
  if (unique.length === 0) return new Map();
  await db
    .insert(customers)
    .values(unique.map((externalId) => ({ externalId, createdAt: now, updatedAt: now })))
    .onConflictDoNothing({ target: customers.externalId });
  const rows = await db
    .select({ id: customers.id, externalId: customers.externalId })
    .from(customers)
    .where(inArray(customers.externalId, unique));
  return new Map(rows.map((row) => [row.externalId, row.id]));
}
