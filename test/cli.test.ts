import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, withAdmin } from "./helpers/postgres.js";
import { present } from "./helpers/present.js";
import { dropRedisPrefix, ownRedisPrefix } from "./helpers/redis-prefix.js";

const ROOT = new URL("..", import.meta.url).pathname;
/**
 * The commands find Redis on 127.0.0.1:6379 by themselves ("nothing configured"); only the key
 * prefix is this file's own, so a developer's Rekindle on the same Redis is left alone and the
 * file's keys can be removed afterwards.
 */
const REDIS_PREFIX = ownRedisPrefix("cli");
afterAll(() => dropRedisPrefix(REDIS_PREFIX));

/** Runs the CLI from source, as `rekindle <args>`, with only the given environment. */
function rekindle(args: string[], env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", REDIS_PREFIX, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  present(child.stdout, "child.stdout").on("data", (chunk: Buffer) => (output += chunk.toString()));
  present(child.stderr, "child.stderr").on("data", (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

async function listeningUrl(child: ChildProcess & { output: () => string }, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = child.output().match(/listening on (http:\/\/[\d.]+:\d+)/);
    if (match) return present(match[1], "match[1]");
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the rekindle command", () => {
  let dataDir: string;
  // Named after this process, as global setup expects: a run in another checkout drops only the databases of processes that are gone.
  const database = `rekindle_test_${process.pid}_cli`;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "rekindle-cli-"));
    await withAdmin((client) => client.query(`create database ${database}`));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await withAdmin((client) => client.query(`drop database if exists ${database} with (force)`));
  });

  it("stops at start-up with one message naming every bad variable", async () => {
    const child = rekindle(["start"], { PORT: "eighty", DATABASE_URL: "mysql://localhost/db", SMTP_URL: "carrier-pigeon" });
    expect(await exited(child)).toBe(78);
    const output = child.output();
    expect(output).toContain("the configuration is invalid");
    expect(output).toMatch(/PORT: /);
    expect(output).toMatch(/DATABASE_URL: expected a URL such as postgres:\/\//);
    expect(output).toMatch(/SMTP_URL: /);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("runs on the embedded database with nothing configured, answers /healthz, and stops cleanly", async () => {
    const child = rekindle(["start"], { PORT: "0", DATA_DIR: dataDir });
    try {
      const url = await listeningUrl(child);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      const ready = (await (await fetch(`${url}/readyz`)).json()) as { status: string };
      expect(ready.status).toBe("ready");
      expect(child.output()).toContain('"database":"pglite"');
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited(child)).toBe(0);
    expect(child.output()).toContain('"msg":"stopped"');
  }, 60_000);

  it("refuses to serve an unmigrated PostgreSQL database, then migrates it idempotently and starts", async () => {
    const env = { PORT: "0", DATA_DIR: dataDir, DATABASE_URL: databaseUrl(database) };
    const api = rekindle(["api"], env);
    expect(await exited(api), api.output()).toBe(1);
    expect(api.output()).toMatch(/missing migrations .* Run `rekindle migrate` first/);

    const first = rekindle(["migrate"], env);
    expect(await exited(first), first.output()).toBe(0);
    expect(first.output()).toMatch(/applied \d+ migration\(s\): 0000_initial/);
    const second = rekindle(["migrate"], env);
    expect(await exited(second), second.output()).toBe(0);
    expect(second.output()).toContain("database is up to date");

    const child = rekindle(["start"], env);
    try {
      const url = await listeningUrl(child);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(child.output()).toContain('"database":"postgres"');
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited(child)).toBe(0);
  }, 60_000);
});

describe("the embedded database", () => {
  it("refuses a second process while one has it open", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "rekindle-lock-"));
    const first = rekindle(["start"], { PORT: "0", DATA_DIR: dataDir });
    try {
      await listeningUrl(first);
      const second = rekindle(["uncertain"], { DATA_DIR: dataDir });
      expect(await exited(second)).toBe(1);
      expect(second.output()).toMatch(/in use by another Rekindle process \(pid \d+\)/);
    } finally {
      first.kill("SIGTERM");
      await exited(first);
    }
    // Once it stopped, the database is free again.
    const third = rekindle(["uncertain"], { DATA_DIR: dataDir });
    expect(await exited(third)).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);
});
