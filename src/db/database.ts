import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import * as schema from "./schema/index.js";

/** The drizzle database, whichever driver is underneath (node-postgres or PGlite). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction; it is also a `Db`, so every SQL operation takes either. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** A connected database and what the process needs to manage it. */
export interface Database {
  db: Db;
  /** `postgres` for a server reached by DATABASE_URL, `pglite` for the embedded one. */
  kind: "postgres" | "pglite";
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

// Any constant works; it only has to be the same in every Rekindle process sharing a database.
const MIGRATION_LOCK_KEY = 7_340_021_118;

export interface DatabaseOptions {
  /** A postgres:// URL; without one, the embedded PGlite database under `dataDir` is used. */
  url: string | undefined;
  /** Connections per process (node-postgres pool). Default 10. */
  poolSize?: number;
  dataDir: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolSize ?? 10) : openPglite(options.dataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const { migrate } = await import("drizzle-orm/node-postgres/migrator");
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: "rekindle" });
  // An idle client that loses its server (Postgres restarted) must not crash the process.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: "postgres",
    async migrate() {
      const client = await pool.connect();
      try {
        // drizzle's migrator is not safe against a concurrent one; several processes may start together.
        await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
        client.release();
      }
    },
    async ping() {
      await pool.query("select 1");
    },
    async close() {
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const directory = resolve(join(dataDir, "pgdata"));
  await mkdir(directory, { recursive: true });
  const client = await PGlite.create(directory);
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    async migrate() {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async ping() {
      await client.query("select 1");
    },
    async close() {
      await client.close();
    },
  };
}

/** Runs raw SQL and returns its rows, typed by the caller (both drivers return `{ rows }`). */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
