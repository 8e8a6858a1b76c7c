import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";

/**
 * A new ioredis connection. `maxRetriesPerRequest: null` is what BullMQ workers require: a command
 * waits for Redis to come back instead of failing, so a Redis restart pauses work rather than losing it.
 */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** Why the Redis at `url` does not answer PING within `timeoutMs`, or undefined when it does. */
export async function redisProblem(url: string, timeoutMs = 1_000): Promise<(Error & { code?: unknown }) | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // What went wrong is in the 'error' event (ECONNREFUSED, ENOTFOUND…); connect() itself rejects
  // with a bare "Connection is closed" when it gives up.
  let emitted: Error | undefined;
  client.on("error", (error: Error) => (emitted ??= error));
  try {
    await client.connect();
    // Typed as "PONG", but it is whatever the server says.
    const answer: string = await client.ping();
    return answer === "PONG" ? undefined : new Error(`answered PING with ${answer}`);
  } catch (error) {
    return emitted ?? (error instanceof Error ? error : new Error(String(error)));
  } finally {
    client.disconnect();
  }
}

/** True when a Redis server answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  return (await redisProblem(url, timeoutMs)) === undefined;
}

/**
 * Logs a connection's outages once each: the first error as a warning, and its return. ioredis
 * reports every failed reconnection attempt (several a second), which would bury the rest of the
 * log while Redis is away; what is waiting meanwhile is not lost (see the README's Operations).
 */
export function logOutages(redis: Redis, logger: Logger, name: string): void {
  let down = false;
  redis.on("error", (error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error, connection: name }, `Redis is not answering (${name} connection); reconnecting, and work waits for it`);
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info({ connection: name }, `Redis answers again (${name} connection)`);
  });
}
