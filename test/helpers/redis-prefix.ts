import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/**
 * A Redis key prefix of a test file's own, for the Rekindle processes it starts against the
 * machine's Redis, so that the file can remove its keys afterwards (`dropRedisPrefix`) without
 * touching anyone else's — a developer's own Rekindle on the same Redis included.
 */
export function ownRedisPrefix(name: string): string {
  return `rekindle-test-${name}-${randomBytes(4).toString("hex")}`;
}

/** Removes every key under `prefix` from the machine's Redis. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
