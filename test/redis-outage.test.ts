import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./helpers/harness.js";
import { type PrivateRedis, startPrivateRedis } from "./helpers/redis-server.js";

/*
 * Redis lost after start: the process keeps running, says so once per outage and connection
 * (ioredis retries with a growing wait and reports every failed try), /readyz answers 503 naming
 * Redis at once, and all comes back by itself when Redis does.
 */

interface Readiness {
  status: string;
  down?: string[];
  checks: { name: string; ok: boolean; detail?: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Redis lost after start", () => {
  let redis: PrivateRedis;
  let harness: Harness;
  const lines: { level: number; msg: string; connection?: string }[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    harness = await startHarness({
      worker: true,
      env: { REDIS_URL: redis.url, LOG_LEVEL: "info" },
      logTo: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    await redis?.stop();
  });

  const readiness = async () => {
    const response = await fetch(`${harness.url}/readyz`);
    return { status: response.status, body: (await response.json()) as Readiness };
  };
  const said = (pattern: RegExp) => lines.filter((line) => pattern.test(line.msg)).map((line) => line.connection);

  it("/readyz answers 503 naming Redis, the log says it once per connection, and both recover when Redis is back", async () => {
    expect(await readiness()).toMatchObject({ status: 200, body: { status: "ready" } });
    expect((await readiness()).body.down).toBeUndefined();

    for (const outage of [1, 2]) {
      const from = lines.length;
      await redis.kill();
      await sleep(300);
      const asked = Date.now();
      const { status, body } = await readiness();
      const tookMs = Date.now() - asked;
      expect(status).toBe(503);
      expect(body.down).toEqual(["redis"]);
      expect(body.checks.find((c) => c.name === "redis")).toMatchObject({ ok: false, detail: expect.stringMatching(/^not connected/) });
      expect(body.checks.find((c) => c.name === "postgres")).toMatchObject({ ok: true });
      // Told at once, not after a PING that waits for Redis to come back.
      expect(tookMs).toBeLessThan(1_000);

      // Three seconds of reconnection attempts: one warning per connection, nothing per try.
      await sleep(3_000);
      const during = lines.slice(from);
      expect(said(/^Redis is not answering/).slice(-2).sort(), JSON.stringify(during)).toEqual(["shared", "worker"]);
      expect(during.filter((line) => line.level >= 40), JSON.stringify(during)).toHaveLength(2);
      expect(said(/^Redis is not answering/)).toHaveLength(2 * outage);

      await redis.start();
      await expect.poll(async () => (await readiness()).status, { timeout: 10_000, interval: 200 }).toBe(200);
      await expect.poll(() => said(/^Redis answers again/).length, { timeout: 10_000 }).toBe(2 * outage);
    }
  }, 60_000);
});
