import { and, desc, eq } from "drizzle-orm";
import { auditLog, type Db } from "../db/index.js";

/** What `GET /api/audit` and `rekindle audit` ask of the log. */
export interface AuditFilter {
  /** A customer id, campaign id, email address or key id. */
  target?: string;
  /** What the target is: `customer`, `campaign`, `email`, `api_key`, `global`. */
  type?: string;
  limit: number;
}

/** What people did (pauses, stops, suppressions, test sends, key changes), newest first. */
export async function auditEntries(db: Db, { target, type, limit }: AuditFilter) {
  return db
    .select()
    .from(auditLog)
    // With the type, one range of audit_log_target_idx; without it, a scan of the log by time.
    .where(and(type ? eq(auditLog.targetType, type) : undefined, target ? eq(auditLog.targetId, target) : undefined))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(limit);
}
