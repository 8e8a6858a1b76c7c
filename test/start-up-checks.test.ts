import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/redis/index.js";
import { createTestDatabase, databaseUrl } from "./helpers/postgres.js";
import { spawnRekindle } from "./helpers/processes.js";
import { present } from "./helpers/present.js";
import { dropRedisPrefix, ownRedisPrefix } from "./helpers/redis-prefix.js";

/*
 * What an operator sees when a dependency is not there at start-up: one line naming the
 * dependency, the variable and the fix; exit code 69 (EX_UNAVAILABLE); no stack trace.
 */
describe("start-up with a dependency missing", () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "rekindle-start-up-"));
    database = await createTestDatabase();
  });
  // The processes that do reach the machine's Redis write under a prefix of this file's own.
  const redisPrefix = ownRedisPrefix("start-up");
  afterAll(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
    await dropRedisPrefix(redisPrefix);
  });

  async function start(env: Record<string, string>): Promise<{ code: number | string | null; output: string }> {
    const child = spawnRekindle("start", { PATH: process.env.PATH ?? "", HOME: tmpdir(), PORT: "0", DATA_DIR: dataDir, REDIS_PREFIX: redisPrefix, ...env });
    const code = await child.exited;
    return { code, output: child.output() };
  }

  function expectOneLine(output: string): string {
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain('"level"'); // nothing was logged before it: the check comes first
    const lines = output.trim().split("\n");
    expect(lines, output).toHaveLength(1);
    return present(lines[0], "lines[0]");
  }

  it("PostgreSQL not listening at DATABASE_URL's port", async () => {
    const port = await freePort();
    const { code, output } = await start({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/rekindle` });
    expect(code).toBe(69);
    const line = expectOneLine(output);
    expect(line).toContain(`PostgreSQL at 127.0.0.1:${port} (DATABASE_URL) refused the connection: is it running?`);
    expect(line).toMatch(/pg_ctlcluster .* start/);
  }, 30_000);

  it("DATABASE_URL naming a database that does not exist", async () => {
    const name = `rekindle_test_${process.pid}_never_made`;
    const { code, output } = await start({ DATABASE_URL: databaseUrl(name) });
    expect(code).toBe(69);
    const line = expectOneLine(output);
    expect(line).toMatch(new RegExp(`database "${name}" does not exist on PostgreSQL at [^ ]+:\\d+ \\(DATABASE_URL\\): create it with \`createdb .*${name}\``));
  }, 30_000);

  it("Redis not listening at REDIS_URL's port", async () => {
    const port = await freePort();
    const { code, output } = await start({ DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(code).toBe(69);
    const line = expectOneLine(output);
    expect(line).toContain(`Redis at 127.0.0.1:${port} (REDIS_URL) does not answer (connection refused)`);
    expect(line).toContain("Start it with `redis-server`");
    expect(line).toContain("unset REDIS_URL to let Rekindle start one");
  }, 30_000);
});
