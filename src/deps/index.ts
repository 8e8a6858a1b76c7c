import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type Stripe from "stripe";
import type { CampaignCatalog } from "../campaigns/index.js";
import type { CancelFlowHolder } from "../cancel-flow/index.js";
import type { Config } from "../config/index.js";
import type { Database, Db } from "../db/index.js";
import type { Mailer } from "../mail/index.js";
import type { guardedFetcher } from "../webhooks/index.js";
import type { Queues } from "../queue/index.js";
import type { Clock } from "../time/index.js";

/**
 * Everything a Rekindle process shares, built once at start-up (runtime's `buildDeps`) and passed
 * explicitly: no module reaches for a global connection or reads the environment itself.
 */
export interface Deps {
  config: Config;
  database: Database;
  db: Db;
  /** Shared connection for producers and health checks; workers open their own blocking ones. */
  redis: Redis;
  redisUrl: string;
  queues: Queues;
  logger: Logger;
  clock: Clock;
  /** The campaigns this process runs; reloaded in place (`reloadCampaigns`). */
  campaigns: CampaignCatalog;
  /** The hosted cancel flow (`templates/_cancel/`); reloaded with the campaigns. */
  cancelFlow: CancelFlowHolder;
  /** Stripe's API, when STRIPE_SECRET_KEY is set. */
  stripe: Stripe | undefined;
  /** fetch for webhook steps: private, loopback and link-local destinations refused (WEBHOOK_ALLOW_PRIVATE aside). */
  webhookFetch: ReturnType<typeof guardedFetcher>;
  /** SMTP (pooled), or the log when SMTP_URL=log. */
  mailer: Mailer;
  /** SECRET_KEY, or the one generated for development. */
  secretKey: string;
}
