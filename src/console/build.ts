import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The console's source: browser TypeScript, the page and its styles. */
export const CONSOLE_SOURCE = fileURLToPath(new URL("./client/", import.meta.url));
/** Where the API serves it from (src/http/routes/console.ts reads the same folder). */
export const CONSOLE_OUT = fileURLToPath(new URL("../../dist/console/", import.meta.url));

const STAMP = "build.json";

/** A hash of every source file, so a build that is already current is not made again. */
async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  const files = (await readdir(CONSOLE_SOURCE, { recursive: true })).filter((f) => /\.(ts|css|html|json)$/.test(f)).sort();
  for (const file of files) hash.update(file).update("\0").update(await readFile(join(CONSOLE_SOURCE, file))).update("\0");
  return hash.digest("hex");
}

/** Writes through a temporary name and a rename, so a server reading the folder never sees half a file. */
async function writeAtomically(path: string, contents: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

/**
 * Bundles the console with esbuild into `outDir`: `assets/main-<hash>.js` and `assets/main-<hash>.css`
 * (named by content, so they are cached for good), and `index.html` naming them. Nothing is
 * fetched from a CDN: the page runs on machines without internet. Skips the work when the sources
 * have not changed since the last build (`force` builds anyway).
 */
export async function buildConsole(options: { outDir?: string; force?: boolean } = {}): Promise<{ built: boolean; files: string[] }> {
  const outDir = options.outDir ?? CONSOLE_OUT;
  const hash = await sourceHash();
  const stampPath = join(outDir, STAMP);
  if (!options.force) {
    const stamp = await readFile(stampPath, "utf8").then((text) => JSON.parse(text) as { sourceHash: string; files: string[] }, () => undefined);
    const present = async (file: string) => readFile(join(outDir, file)).then(() => true, () => false);
    if (stamp?.sourceHash === hash && (await Promise.all(["index.html", ...stamp.files].map(present))).every(Boolean)) return { built: false, files: stamp.files };
  }
  // esbuild is a development dependency: loaded only when building.
  const { build } = await import("esbuild");
  const assets = join(outDir, "assets");
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: [join(CONSOLE_SOURCE, "main.ts"), join(CONSOLE_SOURCE, "styles.css")],
    bundle: true,
    format: "esm",
    target: ["chrome111", "firefox111", "safari16.4"],
    minify: true,
    sourcemap: "linked",
    entryNames: "[name]-[hash]",
    outdir: assets,
    write: false,
    logLevel: "silent",
    legalComments: "none",
  });
  const written: string[] = [];
  for (const file of result.outputFiles) {
    await writeAtomically(file.path, file.contents);
    written.push(basename(file.path));
  }
  const script = written.find((f) => /^main-.*\.js$/.test(f));
  const style = written.find((f) => /^styles-.*\.css$/.test(f));
  if (!script || !style) throw new Error(`the console build made no script or stylesheet (${written.join(", ")})`);
  const template = await readFile(join(CONSOLE_SOURCE, "index.html"), "utf8");
  await writeAtomically(join(outDir, "index.html"), template.replace("{{script}}", `/console/assets/${script}`).replace("{{style}}", `/console/assets/${style}`));
  // Earlier builds' assets: gone once the new page names the new ones.
  for (const name of await readdir(assets)) if (!written.includes(name) && !name.endsWith(".tmp")) await rm(join(assets, name), { force: true });
  const files = written.map((f) => relative(outDir, join(assets, f)));
  await writeAtomically(stampPath, JSON.stringify({ sourceHash: hash, files }, null, 2));
  return { built: true, files };
}
