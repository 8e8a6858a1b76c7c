import { sql } from "drizzle-orm";
import { z } from "zod";
import { col, type Db, queryRows } from "../db/index.js";

/** One customer found by support's search box. */
export interface CustomerMatch {
  id: string;
  email: string | null;
  name: string | null;
  plan: string | null;
  lastSeenAt: string | null;
  /** How the query matched: the whole id, the start of the id, or the start of the email address. */
  match: "id" | "id_prefix" | "email";
}

/** `like` treats `%`, `_` and `\` specially; a search for `a_b` means those three characters. */
const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Finds customers by their exact id, the start of their id, or the start of their email address
 * (case-insensitive), exact id first. Each part is one index range read in index order and cut at
 * `limit` (customers_external_id_key, customers_external_id_prefix_idx, customers_email_prefix_idx),
 * so the cost does not grow with the number of customers.
 */
export async function searchCustomers(db: Db, query: string, limit: number): Promise<CustomerMatch[]> {
  const rows = await queryRows(
    db,
    z.object({ external_id: z.string(), email: z.string().nullable(), name: z.string().nullable(), plan: z.string().nullable(), last_seen_at: col.timestamp.nullable(), match: z.enum(["id", "id_prefix", "email"]) }),
    sql`select f.*, (select a.last_seen_at from customer_activity a where a.customer_id = f.id) as last_seen_at from (
        (select id, external_id, email, name, plan, 'id' as match, 0 as rank, '' as sort from customers where external_id = ${query})
        union all
        (select id, external_id, email, name, plan, 'id_prefix', 1, external_id collate "C" from customers
         where external_id collate "C" like ${likePrefix(query)} and external_id <> ${query}
         order by external_id collate "C" limit ${limit})
        union all
        (select id, external_id, email, name, plan, 'email', 2, lower(email) collate "C" from customers
         where lower(email) collate "C" like ${likePrefix(query.toLowerCase())}
         order by lower(email) collate "C" limit ${limit})) f
        order by f.rank, f.sort`,
  );
  const seen = new Set<string>();
  const matches: CustomerMatch[] = [];
  for (const row of rows) {
    if (seen.has(row.external_id)) continue;
    seen.add(row.external_id);
    matches.push({ id: row.external_id, email: row.email, name: row.name, plan: row.plan, lastSeenAt: row.last_seen_at && row.last_seen_at.toISOString(), match: row.match });
    if (matches.length === limit) break;
  }
  return matches;
}
