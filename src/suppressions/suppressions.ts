import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { SuppressInput, UnsuppressInput } from "../api/index.js";
import { auditLog, type Db, type Suppression, suppressions } from "../db/index.js";

/**
 * Stops mail to an address (for one category or all), and records who did it. Suppressing an
 * address that already is suppressed the same way changes nothing and is not an error.
 */
export async function suppress(db: Db, input: SuppressInput, actor: string, now: Date): Promise<{ created: boolean }> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .insert(suppressions)
      .values({ email: input.email, category: input.category ?? null, reason: input.reason, detail: input.detail ?? null, createdBy: actor, createdAt: now })
      .onConflictDoNothing()
      .returning({ id: suppressions.id });
    if (rows.length > 0) {
      await tx.insert(auditLog).values({
        actor,
        action: `suppression.${input.reason}`,
        targetType: "email",
        targetId: input.email,
        after: { category: input.category ?? "all", reason: input.reason, detail: input.detail ?? null },
        at: now,
      });
    }
    return { created: rows.length > 0 };
  });
}

/** Lets mail go to an address again (one category, or every suppression of it): an explicit, audited act. */
export async function unsuppress(db: Db, input: UnsuppressInput, actor: string, now: Date): Promise<{ lifted: number }> {
  return db.transaction(async (tx) => {
    const lifted = await tx
      .update(suppressions)
      .set({ liftedAt: now, liftedBy: actor })
      .where(
        and(
          eq(suppressions.email, input.email),
          isNull(suppressions.liftedAt),
          input.category === undefined ? sql`true` : input.category === "all" ? isNull(suppressions.category) : eq(suppressions.category, input.category),
        ),
      )
      .returning({ category: suppressions.category, reason: suppressions.reason });
    if (lifted.length > 0) {
      await tx.insert(auditLog).values({
        actor,
        action: "suppression.lifted",
        targetType: "email",
        targetId: input.email,
        before: lifted.map((l) => ({ category: l.category ?? "all", reason: l.reason })),
        after: null,
        at: now,
      });
    }
    return { lifted: lifted.length };
  });
}

/** Active suppressions, of one address or the most recent ones. */
export async function listSuppressions(db: Db, email?: string, limit = 100): Promise<Suppression[]> {
  return db
    .select()
    .from(suppressions)
    .where(and(isNull(suppressions.liftedAt), email ? eq(suppressions.email, email.toLowerCase()) : sql`true`))
    .orderBy(desc(suppressions.createdAt))
    .limit(limit);
}
