import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import { CampaignCatalog } from "../campaigns/index.js";
import { stripeClient } from "../billing/index.js";
import { CancelFlowHolder } from "../cancel-flow/index.js";
import { type Config, resolveSecretKey } from "../config/index.js";
import type { Deps } from "../deps/index.js";
import { openDatabase } from "../db/index.js";
import { createMailer } from "../mail/index.js";
import { guardedFetcher, parseAllowance } from "../webhooks/index.js";
import { Queues } from "../queue/index.js";
import { connectRedis, logOutages, type RedisServer, redisSearchPath, resolveRedis } from "../redis/index.js";
import { type Clock, systemClock } from "../time/index.js";

async function dkimKey(dkim: NonNullable<Config["mail"]["dkim"]>): Promise<string> {
  if (dkim.privateKey) return dkim.privateKey;
  if (!dkim.privateKeyFile) throw new Error("DKIM needs DKIM_PRIVATE_KEY or DKIM_PRIVATE_KEY_FILE");
  return readFile(dkim.privateKeyFile, "utf8");
}

export interface Runtime {
  deps: Deps;
  /** Closes what buildDeps opened, in reverse order. */
  close(): Promise<void>;
}

/**
 * Opens the database, finds (or starts) Redis, and assembles the dependencies every process
 * shares. The only place connections are made. Both must answer now: otherwise it throws
 * `DatabaseUnavailableError` or `RedisUnavailableError`, whose message names the variable and the fix.
 */
export async function buildDeps(config: Config, logger: Logger, options: { clock?: Clock } = {}): Promise<Runtime> {
  const secretKey = await resolveSecretKey(config.secretKey, config.dataDir);
  const database = await openDatabase({ url: config.database.url, poolSize: config.database.poolSize, connectionOptions: config.database.connectionOptions, dataDir: config.dataDir });
  let redisServer: RedisServer;
  try {
    redisServer = await resolveRedis({
      url: config.redis.url,
      local: config.redis.local,
      dataDir: config.dataDir,
      path: redisSearchPath(config.searchPath),
      log: (message) => logger.info(message),
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  const redis = connectRedis(redisServer.url);
  logOutages(redis, logger, "shared");
  const queues = new Queues(redis, config.redis.prefix);
  const deps: Deps = {
    config,
    database,
    db: database.db,
    redis,
    redisUrl: redisServer.url,
    queues,
    logger,
    clock: options.clock ?? systemClock,
    campaigns: new CampaignCatalog(),
    cancelFlow: new CancelFlowHolder(),
    stripe: stripeClient(config),
    webhookFetch: guardedFetcher(parseAllowance(config.webhooks.allowPrivate)),
    mailer: createMailer(config.mail.smtpUrl, logger, {
      maxConnections: config.mail.maxConnections,
      ...(config.mail.dkim && { dkim: { ...config.mail.dkim, privateKey: await dkimKey(config.mail.dkim) } }),
    }),
    secretKey,
  };
  return {
    deps,
    async close() {
      await deps.mailer.close().catch(() => {});
      await queues.close().catch(() => {});
      redis.disconnect();
      await database.close().catch(() => {});
      await redisServer.stop();
    },
  };
}
