import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { redisAnswers, RedisUnavailableError, redisSearchPath, resolveRedis } from "../src/redis/index.js";

// Nothing listens on port 1, so these tests see the machine as one without a running Redis.
const NOTHING_RUNNING = "redis://127.0.0.1:1";

describe("finding Redis when REDIS_URL is not set", () => {
  it("starts a redis-server child process, and stops it with Rekindle", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "rekindle-redis-"));
    const messages: string[] = [];
    const server = await resolveRedis({ url: undefined, dataDir, path: redisSearchPath(process.env.PATH), probeUrl: NOTHING_RUNNING, log: (m) => messages.push(m) });
    try {
      expect(server.child).toBeDefined();
      expect(await redisAnswers(server.url)).toBe(true);
      expect(messages[0]).toMatch(/started redis-server .* on redis:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    expect(server.child?.exitCode !== null || server.child?.signalCode !== null).toBe(true);
    expect(await redisAnswers(server.url, 300)).toBe(false);
  });

  it("says how to get Redis when there is none to start", async () => {
    const attempt = resolveRedis({ url: undefined, dataDir: tmpdir(), path: "/nonexistent", probeUrl: NOTHING_RUNNING, log: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(attempt).rejects.toThrow(/apt-get install redis-server[\s\S]*REDIS_URL/);
  });

  it("uses the configured REDIS_URL as it is", async () => {
    const server = await resolveRedis({ url: "redis://example.invalid:6379", dataDir: tmpdir(), path: "", log: () => {} });
    expect(server.url).toBe("redis://example.invalid:6379");
    expect(server.child).toBeUndefined();
  });
});
