import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, redisAnswers, RedisUnavailableError, redisSearchPath, resolveRedis } from "../src/redis/index.js";
import { allGone, redisServersOf, running } from "./helpers/process-tree.js";
import { present } from "./helpers/present.js";

// Nothing listens on port 1, so these tests see the machine as one without a running Redis.
const NOTHING_RUNNING = "redis://127.0.0.1:1";
const MACHINE_REDIS = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

describe("finding Redis when REDIS_URL is not set", () => {
  it("starts a redis-server child process, and stops it with Rekindle", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "rekindle-redis-"));
    const messages: string[] = [];
    const server = await resolveRedis({ url: undefined, dataDir, path: redisSearchPath(process.env.PATH), probeUrl: NOTHING_RUNNING, log: (m) => messages.push(m) });
    try {
      expect(server.child).toBeDefined();
      expect(await redisAnswers(server.url)).toBe(true);
      expect(messages[0]).toMatch(/started redis-server .* on redis:\/\/127\.0\.0\.1:\d+/);
      // redis-server writes its pidfile, named after the Rekindle process that owns it.
      expect(await readdir(join(dataDir, "redis"))).toEqual([`redis-server-${process.pid}-${new URL(server.url).port}.pid`]);
    } finally {
      await server.stop();
    }
    expect(server.child?.exitCode !== null || server.child?.signalCode !== null).toBe(true);
    expect(await redisAnswers(server.url, 300)).toBe(false);
    expect(redisServersOf(dataDir)).toEqual([]);
    expect(await readdir(join(dataDir, "redis"))).toEqual([]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("says how to get Redis when there is none to start", async () => {
    const attempt = resolveRedis({ url: undefined, dataDir: tmpdir(), path: "/nonexistent", probeUrl: NOTHING_RUNNING, log: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(attempt).rejects.toThrow(/apt-get install redis-server[\s\S]*REDIS_URL/);
  });

  it("with REDIS_URL=local, starts its own even when a Redis answers on the usual port", async () => {
    expect(await redisAnswers(MACHINE_REDIS)).toBe(true);
    const dataDir = await mkdtemp(join(tmpdir(), "rekindle-redis-"));
    const server = await resolveRedis({ url: undefined, local: true, dataDir, path: redisSearchPath(process.env.PATH), probeUrl: MACHINE_REDIS, log: () => {} });
    try {
      expect(server.url).not.toBe(MACHINE_REDIS);
      expect(redisServersOf(dataDir)).toHaveLength(1);
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("stops a redis-server whose Rekindle process is gone (its pidfile left behind) before starting another", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "rekindle-redis-"));
    const directory = join(dataDir, "redis");
    await mkdir(directory);
    const redisServer = async (owner: number) => {
      const port = await freePort();
      const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory], { stdio: "ignore" });
      await writeFile(join(directory, `redis-server-${owner}-${port}.pid`), `${child.pid}\n`);
      while (!(await redisAnswers(`redis://127.0.0.1:${port}`, 300))) await new Promise((r) => setTimeout(r, 50));
      return { child, port, exited: new Promise((r) => child.once("exit", r)) };
    };
    // What a Rekindle killed together with its watchdog leaves: a redis-server running on, its pidfile naming an owner that is gone.
    const goneOwner = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => goneOwner.once("exit", r));
    const orphan = await redisServer(present(goneOwner.pid, "goneOwner.pid"));
    // And the redis-server of a Rekindle still running (this process), which must be left alone.
    const kept = await redisServer(process.pid);

    const messages: string[] = [];
    const server = await resolveRedis({ url: undefined, local: true, dataDir, path: redisSearchPath(process.env.PATH), log: (m) => messages.push(m) });
    try {
      await orphan.exited;
      expect(messages[0]).toBe(`stopped redis-server (pid ${orphan.child.pid}) left running by Rekindle process ${goneOwner.pid}, which is gone`);
      expect(running(present(kept.child.pid, "kept.child.pid"))).toBe(true);
      expect(redisServersOf(dataDir)).toHaveLength(2);
      expect((await readdir(directory)).sort()).toEqual([`redis-server-${process.pid}-${kept.port}.pid`, `redis-server-${process.pid}-${new URL(server.url).port}.pid`].sort());
    } finally {
      await server.stop();
      for (const { child } of [orphan, kept]) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await allGone([present(orphan.child.pid, "orphan.child.pid"), present(kept.child.pid, "kept.child.pid")]);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("REDIS_URL", () => {
  it("is used as it is when it answers", async () => {
    const server = await resolveRedis({ url: MACHINE_REDIS, dataDir: tmpdir(), path: "", log: () => {} });
    expect(server.url).toBe(MACHINE_REDIS);
    expect(server.child).toBeUndefined();
  });

  it("stops the start-up when it does not answer, naming the variable and the fix", async () => {
    const port = await freePort();
    const attempt = resolveRedis({ url: `redis://:secret-password@127.0.0.1:${port}`, dataDir: tmpdir(), path: "", log: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(attempt).rejects.toThrow(`Redis at 127.0.0.1:${port} (REDIS_URL) does not answer (connection refused): is it running? Start it with \`redis-server\``);
    await expect(attempt).rejects.not.toThrow(/secret-password/);
    await expect(resolveRedis({ url: "redis://rekindle-no-such-host.invalid:6379", dataDir: tmpdir(), path: "", log: () => {} })).rejects.toThrow(
      "Redis's host rekindle-no-such-host.invalid (REDIS_URL) is not found",
    );
  });
});
