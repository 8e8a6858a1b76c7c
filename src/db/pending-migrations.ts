import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import * as col from "./columns.js";
import { type Db, MIGRATIONS_FOLDER } from "./database.js";
import { queryRows } from "./rows.js";

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

/**
 * Migrations in `migrations/` not yet applied to the database, by tag. Uses drizzle's own rule:
 * a migration is applied when the newest recorded one is at least as recent.
 */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as Journal;
  let last = 0;
  try {
    const [row] = await queryRows(
      db,
      z.object({ created_at: col.int8.nullable() }),
      sql`select max(created_at) as created_at from drizzle.__drizzle_migrations`,
    );
    last = row?.created_at ?? 0;
  } catch (error) {
    // 42P01/3F000: the table or schema does not exist yet, so nothing is applied.
    const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
    if (code !== "42P01" && code !== "3F000") throw error;
  }
  return journal.entries.filter((entry) => entry.when > last).map((entry) => entry.tag);
}
