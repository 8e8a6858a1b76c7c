import { sql } from "drizzle-orm";
import { z } from "zod";
import { bigintArray, col, enrollmentStatus, messageStatus, queryRows, type Tx } from "../db/index.js";
import { CARD_JSON, CardRow, RecipientRow, SUBSCRIPTION_JSON, SubscriptionRow } from "./build-render-context.js";
import { at } from "./outbox.js";

/** An outbox row as the send path reads it: the message, its enrollment, the recipient and their holds. */
export const MessageRow = RecipientRow.extend({
  holdout: z.boolean(),
  subscription: SubscriptionRow.nullable(),
  card: CardRow.nullable(),
  /** Built by `jsonb_build_object`: the id a JSON number, the moment ISO text. */
  pause: z.object({ id: col.int, until: z.string().nullable() }).nullable(),
  suppression: z.string().nullable(),
  id: col.int,
  status: z.enum(messageStatus.enumValues),
  /** The claim that holds the row while it is `sending`. */
  claim_token: z.string().nullable(),
  kind: z.string(),
  step_id: z.string(),
  due_at: col.timestamp,
  attempts: col.int,
  enrollment_id: col.int,
  enrollment_status: z.enum(enrollmentStatus.enumValues),
  campaign_id: z.string(),
  matched_facts: col.jsonObject,
});
export type MessageRow = z.infer<typeof MessageRow>;

/**
 * The messages, locked (in id order), with everything the checks and the email need, in one round
 * trip: their enrollment, the customer, an active pause, a suppression for the campaign's category,
 * and the live subscription and default card for the render context.
 */
export async function lockMessages(tx: Tx, ids: readonly number[], now: Date): Promise<Map<number, MessageRow>> {
  const rows = await queryRows(
    tx,
    MessageRow,
    sql`select m.id::int, m.status::text, m.claim_token::text, m.kind, m.step_id, m.due_at, m.attempts, m.enrollment_id::int, m.customer_id::int,
               en.status::text as enrollment_status, en.campaign_id, en.matched_facts, en.holdout,
               c.external_id, c.email, c.name, c.locale, c.timezone, c.plan, c.traits,
               ${SUBSCRIPTION_JSON} as subscription, ${CARD_JSON} as card,
               (select jsonb_build_object('id', p.id, 'until', p.until) from pauses p
                 where p.lifted_at is null and (p.until is null or p.until > ${at(now)})
                   and (p.scope = 'global' or (p.scope = 'customer' and p.customer_id = c.id) or (p.scope = 'campaign' and p.campaign_id = en.campaign_id))
                 order by p.until desc nulls first limit 1) as pause,
               (select s.reason::text || coalesce(' (' || s.category || ')', '') from suppressions s
                 where s.lifted_at is null and s.email = lower(c.email)
                   and (s.category is null or s.category = cv.definition ->> 'category')
                   -- A notice customers cannot opt out of (billing) ignores unsubscribes, never bounces or complaints.
                   and not (s.reason = 'unsubscribe' and coalesce((cv.definition -> 'delivery' ->> 'unsubscribable')::boolean, true) = false)
                 limit 1) as suppression
        from messages m join enrollments en on en.id = m.enrollment_id join customers c on c.id = m.customer_id
          join campaign_versions cv on cv.id = m.campaign_version_id
        where m.id = any(${bigintArray(ids)})
        order by m.id for update of m`,
  );
  return new Map(rows.map((row) => [row.id, row]));
}
