import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import { databaseUnavailable } from "./database-unavailable-error.js";
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

/** How long a caller waits for a connection of the pool (a new one, or one given back) before it fails. */
const CONNECTION_TIMEOUT_MS = 10_000;

// Any constant works; it only has to be the same in every Rekindle process sharing a database.
const MIGRATION_LOCK_KEY = 7_340_021_118;

export interface DatabaseOptions {
  /** A postgres:// URL; without one, the embedded PGlite database under `dataDir` is used. */
  url: string | undefined;
  /** Connections per process (node-postgres pool). Default 10. */
  poolSize?: number;
  /** The server settings each connection starts with (PGOPTIONS). Default `DEFAULT_CONNECTION_OPTIONS`. */
  connectionOptions?: string | undefined;
  dataDir: string;
}

/**
 * The server settings each connection starts with, sent in the start-up packet (no statement, so
 * nothing to fail or to wait for between connecting and the caller's first query).
 *
 * No JIT compilation: Rekindle's statements are index probes and short ranges, but the planner's
 * cost estimates, summed over every month's partition of `events`, often pass `jit_above_cost`,
 * and compiling a scan took longer than running it (155 ms of the onboarding scan's 363 ms).
 * PGOPTIONS, or an `options` parameter in DATABASE_URL (which wins), replaces this; an empty one
 * (`?options=`) sends none, for a pooler that refuses start-up options it does not know.
 */
export const DEFAULT_CONNECTION_OPTIONS = "-c jit=off";

/** Opens the database; a PostgreSQL server that cannot be reached or refuses throws `DatabaseUnavailableError`. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url
    ? openPostgres(options.url, options.poolSize ?? 10, options.connectionOptions ?? DEFAULT_CONNECTION_OPTIONS)
    : openPglite(options.dataDir);
}

async function openPostgres(url: string, poolSize: number, connectionOptions: string): Promise<Database> {
  // Each driver's drizzle adapter is loaded when that driver is used: a PostgreSQL process never loads PGlite's.
  const { drizzle } = await import("drizzle-orm/node-postgres");
  const { migrate } = await import("drizzle-orm/node-postgres/migrator");
  // A transaction whose BEGIN fails gives its connection back (drizzle's own does not).
  (await import("./release-on-failed-begin.js")).releaseOnFailedBegin();
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: "rekindle", connectionTimeoutMillis: CONNECTION_TIMEOUT_MS, options: connectionOptions });
  // A client that loses its server (PostgreSQL restarted, the backend terminated) emits 'error';
  // unhandled, that ends the process. The pool handles idle clients; a client checked out for a
  // transaction gets a listener of its own, for its whole life. Its query in flight still fails
  // (and the caller retries the transaction); the pool discards the broken client when released.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  explainPoolTimeouts(pool, poolSize);
  // A connection now, so that a server that is down, a database that does not exist or a wrong
  // password stop the start-up with a message naming DATABASE_URL and the fix, before anything runs.
  try {
    (await pool.connect()).release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw databaseUnavailable(url, error);
  }
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

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, release: (release?: unknown) => void) => void;

/**
 * pg-pool's "timeout exceeded when trying to connect" says nothing of why. It comes when a caller
 * waited CONNECTION_TIMEOUT_MS for one of the pool's connections: a pool too small for the work
 * (many callers waiting), or connections never given back (all in use, few waiting). The error
 * now says which, so that a log line tells. Both ways in are covered (`connect()` for
 * transactions, and `pool.query`, which calls `this.connect` with a callback); the message keeps
 * pg-pool's words first, which `isTransientDbError` recognises.
 */
function explainPoolTimeouts(pool: pg.Pool, poolSize: number): void {
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<pg.PoolClient> | undefined;
  const explain = (error: Error | undefined): Error | undefined => {
    if (!error || !/^timeout exceeded when trying to connect$/.test(error.message)) return error;
    return new Error(
      `${error.message} within ${CONNECTION_TIMEOUT_MS / 1000} s: ${pool.totalCount - pool.idleCount} of ${poolSize} connections ` +
        `(DATABASE_POOL_SIZE) in use, ${pool.waitingCount} more callers waiting`,
      { cause: error },
    );
  };
  pool.connect = ((callback?: ConnectCallback) => {
    if (callback) return connect((error, client, release) => callback(explain(error), client, release));
    return (connect() as Promise<pg.PoolClient>).catch((error: unknown) => {
      throw error instanceof Error ? explain(error) : error;
    });
  }) as typeof pool.connect;
}

/** Thrown when the embedded database is already open in another process. */
export class DatabaseInUseError extends Error {
  override readonly name = "DatabaseInUseError";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt it.
 * A lock file with the owner's pid keeps a second one out (a stale lock of a dead process is taken over).
 */
async function lockPglite(directory: string): Promise<() => Promise<void>> {
  const lock = `${directory}.lock`;
  for (let tries = 0; tries < 2; tries++) {
    try {
      await writeFile(lock, String(process.pid), { flag: "wx" });
      return async () => {
        await unlink(lock).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(await readFile(lock, "utf8").catch(() => ""), 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new DatabaseInUseError(
          `The embedded database in ${directory} is in use by another Rekindle process (pid ${owner}). ` +
            "Stop it first, or run Rekindle on PostgreSQL (DATABASE_URL) to use several processes at once.",
        );
      }
      await unlink(lock).catch(() => {});
    }
  }
  throw new DatabaseInUseError(`could not lock the embedded database in ${directory}`);
}

async function openPglite(dataDir: string): Promise<Database> {
  // PGlite (a WebAssembly PostgreSQL, megabytes to load) only where DATABASE_URL is not set.
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const directory = resolve(join(dataDir, "pgdata"));
  await mkdir(directory, { recursive: true });
  const unlock = await lockPglite(directory);
  // The class itself: what `create` returns adds an index signature per extension, and its members read as `any`.
  let client: InstanceType<typeof PGlite>;
  try {
    client = await PGlite.create(directory);
  } catch (error) {
    await unlock();
    throw error;
  }
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
      await unlock();
    },
  };
}
