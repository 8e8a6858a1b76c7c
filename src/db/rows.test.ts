import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import * as col from "./columns.js";
import type { Db } from "./database.js";
import { RowShapeError } from "./row-shape-error.js";
import { queryRows } from "./rows.js";

// PGlite in memory: the parse is the same for either driver; the column parsers say where they differ.
const client = new PGlite();
const db = drizzle(client) as unknown as Db;
afterAll(() => client.close());

describe("queryRows", () => {
  it("reads each column as the code uses it, whatever the driver hands back", async () => {
    const rows = await queryRows(
      db,
      z.object({ id: col.int8, n: col.int, amount: col.numeric, at: col.timestamp, facts: col.jsonObject, gone: col.timestamp.nullable() }),
      sql`select 9007199254740::bigint as id, 3 as n, 12.5::numeric as amount, '2026-11-28T10:00:00Z'::timestamptz as at, '{"a":1}'::jsonb as facts, null::timestamptz as gone`,
    );
    expect(rows).toEqual([{ id: 9_007_199_254_740, n: 3, amount: 12.5, at: new Date("2026-11-28T10:00:00Z"), facts: { a: 1 }, gone: null }]);
  });

  it("refuses a row that does not match, naming the column and the statement", async () => {
    const read = queryRows(db, z.object({ status: z.enum(["sent", "failed"]) }), sql`select 'lost' as status\n  from (select 1) one`);
    await expect(read).rejects.toBeInstanceOf(RowShapeError);
    await expect(read).rejects.toThrow(/row 0 of `select 'lost' as status` does not match its schema: status: /);
  });
});
