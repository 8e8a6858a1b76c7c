import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { Harness } from "./harness.js";
import { present } from "./present.js";

const ROOT = new URL("../..", import.meta.url).pathname;

/** A real `rekindle start`, `rekindle api` or `rekindle worker` process, as ops run them. */
export interface RekindleProcess {
  child: ChildProcess;
  /** What it wrote (the last 64 KB), for a failing test to show. */
  output(): string;
  /** Resolves with the exit code (or signal) when it ends. */
  exited: Promise<number | string | null>;
  alive(): boolean;
}

/** The environment a child needs to share the harness's database, Redis prefix and campaigns. */
export function childEnv(harness: Harness, env: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    DATABASE_URL: present(harness.config.database.url, "the harness's DATABASE_URL"),
    REDIS_URL: harness.deps.redisUrl,
    REDIS_PREFIX: harness.config.redis.prefix,
    TEMPLATES_DIR: join(harness.config.dataDir, "templates"),
    DATA_DIR: harness.config.dataDir,
    SMTP_URL: harness.config.mail.smtpUrl,
    SECRET_KEY: harness.deps.secretKey,
    WRITE_KEYS: harness.config.writeKeys.join(","),
    API_KEYS: harness.config.apiKeys.join(","),
    LOG_LEVEL: "warn",
    ...env,
  };
}

export function spawnRekindle(command: "start" | "api" | "worker", env: Record<string, string>): RekindleProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", command], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-65_536));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | string | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  return { child, output: () => output, exited, alive: () => child.exitCode === null && child.signalCode === null };
}

/** Starts `rekindle worker` and resolves once it runs (its queues and its periodic tasks). */
export async function spawnWorker(env: Record<string, string>): Promise<RekindleProcess> {
  const worker = spawnRekindle("worker", { ...env, LOG_LEVEL: "info" });
  const deadline = Date.now() + 30_000;
  while (!worker.output().includes('"msg":"worker running"')) {
    if (!worker.alive() || Date.now() > deadline) throw new Error(`rekindle worker did not start:\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return worker;
}

/** Starts `rekindle api` on a free port and resolves with its URL once it listens. */
export async function spawnApi(env: Record<string, string>): Promise<RekindleProcess & { url: string }> {
  const api = spawnRekindle("api", { ...env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info" });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const url = api.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    if (url) return { ...api, url };
    if (!api.alive() || Date.now() > deadline) throw new Error(`rekindle api did not start:\n${api.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
