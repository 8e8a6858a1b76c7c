import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { z } from "zod";
import type { Db } from "./database.js";
import { RowShapeError } from "./row-shape-error.js";

/** The statement's first non-blank line, to say which query a bad row came from. */
function firstLine(query: SQL): string {
  const text = new PgDialect().sqlToQuery(query).sql;
  return text.split("\n").map((line) => line.trim()).find((line) => line.length > 0) ?? "";
}

/** `queryRows`'s signature: the rows come back as the schema's output. */
type QueryRows = <S extends z.ZodType>(db: Db, schema: S, query: SQL) => Promise<z.output<S>[]>;

/**
 * Runs raw SQL and parses each row with `schema` (a `z.object` of the columns, built from
 * `./columns.ts`). A row that does not match throws `RowShapeError`, naming the column and the
 * statement: nothing is cast.
 */
export const queryRows: QueryRows = async (db, schema, query) => {
  // Both drivers answer \`{ rows }\`; the Db type, common to both, leaves the result unknown.
  const result: unknown = await db.execute(query);
  const { rows } = result as { rows: unknown[] };
  const parsed: z.output<typeof schema>[] = [];
  for (const [index, row] of rows.entries()) {
    const result = schema.safeParse(row);
    if (!result.success) {
      const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(row)"}: ${issue.message}`).join("; ");
      throw new RowShapeError(`row ${index} of \`${firstLine(query)}\` does not match its schema: ${problems}`);
    }
    parsed.push(result.data);
  }
  return parsed;
};
