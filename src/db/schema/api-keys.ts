import { sql } from "drizzle-orm";
import { bigint, index, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const apiKeyRole = pgEnum("api_key_role", ["ingest", "support", "marketer", "ops"]);
export type ApiKeyRole = (typeof apiKeyRole.enumValues)[number];

/** API keys with a role. Only a SHA-256 digest is stored; the key is shown once, when created. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    role: apiKeyRole("role").notNull(),
    /** hex SHA-256 of the key. */
    digest: text("digest").notNull(),
    /** The first characters, to recognise a key in lists and logs. */
    prefix: text("prefix").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedBy: text("revoked_by"),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("api_keys_digest_key").on(t.digest), index("api_keys_active_idx").on(t.role).where(sql`${t.revokedAt} is null`)],
);
export type ApiKey = typeof apiKeys.$inferSelect;
