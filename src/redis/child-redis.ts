import { execFile, spawn } from "node:child_process";
import { mkdir, readdir, readFile, unlink } from "node:fs/promises";
import { unlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { redisAnswers } from "./connect.js";
import { RedisUnavailableError } from "./redis-unavailable-error.js";
import type { RedisServer } from "./redis-server.js";

/*
 * Terminology:
 * - owner: the Rekindle process that started a redis-server and stops it when it stops.
 * - watchdog: a `sh` between the owner and redis-server. Its stdin is a pipe from the owner, which
 *   ends when the owner closes it or dies, however it dies (kill -9 included); the watchdog then
 *   stops redis-server. Node has no prctl(PR_SET_PDEATHSIG), and redis-server no option to follow
 *   its parent; a pipe's end is what every POSIX system reports for a dead process.
 * - pidfile: `<DATA_DIR>/redis/redis-server-<owner pid>-<port>.pid`, written by redis-server itself
 *   (`--pidfile`) and removed by it when it stops. One left behind with a live redis-server means the
 *   watchdog died with the owner (both killed); the next start stops that redis-server.
 */

const WATCHDOG = [
  '"$@" &',
  "redis=$!",
  "while read -r _; do :; done",
  'kill "$redis" 2>/dev/null',
  'wait "$redis"',
].join("\n");

const PIDFILE = /^redis-server-(\d+)-(\d+)\.pid$/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The command line of a process (Linux's /proc, else `ps`), or undefined when it cannot be told. */
async function commandOf(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
  } catch {
    try {
      return (await promisify(execFile)("ps", ["-p", String(pid), "-o", "command="])).stdout;
    } catch {
      return undefined;
    }
  }
}

/**
 * Stops the redis-servers of owners that are gone (pidfiles left behind), so that a Rekindle
 * killed with its watchdog does not leave a second Redis running beside the next one. A pidfile
 * whose redis-server is no longer running is only removed; one of a running owner is left alone.
 */
export async function reclaimLeftovers(directory: string, log: (message: string) => void): Promise<void> {
  for (const file of await readdir(directory).catch(() => [])) {
    const owner = Number(PIDFILE.exec(file)?.[1]);
    if (!owner) continue;
    const path = join(directory, file);
    const pid = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    const running = Number.isSafeInteger(pid) && pid > 0 && processAlive(pid) && /redis-server/.test((await commandOf(pid)) ?? "");
    if (running && processAlive(owner)) continue;
    if (running) {
      process.kill(pid, "SIGTERM");
      for (let waited = 0; processAlive(pid) && waited < 3_000; waited += 50) await sleep(50);
      if (processAlive(pid)) process.kill(pid, "SIGKILL");
      log(`stopped redis-server (pid ${pid}) left running by Rekindle process ${owner}, which is gone`);
    }
    await unlink(path).catch(() => {});
  }
}

/**
 * Starts `binary` on `port` as a child of this process (no persistence: everything Rekindle keeps
 * in Redis can be rebuilt from PostgreSQL), behind a watchdog, with its pidfile under `dataDir`.
 */
export async function startChildRedis(options: { binary: string; port: number; dataDir: string; log: (message: string) => void }): Promise<RedisServer> {
  const { binary, port } = options;
  const directory = resolve(join(options.dataDir, "redis"));
  await mkdir(directory, { recursive: true });
  await reclaimLeftovers(directory, options.log);
  const pidfile = join(directory, `redis-server-${process.pid}-${port}.pid`);
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--pidfile", pidfile, "--loglevel", "warning"];
  // A session of its own: Ctrl-C in a terminal reaches Rekindle, which drains its work while Redis
  // still answers, and then stops Redis, rather than both at once.
  const child = spawn("/bin/sh", ["-c", WATCHDOG, "rekindle-redis-watchdog", binary, ...args], { stdio: ["pipe", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stdin?.on("error", () => {});
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const running = () => child.exitCode === null && child.signalCode === null;
  // The watchdog and redis-server together: the group the detached watchdog leads.
  const killAll = () => {
    try {
      if (child.pid && running()) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    try {
      unlinkSync(pidfile);
    } catch {
      // removed by redis-server, or never written
    }
  };
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 300))) {
    if (!running() || Date.now() > deadline) {
      killAll();
      throw new RedisUnavailableError(`redis-server (${binary}) did not start:\n${output.trim()}`);
    }
    await sleep(100);
  }
  // Should this process exit without stopping it (process.exit), the child must not outlive it.
  process.once("exit", killAll);
  return {
    url,
    child,
    async stop() {
      process.off("exit", killAll);
      if (running()) {
        child.stdin?.end();
        await Promise.race([exited, sleep(5_000)]);
      }
      killAll();
    },
  };
}
