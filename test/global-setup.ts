import { buildConsole } from "../src/console/build.js";
import { openDatabase } from "../src/db/index.js";
import { databaseUrl, templateName, withAdmin } from "./helpers/postgres.js";

/**
 * Migrates a template database once per migration set; each test file clones it. Leftovers of
 * runs that were killed are dropped here. The console is built (when its sources changed) so the
 * browser tests see the page as it is now.
 */
export default async function setup(): Promise<void> {
  await buildConsole();
  const template = await templateName();
  await withAdmin(async (client) => {
    await client.query("select pg_advisory_lock(731)");
    try {
      const { rows } = await client.query<{ datname: string }>(
        "select datname from pg_database where datname like 'rekindle\\_test\\_%' or (datname like 'rekindle\\_tpl\\_%' and datname <> $1)",
        [template],
      );
      for (const { datname } of rows) {
        // A database someone is still connected to belongs to a run in progress: leave it.
        await client.query(`drop database if exists ${datname}`).catch(() => {});
      }
      const exists = await client.query("select 1 from pg_database where datname = $1", [template]);
      if (exists.rowCount === 0) {
        await client.query(`create database ${template}`);
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
