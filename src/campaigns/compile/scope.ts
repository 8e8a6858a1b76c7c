import { type SQL, sql } from "drizzle-orm";

/**
 * What a compiled statement refers to. Conditions are compiled against the alias `c` (customers);
 * `s` (the customer's current subscription) and `pm` (their default card) are joined only when a
 * condition asks about them, so a statement that does not need them does not pay for them.
 */
export class SqlScope {
  readonly needs = new Set<"subscription" | "card">();
  constructor(readonly now: Date) {}

  /** The scan's "now" as a bound parameter. */
  nowSql(): SQL {
    return sql`${this.now.toISOString()}::timestamptz`;
  }

  /**
   * The lateral joins the compiled conditions asked for, by the customer's id (`c.id`, or another
   * column that holds it, so that they can come before the customer row is read).
   */
  joins(customerId: SQL = sql`c.id`): SQL {
    const parts: SQL[] = [];
    if (this.needs.has("subscription")) {
      // The live subscription when there is one, else the most recent.
      parts.push(sql`left join lateral (
        select * from subscriptions s0 where s0.customer_id = ${customerId}
        order by (s0.status <> 'canceled') desc, s0.updated_at desc, s0.id desc limit 1) s on true`);
    }
    if (this.needs.has("card")) {
      parts.push(sql`left join lateral (
        select * from payment_methods p0 where p0.customer_id = ${customerId} and p0.is_default and p0.detached_at is null
        order by p0.updated_at desc, p0.id desc limit 1) pm on true`);
    }
    return sql.join(parts, sql` `);
  }
}

export const duration = (text: string): SQL => sql`${text}::interval`;
export const jsonValue = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`;
export const textList = (values: readonly string[]): SQL => sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
