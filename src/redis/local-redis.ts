import { access, constants } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { startChildRedis } from "./child-redis.js";
import { redisProblem } from "./connect.js";
import { RedisUnavailableError, redisUnavailable } from "./redis-unavailable-error.js";
import type { RedisServer } from "./redis-server.js";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** How long REDIS_URL has to answer at start-up. */
const CONFIGURED_TIMEOUT_MS = 3_000;

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
 * Finds the Redis to use: REDIS_URL when set (it must answer now); otherwise one answering on
 * 127.0.0.1:6379; otherwise (or always, with `local`) a `redis-server` child process of this one,
 * stopped with it (see child-redis.ts).
 */
export async function resolveRedis(options: {
  url: string | undefined;
  /** REDIS_URL=local: start a redis-server of our own even when one answers on 127.0.0.1:6379. */
  local?: boolean;
  dataDir: string;
  /** Directories to search for redis-server, PATH-style (see `redisSearchPath`). */
  path: string;
  log: (message: string) => void;
  /** Where to look for a Redis that is already running. Default redis://127.0.0.1:6379. */
  probeUrl?: string;
}): Promise<RedisServer> {
  if (options.url) {
    const problem = await redisProblem(options.url, CONFIGURED_TIMEOUT_MS);
    if (problem) throw redisUnavailable(options.url, problem, CONFIGURED_TIMEOUT_MS);
    return { url: options.url, stop: async () => {} };
  }
  const probeUrl = options.probeUrl ?? DEFAULT_REDIS_URL;
  if (!options.local && (await redisProblem(probeUrl, 500)) === undefined) return { url: probeUrl, stop: async () => {} };

  const binary = await findBinary("redis-server", options.path);
  if (!binary) {
    throw new RedisUnavailableError(
      (options.local ? "REDIS_URL=local asks for a redis-server of Rekindle's own, and none is installed.\n" : "Rekindle needs Redis for its queues, and none is answering on 127.0.0.1:6379.\n") +
        "  Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`)\n" +
        "  and Rekindle will start one itself, or set REDIS_URL to a Redis you run.",
    );
  }
  const server = await startChildRedis({ binary, port: await freePort(), dataDir: options.dataDir, log: options.log });
  options.log(`started redis-server (${binary}) on ${server.url}; set REDIS_URL to use your own`);
  return server;
}
