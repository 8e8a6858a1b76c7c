import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "./helpers/postgres.js";
import { allGone, descendants, redisServersOf, running } from "./helpers/process-tree.js";
import { spawnRekindle } from "./helpers/processes.js";
import { present } from "./helpers/present.js";

/*
 * The process tree `npm start` makes, and what stops it: npm → node (the script `exec`s it, so no
 * shell sits between them) → a watchdog `sh` → redis-server. REDIS_URL=local makes Rekindle start
 * its own redis-server although the machine's answers on 6379. Every process the tests start is
 * recorded, and killed at the end should a test fail half-way.
 */

const ROOT = new URL("..", import.meta.url).pathname;
const DEV_API_KEY = "rekindle-dev-api-key-0001";

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | string | null>;
}

describe("the process lifecycle", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const dataDirs: string[] = [];
  const started: number[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    const left = [...started, ...dataDirs.flatMap((dir) => redisServersOf(dir).map((p) => p.pid))].filter(running);
    for (const pid of left) process.kill(pid, "SIGKILL");
    await database?.drop();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  async function environment(): Promise<Record<string, string>> {
    const dataDir = await mkdtemp(join(tmpdir(), "rekindle-lifecycle-"));
    dataDirs.push(dataDir);
    return { PATH: process.env.PATH ?? "", HOME: dataDir, PORT: "0", DATA_DIR: dataDir, REDIS_URL: "local", DATABASE_URL: database.url, LOG_LEVEL: "info" };
  }

  /** Runs `npm run start` in `cwd`, as a terminal's foreground job would (a process group of its own). */
  function npmStart(cwd: string, env: Record<string, string>): Started {
    const child = spawn("npm", ["run", "start"], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    started.push(present(child.pid, "child.pid"));
    let output = "";
    present(child.stdout, "child.stdout").on("data", (chunk: Buffer) => (output += chunk.toString()));
    present(child.stderr, "child.stderr").on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | string | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
    return { child, output: () => output, exited };
  }

  async function listening(process: Started, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const url = process.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
      if (url) return url;
      if (process.child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${process.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The processes below `root` (npm, or Rekindle itself): Rekindle's node process, its watchdog and its redis-server. */
  function tree(root: number) {
    const below = descendants(root);
    started.push(...below.map((p) => p.pid));
    const node = below.find((p) => p.name === "node");
    const watchdog = below.find((p) => p.name === "sh" && p.ppid === (node?.pid ?? root));
    const redis = below.find((p) => p.name === "redis-server");
    return { below, node, watchdog, redis };
  }

  it("npm start prints the console and the development key, and a SIGTERM to npm stops Rekindle and its redis-server", async () => {
    const script = (JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start;
    expect(script).toMatch(/&& exec node bin\/rekindle\.js start$/);
    const env = await environment();
    const npm = npmStart(ROOT, env);
    // npm start builds first.
    const url = await listening(npm, 150_000);

    const { below, node, watchdog, redis } = tree(present(npm.child.pid, "npm.child.pid"));
    // No shell between npm and Rekindle: npm forwards its signals to its child, and that is Rekindle.
    expect(node?.ppid, JSON.stringify(below)).toBe(npm.child.pid);
    expect(watchdog, JSON.stringify(below)).toBeDefined();
    expect(redis?.ppid, JSON.stringify(below)).toBe(watchdog?.pid);
    expect(redisServersOf(present(env.DATA_DIR, "env.DATA_DIR")).map((p) => p.pid)).toEqual([present(redis, "redis").pid]);

    const line = `Rekindle is running. The console: ${url}/console; sign in with the development API key ${DEV_API_KEY}`;
    await expect.poll(() => npm.output()).toContain(`${line} (set API_KEYS before exposing Rekindle)\n`);
    expect(npm.output()).toContain(`"msg":"console at ${url}/console; sign in with the development API key ${DEV_API_KEY}"`);
    // The key printed is the one that signs in.
    expect((await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${DEV_API_KEY}` } })).status).toBe(200);

    process.kill(present(npm.child.pid, "npm.child.pid"), "SIGTERM");
    expect(await npm.exited, npm.output()).toBe(0);
    expect(npm.output()).toContain('"msg":"stopped"');
    await allGone(below.map((p) => p.pid));
    expect(redisServersOf(present(env.DATA_DIR, "env.DATA_DIR"))).toEqual([]);
    expect(await readdir(join(present(env.DATA_DIR, "env.DATA_DIR"), "redis"))).toEqual([]);
  }, 180_000);

  it("Ctrl-C (SIGINT to npm and Rekindle at once, and npm forwarding it) stops everything gracefully", async () => {
    // The package's own script minus its build (the previous test ran it): the same npm → exec node.
    const script = present((JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start, "(JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start");
    const env = await environment();
    const probe = present(env.DATA_DIR, "env.DATA_DIR");
    await writeFile(join(probe, "package.json"), JSON.stringify({ name: "rekindle-start-probe", private: true, scripts: { start: `cd ${ROOT} && ${script.replace(/^npm run build && /, "")}` } }));
    const npm = npmStart(probe, env);
    await listening(npm, 60_000);
    const { below } = tree(present(npm.child.pid, "npm.child.pid"));
    expect(below.map((p) => p.name).sort()).toEqual(["node", "redis-server", "sh"]);

    process.kill(-present(npm.child.pid, "npm.child.pid"), "SIGINT");
    await npm.exited;
    // One Ctrl-C: a graceful stop, not the immediate exit of a second one.
    expect(npm.output()).toContain('"msg":"stopped"');
    expect(npm.output()).not.toContain("exiting now");
    await allGone(below.map((p) => p.pid));
    expect(redisServersOf(present(env.DATA_DIR, "env.DATA_DIR"))).toEqual([]);
  }, 90_000);

  it("kill -9 of Rekindle takes its redis-server with it, and the next start runs exactly one", async () => {
    const env = await environment();
    const first = spawnRekindle("start", env);
    started.push(present(first.child.pid, "first.child.pid"));
    await listening(first, 60_000);
    const [redis] = redisServersOf(present(env.DATA_DIR, "env.DATA_DIR"));
    expect(redis).toBeDefined();

    first.child.kill("SIGKILL");
    await first.exited;
    // The watchdog sees Rekindle's end of its pipe close, and stops redis-server.
    await allGone([present(redis, "redis").pid], 5_000);

    const second = spawnRekindle("start", env);
    started.push(present(second.child.pid, "second.child.pid"));
    await listening(second, 60_000);
    expect(redisServersOf(present(env.DATA_DIR, "env.DATA_DIR"))).toHaveLength(1);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(redisServersOf(present(env.DATA_DIR, "env.DATA_DIR"))).toEqual([]);
  }, 120_000);

  it("kill -9 of Rekindle and its watchdog leaves redis-server running; the next start stops it (the pidfile) and runs exactly one", async () => {
    const env = await environment();
    const first = spawnRekindle("start", env);
    started.push(present(first.child.pid, "first.child.pid"));
    await listening(first, 60_000);
    const { watchdog, redis } = tree(present(first.child.pid, "first.child.pid"));
    expect(watchdog).toBeDefined();
    // The watchdog first: were Rekindle killed first, the watchdog would stop redis-server.
    process.kill(present(watchdog, "watchdog").pid, "SIGKILL");
    first.child.kill("SIGKILL");
    await first.exited;
    await allGone([present(watchdog, "watchdog").pid]);
    expect(running(present(redis, "redis").pid)).toBe(true);
    expect(await readdir(join(present(env.DATA_DIR, "env.DATA_DIR"), "redis"))).toEqual([expect.stringMatching(new RegExp(`^redis-server-${first.child.pid}-\\d+\\.pid$`))]);

    const second = spawnRekindle("start", env);
    started.push(present(second.child.pid, "second.child.pid"));
    await listening(second, 60_000);
    expect(second.output()).toContain(`stopped redis-server (pid ${present(redis, "redis").pid}) left running by Rekindle process ${first.child.pid}, which is gone`);
    await allGone([present(redis, "redis").pid], 1_000);
    const now = redisServersOf(present(env.DATA_DIR, "env.DATA_DIR"));
    expect(now).toHaveLength(1);
    expect(await readdir(join(present(env.DATA_DIR, "env.DATA_DIR"), "redis"))).toEqual([`redis-server-${second.child.pid}-${await redisPort(present(now[0], "now[0]").pid)}.pid`]);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(redisServersOf(present(env.DATA_DIR, "env.DATA_DIR"))).toEqual([]);
  }, 120_000);
});

/** The port a redis-server listens on, from its process title (`redis-server 127.0.0.1:PORT`). */
async function redisPort(pid: number): Promise<string> {
  const title = (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
  return /:(\d+)/.exec(title)?.[1] ?? "";
}
