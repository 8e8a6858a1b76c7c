import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { conditionSql, SqlScope } from "../campaigns/index.js";
import { z } from "zod";
import { type Db, queryRows } from "../db/index.js";
import type { CancelFlow, Offer } from "./definition.js";

/**
 * Whether a session is in the holdout: a fixed function of its id, so that asking again (a double
 * submit, a retry) gives the same answer and the share holds over many sessions.
 */
export function inHoldout(sessionId: string, share: number): boolean {
  if (share <= 0) return false;
  const draw = createHash("sha256").update(`holdout:${sessionId}`).digest().readUInt32BE(0) / 2 ** 32;
  return draw < share;
}

/**
 * The first of the reason's offers whose audience the customer is in, or undefined. All the
 * audiences are asked in one statement, with the conditions compiled as campaigns compile theirs.
 */
export async function chooseOffer(db: Db, flow: CancelFlow, reasonId: string, customerId: number, now: Date): Promise<Offer | undefined> {
  const reason = flow.reasons.find((r) => r.id === reasonId);
  const candidates = (reason?.offers ?? []).flatMap((id) => flow.offers.filter((o) => o.id === id));
  if (candidates.length === 0) return undefined;
  const scope = new SqlScope(now);
  const tests = candidates.map((offer, i) => sql`${offer.audience ? conditionSql(offer.audience, scope) : sql`true`} as ${sql.identifier(`o${i}`)}`);
  const [row] = await queryRows(db, z.record(z.string(), z.boolean().nullable()), sql`select ${sql.join(tests, sql`, `)} from customers c ${scope.joins()} where c.id = ${customerId}`);
  return candidates.find((_, i) => row?.[`o${i}`] === true);
}
