import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Database, openDatabase, queryRows } from "../src/db/index.js";
import { createTestDatabase } from "./helpers/postgres.js";

describe("Rekindle's PostgreSQL connections", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let opened: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
    opened = await openDatabase({ url: database.url, poolSize: 3, dataDir: "" });
  });
  afterAll(async () => {
    await opened.close();
    await database.drop();
  });

  it("run without JIT compilation, on every connection of the pool, inside transactions too", async () => {
    const jit = z.object({ jit: z.string() });
    // Three at once, so that the pool opens each of its connections.
    const seen = await Promise.all([1, 2, 3].map(() => queryRows(opened.db, jit, sql`select current_setting('jit') as jit, pg_sleep(0.05)::text`)));
    expect(seen.flat()).toEqual([{ jit: "off" }, { jit: "off" }, { jit: "off" }]);
    const inTransaction = await opened.db.transaction((tx) => queryRows(tx, jit, sql`select current_setting('jit') as jit`));
    expect(inTransaction).toEqual([{ jit: "off" }]);
  });
});
