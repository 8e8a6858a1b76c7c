import { bigint, boolean, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * One loaded definition of a campaign file, immutable: the content hash identifies it, and every
 * enrollment and message records the version it used, so "what exactly did we send?" has an answer.
 */
export const campaignVersions = pgTable(
  "campaign_versions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    campaignId: text("campaign_id").notNull(),
    /** sha256 of the campaign file and its templates. */
    contentHash: text("content_hash").notNull(),
    /** The parsed campaign definition. */
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
    /** The template sources at that version, by file name. */
    templates: jsonb("templates").$type<Record<string, string>>().notNull().default({}),
    loadedAt: timestamp("loaded_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("campaign_versions_campaign_hash_key").on(t.campaignId, t.contentHash)],
);
export type CampaignVersion = typeof campaignVersions.$inferSelect;

/** The live state of each campaign: which version is current, and whether a person paused it. */
export const campaigns = pgTable("campaigns", {
  id: text("id").primaryKey(),
  currentVersionId: bigint("current_version_id", { mode: "number" }).references(() => campaignVersions.id),
  enabled: boolean("enabled").notNull().default(true),
  /** Why the file was refused at its last load (file, line, reason), or null when it is valid. */
  loadError: jsonb("load_error").$type<{ file: string; line?: number; message: string }[]>(),
  pausedAt: timestamp("paused_at", { withTimezone: true }),
  pausedBy: text("paused_by"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
export type CampaignState = typeof campaigns.$inferSelect;

