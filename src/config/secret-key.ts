import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The secret used to sign tokens. When SECRET_KEY is not set (development only; production
 * refuses to start without it), one is generated once and kept in DATA_DIR so that links already
 * sent keep working across restarts.
 */
export async function resolveSecretKey(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = join(dataDir, "secret-key");
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const generated = randomBytes(32).toString("base64url");
  await writeFile(file, `${generated}\n`, { mode: 0o600 });
  return generated;
}
