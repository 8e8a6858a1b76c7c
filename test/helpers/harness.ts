import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { DestinationStream } from "pino";
import { z } from "zod";
import { type Config, configSecrets, loadConfig } from "../../src/config/index.js";
import { col, queryRows } from "../../src/db/index.js";
import type { Deps } from "../../src/deps/index.js";
import { buildDeps, createLogger, periodicTasks, reloadCampaigns, type Service, startApi, startWorker } from "../../src/runtime/index.js";
import type { Clock } from "../../src/time/index.js";
import { createTestDatabase } from "./postgres.js";
import { present } from "./present.js";

export const WRITE_KEY = "test-write-key-0123456789";
export const API_KEY = "test-api-key-0123456789abc";

export interface Harness {
  deps: Deps;
  /** Writes (or rewrites) a campaign folder and reloads the campaigns. */
  setCampaign(id: string, yaml: string, files?: Record<string, string>): Promise<void>;
  config: Config;
  /** Base URL of the running API, e.g. http://127.0.0.1:41234. */
  url: string;
  app: FastifyInstance;
  stop(): Promise<void>;
}

/**
 * A Rekindle of its own for one test file: its own database (cloned from the template), its own
 * Redis key prefix, the API on a free port, and the worker when asked for.
 */
export async function startHarness(
  options: {
    worker?: boolean;
    clock?: Clock;
    env?: Record<string, string>;
    campaigns?: Record<string, string>;
    logTo?: DestinationStream;
    /** How Rekindle reaches its database (e.g. through a TCP proxy a test can cut). Default: directly. */
    databaseUrl?: (url: string) => string;
  } = {},
): Promise<Harness> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), "rekindle-test-"));
  const templatesDir = join(dataDir, "templates");
  await mkdir(templatesDir, { recursive: true });
  for (const [id, yaml] of Object.entries(options.campaigns ?? {})) await writeCampaign(templatesDir, id, yaml);
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
    DATABASE_POOL_SIZE: "5",
    REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    REDIS_PREFIX: `rekindle-test-${randomBytes(4).toString("hex")}`,
    PORT: "0",
    WRITE_KEYS: WRITE_KEY,
    API_KEYS: API_KEY,
    DATA_DIR: dataDir,
    TEMPLATES_DIR: templatesDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    // A test that holds the clock drives dispatch too (dispatchDue), at the moments it chooses: a
    // background pass every second would hand an email over whenever it falls due, in the middle
    // of the test's own steps (between an event that starts a sequence and one that ends it).
    ...(options.clock && { DISPATCH_INTERVAL: "PT1H" }),
    ...options.env,
  });
  const logger = createLogger(config.logLevel, { secrets: configSecrets(config), ...(options.logTo && { destination: options.logTo }) });
  const runtime = await buildDeps(config, logger, options.clock ? { clock: options.clock } : {});
  await reloadCampaigns(runtime.deps);
  const services: Service[] = [];
  if (options.worker) services.push(await startWorker(runtime.deps));
  const api = await startApi(runtime.deps);
  services.push(api);
  return {
    deps: runtime.deps,
    async setCampaign(id, yaml, files = {}) {
      await writeCampaign(templatesDir, id, yaml, files);
      await reloadCampaigns(runtime.deps);
    },
    config,
    url: api.url,
    app: api.app,
    async stop() {
      for (const service of services.reverse()) await service.stop();
      const keys = await runtime.deps.redis.keys(`${config.redis.prefix}:*`);
      if (keys.length > 0) await runtime.deps.redis.del(...keys);
      await runtime.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A plain email for tests: every template a test campaign names gets one unless the test brings its own. */
export const TEST_EMAIL = `---
subject: "{{campaign.name}} for {{customer.email}}"
---
<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hello {{customer.email}}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`;

export async function writeCampaign(templatesDir: string, id: string, yaml: string, files: Record<string, string> = {}): Promise<void> {
  await mkdir(join(templatesDir, id), { recursive: true });
  await writeFile(join(templatesDir, id, "campaign.yaml"), yaml);
  const named = [...yaml.matchAll(/^\s*template:\s*([a-z0-9_-]+)\s*$/gm)].map((m) => `${m[1]}.mjml`);
  for (const name of named) if (!(name in files)) await writeFile(join(templatesDir, id, name), TEST_EMAIL);
  for (const [name, text] of Object.entries(files)) await writeFile(join(templatesDir, id, name), text);
}

/** Basic auth the way Segment libraries send it. */
export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;

/** The error body every 4xx carries. */
export interface ErrorBody {
  error: { code: string; message: string; problems: { path: string; message: string }[] };
}

export async function post<T = ErrorBody>(
  harness: Harness,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${harness.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: basic(WRITE_KEY), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function count(harness: Harness, table: string): Promise<number> {
  const [row] = await queryRows(harness.deps.db, z.object({ n: col.int }), sql.raw(`select count(*)::int as n from ${table}`));
  return present(row, `the count of ${table}`).n;
}

/** Runs one periodic task (dispatch, scan-campaigns, sweep-events, prune-events) once, here and now, and returns its result. */
export async function runTask(harness: Harness, name: string, state: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const task = periodicTasks(harness.deps).find((t) => t.name === name);
  if (!task) throw new Error(`no periodic task ${name}`);
  return task.run({ state, setState: () => {} });
}
