import { userInfo } from "node:os";
import type { z } from "zod";
import { formatProblem, type LoadedCampaign, readCampaignFolders } from "../campaigns/index.js";
import { ConfigError, type Config, loadProcessConfig } from "../config/index.js";
import { DatabaseInUseError, DatabaseUnavailableError, type Db, openDatabase, pendingMigrations } from "../db/index.js";
import { RedisUnavailableError } from "../redis/index.js";
import { customerScope as scopeOfCustomer } from "../support/index.js";

/** Loads the configuration or stops with the one message that names every bad variable. */
export function configOrExit(): Config {
  try {
    return loadProcessConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** A mistake in what was typed: said plainly, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Expected start-up failures are told plainly; anything else keeps its stack for the operator.
 * Exit codes: 2 a usage mistake, 69 (EX_UNAVAILABLE) PostgreSQL or Redis cannot be reached or
 * refuses, 1 anything else.
 */
export function fail(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(`rekindle: ${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof RedisUnavailableError || error instanceof DatabaseUnavailableError) {
    process.stderr.write(`rekindle: ${error.message}\n`);
    process.exit(69);
  }
  const known = error instanceof Error && (error instanceof DatabaseInUseError || /migrat|ECONNREFUSED|password authentication|does not exist/i.test(error.message));
  process.stderr.write(`rekindle: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
}

/**
 * Opens the database for a one-off command, refuses an unmigrated one, runs `work`, and closes it
 * whatever happens; failures are said plainly.
 */
async function withOpenDatabase<T>(config: Config, work: (db: Db) => Promise<T>): Promise<T> {
  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, poolSize: 2, connectionOptions: config.database.connectionOptions }).catch(fail);
  try {
    await assertMigrated(database.db);
    return await work(database.db);
  } finally {
    await database.close();
  }
}

/** A campaign from the templates folder, with a database for what needs one; exits on problems. */
export async function withCampaign<T>(config: Config, id: string, work: (campaign: LoadedCampaign, db: Db) => Promise<T>): Promise<T> {
  const folder = (await readCampaignFolders(config.campaigns.templatesDir)).find((f) => f.id === id);
  if (!folder) fail(new UsageError(`no campaign folder ${id} in ${config.campaigns.templatesDir}`));
  if (folder.type === "invalid") {
    process.stderr.write(`campaign ${id} is invalid:\n${folder.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}\n`);
    process.exit(1);
  }
  const campaign = { id, versionId: 0, contentHash: folder.contentHash, definition: folder.campaign, directory: folder.directory, templates: folder.templates };
  return withOpenDatabase(config, (db) => work(campaign, db));
}

/** Runs `work` with the database only (no Redis): the support commands. */
export async function withDatabase(work: (db: Db, config: Config) => Promise<void>): Promise<void> {
  const config = configOrExit();
  await withOpenDatabase(config, (db) => work(db, config)).catch(fail);
}

export async function assertMigrated(db: Db): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length > 0) throw new UsageError(`the database is missing migrations (${pending.join(", ")}); run \`rekindle migrate\` first`);
}

/** Who the audit log says acted: the user at this terminal. */
export const cliActor = (): string => `cli:${userInfo().username}`;

/** The scope of one customer, as the support routes find it; exits when there is none. */
export async function customerScope(db: Db, id: string) {
  const scope = await scopeOfCustomer(db, id);
  if (!scope) fail(new UsageError(`no customer ${id}`));
  return scope;
}

/** A command's input by the same schema the route uses, or a usage error naming each problem's path (exit 2). */
export function parsed<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) fail(new UsageError(result.error.issues.map((i) => `${i.path.map(String).join(".") || "input"}: ${i.message}`).join("; ")));
  return result.data;
}
