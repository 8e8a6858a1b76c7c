import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { col, type Database, isTransientDbError, openDatabase, queryRows } from "../src/db/index.js";
import { createTestDatabase, withAdmin } from "./helpers/postgres.js";
import { startTcpProxy } from "./helpers/tcp-proxy.js";

const jit = z.object({ jit: z.string() });

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
    // Three at once, so that the pool opens each of its connections.
    const seen = await Promise.all([1, 2, 3].map(() => queryRows(opened.db, jit, sql`select current_setting('jit') as jit, pg_sleep(0.05)::text`)));
    expect(seen.flat()).toEqual([{ jit: "off" }, { jit: "off" }, { jit: "off" }]);
    const inTransaction = await opened.db.transaction((tx) => queryRows(tx, jit, sql`select current_setting('jit') as jit`));
    expect(inTransaction).toEqual([{ jit: "off" }]);
  });

  it("still run without it on the connections opened after every backend was terminated", async () => {
    const ended = await withAdmin(async (admin) => {
      const result = await admin.query(
        "select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and application_name = 'rekindle'",
        [database.name],
      );
      return z.object({ n: col.int }).parse(result.rows[0]).n;
    });
    expect(ended).toBeGreaterThan(0);
    // The pool finds its connections dead, and opens new ones, which start with the same options.
    let seen: { jit: string }[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      seen = await queryRows(opened.db, jit, sql`select current_setting('jit') as jit`).catch(() => []);
      if (seen.length > 0) break;
    }
    expect(seen).toEqual([{ jit: "off" }]);
  });

  it("take the options DATABASE_URL gives instead, and none for an empty one (a pooler that refuses them)", async () => {
    // What a connection without start-up options gets: the server's own setting.
    const serverDefault = await withAdmin(async (admin) => jit.parse((await admin.query("select current_setting('jit') as jit")).rows[0]).jit);
    for (const [options, expected] of [
      ["-c%20jit%3Don", "on"],
      ["", serverDefault],
    ] as const) {
      const other = await openDatabase({ url: `${database.url}${database.url.includes("?") ? "&" : "?"}options=${options}`, poolSize: 1, dataDir: "" });
      try {
        expect(await queryRows(other.db, jit, sql`select current_setting('jit') as jit`)).toEqual([{ jit: expected }]);
      } finally {
        await other.close();
      }
    }
  });

  it("say, when no connection could be had in time, how many were in use and how many callers waited", async () => {
    const small = await openDatabase({ url: database.url, poolSize: 1, dataDir: "" });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // The only connection, checked out by a transaction that does not end yet.
    const holding = small.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      await held;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      // One caller through a plain statement (pool.query), one through a transaction (pool.connect).
      const failures = await Promise.all([
        small.db.execute(sql`select 1`).then(() => undefined, (error: unknown) => error),
        small.db.transaction((tx) => tx.execute(sql`select 1`)).then(() => undefined, (error: unknown) => error),
      ]);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(Error);
        // drizzle names the statement that failed, with the pool's error as its cause (logs show both).
        const messages: string[] = [];
        for (let error = failure as Error | undefined; error; error = error.cause as Error | undefined) messages.push(error.message);
        expect(messages).toContainEqual(
          expect.stringMatching(/^timeout exceeded when trying to connect within 10 s: 1 of 1 connections \(DATABASE_POOL_SIZE\) in use, [01] more callers waiting$/),
        );
        // Still a fault worth retrying, as before.
        expect(isTransientDbError(failure)).toBe(true);
      }
    } finally {
      release();
      await holding;
      await small.close();
    }
  }, 30_000);

  it("give back a connection whose BEGIN failed, so that a fault at that moment leaves the pool whole", async () => {
    // A proxy in front of PostgreSQL that drops the connection when it carries a BEGIN, while armed:
    // the fault landing between a connection leaving the pool and its transaction's first statement.
    const target = new URL(database.url);
    let dropBegins = 0;
    const proxy = await startTcpProxy(
      { host: target.hostname, port: Number(target.port || 5432) },
      {
        dropOn: (chunk) => {
          if (dropBegins === 0 || !/begin/i.test(chunk.toString("latin1"))) return false;
          dropBegins--;
          return true;
        },
      },
    );
    const proxied = new URL(database.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    const small = await openDatabase({ url: proxied.toString(), poolSize: 1, dataDir: "" });
    try {
      expect(await queryRows(small.db, z.object({ n: col.int }), sql`select 1 as n`)).toEqual([{ n: 1 }]);
      dropBegins = 3;
      for (let i = 0; i < 3; i++) {
        const failed = await small.db.transaction((tx) => tx.execute(sql`select 1`)).then(() => undefined, (error: unknown) => error);
        // The connection was lost: a fault worth retrying, as any other.
        expect(isTransientDbError(failed)).toBe(true);
      }
      // The pool's one connection came back each time: a transaction and a statement run at once.
      const started = Date.now();
      expect(await small.db.transaction((tx) => queryRows(tx, z.object({ n: col.int }), sql`select 2 as n`))).toEqual([{ n: 2 }]);
      expect(await queryRows(small.db, z.object({ n: col.int }), sql`select 3 as n`)).toEqual([{ n: 3 }]);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await small.close();
      await proxy.close();
    }
  }, 30_000);
});
