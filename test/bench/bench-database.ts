import { openDatabase } from "../../src/db/index.js";
import { databaseUrl, withAdmin } from "../helpers/postgres.js";
import { seed, type SeedResult } from "./seed.js";

/** Where the bench works unless told otherwise: its own database on the test server. */
export const BENCH_DATABASE = process.env.BENCH_DATABASE ?? "rekindle_bench";

/** A fresh database (dropped first if it exists), migrated by Rekindle's own migrations, then seeded. */
export async function freshSeededDatabase(options: { customers: number; seed: number; now: Date; log: (line: string) => void }): Promise<{ url: string; seeded: SeedResult }> {
  const name = BENCH_DATABASE;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DATABASE must be a plain identifier, not ${JSON.stringify(name)}`);
  await withAdmin(async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  });
  const url = databaseUrl(name);
  const database = await openDatabase({ url, dataDir: ".rekindle/unused" });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  const seeded = await seed(url, options);
  return { url, seeded };
}
