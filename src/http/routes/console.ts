import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";

export const CONSOLE_PATH = "/console";

/** Where `npm run build` puts the console: `dist/console/` of the package, from src/ (tsx) and dist/ alike. */
export const CONSOLE_DIR = fileURLToPath(new URL("../../../dist/console/", import.meta.url));

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

/** An asset's file name: no separators, no leading dot, so nothing outside the assets folder can be named. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Emails previewed in Studio render in a sandboxed `srcdoc` frame, which inherits this policy: their
 * inline styles apply, their scripts never run, and their remote stylesheets (web fonts) are not
 * fetched. Images may come from anywhere, as in the customer's mail client.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https: http:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rekindle console</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933;line-height:1.5">
<h1>The console is not built</h1><p>Run <code>npm run build</code> in Rekindle's folder, then reload this page.</p></body></html>`;

/**
 * The console: one page (`index.html`) for `/console` and every client route under it, and its
 * assets under `/console/assets/`, named by content hash so browsers keep them for good. The API
 * behind it is the same `/api` with the same keys and roles; this serves only static files.
 */
export function consoleRoutes(app: FastifyInstance, options: { dir?: string } = {}): void {
  const dir = options.dir ?? CONSOLE_DIR;

  const page = async (_request: unknown, reply: FastifyReply) => {
    let html: string;
    try {
      html = await readFile(join(dir, "index.html"), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return reply.status(503).type("text/html; charset=utf-8").header("cache-control", "no-store").send(notBuilt);
    }
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("x-content-type-options", "nosniff")
      .header("x-frame-options", "DENY")
      .header("referrer-policy", "no-referrer")
      .send(html);
  };

  app.get("/", async (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`));
  app.get(CONSOLE_PATH, page);
  app.get(`${CONSOLE_PATH}/*`, page);
  app.get(`${CONSOLE_PATH}/assets/:file`, async (request, reply) => {
    const { file } = request.params as { file: string };
    const type = TYPES[extname(file)];
    const missing = () => reply.status(404).send({ error: { code: "not_found", message: `No console asset ${JSON.stringify(file)}.`, problems: [] } });
    if (!ASSET_NAME.test(file) || !type) return missing();
    let body: Buffer;
    try {
      body = await readFile(join(dir, "assets", file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return missing();
      throw error;
    }
    return reply
      .type(type)
      .header("cache-control", "public, max-age=31536000, immutable")
      .header("x-content-type-options", "nosniff")
      .send(body);
  });
}
