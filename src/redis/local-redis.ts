import { type ChildProcess, spawn } from "node:child_process";
import { access, constants, mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join, resolve } from "node:path";
import { redisAnswers } from "./connect.js";

/** Thrown when no Redis is configured, none answers locally, and none can be started. */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** The Redis a process uses, and how to let go of it. */
export interface RedisServer {
  url: string;
  /** Set when Rekindle started redis-server itself. */
  child?: ChildProcess;
  stop(): Promise<void>;
}

async function findBinary(name: string, path: string): Promise<string | undefined> {
  for (const directory of path.split(delimiter).filter(Boolean)) {
    const candidate = join(directory, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** PATH plus the places packages put redis-server but that a user's PATH often lacks. */
export function redisSearchPath(path: string | undefined): string {
  return [path ?? "", "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/opt/homebrew/bin"].join(delimiter);
}

/** A TCP port nothing listens on now (the OS's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Finds the Redis to use: REDIS_URL when set; otherwise one answering on 127.0.0.1:6379;
 * otherwise a `redis-server` child process of this one (no persistence: everything Rekindle keeps
 * in Redis can be rebuilt from Postgres), stopped with it.
 */
export async function resolveRedis(options: {
  url: string | undefined;
  dataDir: string;
  /** Directories to search for redis-server, PATH-style (see `redisSearchPath`). */
  path: string;
  log: (message: string) => void;
  /** Where to look for a Redis that is already running. Default redis://127.0.0.1:6379. */
  probeUrl?: string;
}): Promise<RedisServer> {
  if (options.url) return { url: options.url, stop: async () => {} };
  const probeUrl = options.probeUrl ?? DEFAULT_REDIS_URL;
  if (await redisAnswers(probeUrl, 500)) return { url: probeUrl, stop: async () => {} };

  const binary = await findBinary("redis-server", options.path);
  if (!binary) {
    throw new RedisUnavailableError(
      "Rekindle needs Redis for its queues, and none is answering on 127.0.0.1:6379.\n" +
        "  Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`)\n" +
        "  and Rekindle will start one itself, or set REDIS_URL to a Redis you run.",
    );
  }
  const port = await freePort();
  const directory = resolve(join(options.dataDir, "redis"));
  await mkdir(directory, { recursive: true });
  const child = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--loglevel", "warning"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 300))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new RedisUnavailableError(`redis-server (${binary}) did not start:\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  options.log(`started redis-server (${binary}) on ${url}; set REDIS_URL to use your own`);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  // Should this process die without cleaning up, the child must not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  return {
    url,
    child,
    async stop() {
      process.off("exit", killOnExit);
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
  };
}
