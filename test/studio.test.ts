import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rename, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_EMAIL, writeCampaign } from "./helpers/harness.js";
import { createTestDatabase } from "./helpers/postgres.js";
import { present } from "./helpers/present.js";

const ROOT = new URL("..", import.meta.url).pathname;
const KEY = "studio-test-key-0123456789";
const HELLO = `id: hello
name: Hello
category: winback
trigger:
  type: event
  name: Say Hello
steps:
  - id: first
    type: email
    template: first
`;

/** Starts `rekindle studio` as a person would, and collects what it prints. */
function startStudio(env: Record<string, string>): { child: ChildProcess; output: () => string; url: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "studio"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
  let output = "";
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`studio printed no URL:\n${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const found = output.match(/^Rekindle Studio: (http:\/\/\S+)$/m);
      if (found) {
        clearTimeout(timer);
        resolve(present(found[1], "found[1]"));
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.once("exit", (code) => reject(new Error(`studio exited with ${code}:\n${output}`)));
  });
  url.catch(() => {});
  return { child, output: () => output, url };
}

describe("rekindle studio", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  const prefix = `rekindle-studio-${randomBytes(4).toString("hex")}`;
  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), "rekindle-studio-"));
  });
  afterAll(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
    // The studio process made the send queue's keys under its prefix: nothing stays in Redis.
    const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("serves the console, prints its address, and reloads the campaigns on every save (a broken one with its file and line)", async () => {
    const templatesDir = join(dataDir, "templates");
    await writeCampaign(templatesDir, "hello", HELLO);
    const studio = startStudio({
      DATABASE_URL: database.url,
      TEMPLATES_DIR: templatesDir,
      DATA_DIR: dataDir,
      PORT: "0",
      REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
      REDIS_PREFIX: prefix,
      API_KEYS: KEY,
      WRITE_KEYS: "studio-test-write-key-0123",
    });
    try {
      const consoleUrl = await studio.url;
      expect(consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/campaigns$/);
      expect(studio.output()).toContain(`watching ${templatesDir}`);
      const base = new URL(consoleUrl).origin;
      const get = async <T>(path: string) => (await (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as T;
      expect((await fetch(consoleUrl)).headers.get("content-type")).toBe("text/html; charset=utf-8");
      const first = await get<{ watching: boolean; revision: number }>("/api/studio");
      expect(first.watching).toBe(true);
      expect((await get<{ subject: string }>("/api/campaigns/hello/steps/first/preview")).subject).toBe("Hello for grace@example.com");

      const waitForRevision = async (after: number) => {
        for (let i = 0; i < 100; i++) {
          const now = await get<{ revision: number }>("/api/studio");
          if (now.revision > after) return now.revision;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`no reload after the save:\n${studio.output()}`);
      };
      await writeFile(join(templatesDir, "hello", "first.mjml"), TEST_EMAIL.replace("{{campaign.name}} for", "Changed for"));
      const second = await waitForRevision(first.revision);
      expect((await get<{ subject: string }>("/api/campaigns/hello/steps/first/preview")).subject).toBe("Changed for grace@example.com");
      expect(studio.output()).toMatch(/changed: hello\/first\.mjml; reloaded\n1 valid, 0 invalid campaign\(s\)/);

      await writeFile(join(templatesDir, "hello", "first.mjml"), TEST_EMAIL.replace("Hello {{customer.email}}", "Hello {{customer.fistName}}"));
      await waitForRevision(second);
      const list = await get<{ invalid: { id: string; problems: { file: string; line: number }[] }[] }>("/api/campaigns");
      expect(list.invalid).toEqual([{ id: "hello", problems: [expect.objectContaining({ file: expect.stringMatching(/hello\/first\.mjml$/), line: 8 })], messages: [expect.any(String)] }]);
      await expect.poll(() => studio.output()).toMatch(/0 valid, 1 invalid campaign\(s\)\n {2}\S*hello\/first\.mjml:8:26: unknown variable "customer\.fistName" \(did you mean "customer\.firstName"\?\)/);
    } finally {
      studio.child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => (studio.child.exitCode !== null ? resolve(studio.child.exitCode) : studio.child.once("exit", resolve)));
      expect(code, studio.output()).toBe(0);
    }
  }, 60_000);

  it("sees every save made by rename, as vim, JetBrains and gedit save, and a fixed template is valid again", async () => {
    const templatesDir = join(dataDir, "renames");
    await writeCampaign(templatesDir, "hello", HELLO);
    const studio = startStudio({
      DATABASE_URL: database.url,
      TEMPLATES_DIR: templatesDir,
      DATA_DIR: dataDir,
      PORT: "0",
      REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
      REDIS_PREFIX: prefix,
      API_KEYS: KEY,
      WRITE_KEYS: "studio-test-write-key-0123",
    });
    try {
      const base = new URL(await studio.url).origin;
      const get = async <T>(path: string) => (await (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as T;
      const file = join(templatesDir, "hello", "first.mjml");
      const reloads = () => studio.output().match(/changed: hello\/first\.mjml; reloaded\n/g)?.length ?? 0;
      const subject = async () => (await get<{ subject: string }>("/api/campaigns/hello/steps/first/preview")).subject;
      const invalid = async () => (await get<{ invalid: { id: string; problems: { file: string; line: number; column: number; message: string }[] }[] }>("/api/campaigns")).invalid;
      // Written beside the file, then moved over it (JetBrains' "safe write", gedit).
      const saveByRename = async (text: string) => {
        await writeFile(`${file}.tmp`, text);
        await rename(`${file}.tmp`, file);
      };
      // vim's `backupcopy=no`: the original moved aside, a new file written, the backup removed.
      const saveLikeVim = async (text: string) => {
        await rename(file, `${file}~`);
        await writeFile(file, text);
        await unlink(`${file}~`);
      };
      const poll = { timeout: 10_000, interval: 100 };

      for (const [n, save] of [saveByRename, saveByRename, saveByRename, saveLikeVim, saveLikeVim, saveLikeVim, saveByRename].entries()) {
        const before = reloads();
        await save(TEST_EMAIL.replace("{{campaign.name}} for", `Save ${n} for`));
        await expect.poll(reloads, { ...poll, message: studio.output() }).toBe(before + 1);
        expect(await subject()).toBe(`Save ${n} for grace@example.com`);
      }

      await saveLikeVim(TEST_EMAIL.replace("Hello {{customer.email}}", "Hello {{customer.fistName}}"));
      await expect.poll(invalid, poll).toEqual([{ id: "hello", problems: [expect.objectContaining({ file: expect.stringMatching(/hello\/first\.mjml$/), line: 8 })], messages: [expect.any(String)] }]);
      await saveByRename(TEST_EMAIL);
      await expect.poll(invalid, poll).toEqual([]);
      expect(await subject()).toBe("Hello for grace@example.com");
      await expect.poll(() => studio.output(), poll).toMatch(/changed: hello\/first\.mjml; reloaded\n1 valid, 0 invalid campaign\(s\)\n$/);
      // The editors' scratch files are nobody's concern: never reported as changes.
      expect(studio.output()).not.toMatch(/first\.mjml(\.tmp|~)/);
    } finally {
      studio.child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => (studio.child.exitCode !== null ? resolve(studio.child.exitCode) : studio.child.once("exit", resolve)));
      expect(code, studio.output()).toBe(0);
    }
  }, 90_000);

  it("refuses to run in production", async () => {
    const studio = startStudio({
      NODE_ENV: "production",
      SECRET_KEY: "s".repeat(40),
      WRITE_KEYS: "studio-test-write-key-0123",
      API_KEYS: KEY,
      PUBLIC_URL: "https://rekindle.example.com",
      SMTP_URL: "smtp://127.0.0.1:2525",
      MAIL_FROM: "Acme <hello@acme.example>",
      APP_URL: "https://app.acme.example",
      BILLING_URL: "https://app.acme.example/billing",
      DATABASE_URL: database.url,
    });
    const code = await new Promise<number | null>((resolve) => studio.child.once("exit", resolve));
    expect(code).toBe(2);
    expect(studio.output()).toContain("studio is for development");
  });
});
