import { buildConsole } from "../src/console/build.js";
import { openDatabase } from "../src/db/index.js";
import { databaseUrl, templateName, withAdmin } from "./helpers/postgres.js";

/** A template of other migrations (another branch's) is kept this long after it was made. */
const TEMPLATE_KEPT_MS = 7 * 86_400_000;

/** Whether a process of this machine still runs (signal 0 only asks). */
function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Migrates a template database once per migration set; each test file clones it. Leftovers of
 * runs that were killed are dropped here, and nothing else. The console is built (when its sources changed) so the
 * browser tests see the page as it is now.
 */
export default async function setup(): Promise<void> {
  await buildConsole();
  const template = await templateName();
  await withAdmin(async (client) => {
    await client.query("select pg_advisory_lock(731)");
    try {
      // Only leftovers of runs that died are dropped: a test database is named after the process
      // that made it, and a template is stamped with when it was made. Another run in progress on
      // the same server (another checkout, other migrations) keeps its databases.
      const { rows } = await client.query<{ datname: string; made: string | null }>(
        "select datname, shobj_description(oid, 'pg_database') as made from pg_database where datname like 'rekindle\\_test\\_%' or (datname like 'rekindle\\_tpl\\_%' and datname <> $1)",
        [template],
      );
      for (const { datname, made } of rows) {
        const pid = Number(/^rekindle_test_(\d+)_/.exec(datname)?.[1]);
        const stale = datname.startsWith("rekindle_test_")
          ? !processAlive(pid)
          : Date.now() - Date.parse(/made (\S+)/.exec(made ?? "")?.[1] ?? "1970-01-01") > TEMPLATE_KEPT_MS;
        if (stale) await client.query(`drop database if exists ${datname} with (force)`).catch(() => {});
      }
      const exists = await client.query("select 1 from pg_database where datname = $1", [template]);
      if (exists.rowCount === 0) {
        await client.query(`create database ${template}`);
        await client.query(`comment on database ${template} is 'rekindle test template, made ${new Date().toISOString()}'`);
        try {
          const database = await openDatabase({ url: databaseUrl(template), dataDir: ".rekindle-test", poolSize: 1 });
          await database.migrate();
          await database.close();
        } catch (error) {
          await client.query(`drop database if exists ${template}`);
          throw error;
        }
      }
    } finally {
      await client.query("select pg_advisory_unlock(731)");
    }
  });
}
