/** The services under measurement, as the real `rekindle api` / `rekindle worker` processes, and the SMTP sink. */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type pg from "pg";
import { present } from "../helpers/present.js";
import { createInterface } from "node:readline";

export interface ServiceProcess {
  child: ChildProcess;
  /** The log line that said it was ready. */
  readyLine: string;
  /** Peak resident memory so far (the kernel's high-water mark), in bytes. */
  peakRss(): Promise<number>;
  stop(): Promise<void>;
}

/** CPU time a process has used so far (user + system), in ms, from /proc (100 ticks a second); 0 once it has gone. */
export function cpuMsOf(pid: number): number {
  try {
    // After the command name (which may hold spaces): utime and stime are the 12th and 13th fields.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU used by `work` in the given processes and in the PostgreSQL backends serving the bench
 * database: on a shared machine, the cost per event that wall-clock rates hide.
 */
export async function cpuOf<T>(pool: pg.Pool, pids: number[], work: () => Promise<T>): Promise<{ result: T; processMs: number; postgresMs: number }> {
  const backends = async () => (await pool.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")).rows.map((row) => row.pid);
  const before = new Map((await backends()).map((pid) => [pid, cpuMsOf(pid)]));
  const processBefore = pids.map(cpuMsOf);
  const result = await work();
  const after = new Set([...before.keys(), ...(await backends())]);
  const postgresMs = [...after].reduce((sum, pid) => sum + Math.max(0, cpuMsOf(pid) - (before.get(pid) ?? 0)), 0);
  const processMs = pids.reduce((sum, pid, i) => sum + cpuMsOf(pid) - (processBefore[i] ?? 0), 0);
  return { result, processMs, postgresMs };
}

/** The environment of the Rekindle processes under measurement: the bench's database, a Redis prefix of its own, the sink. */
export function benchEnv(options: { databaseUrl: string; smtpUrl: string; prefix: string }): Record<string, string> {
  return {
    NODE_ENV: "development",
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    REDIS_PREFIX: options.prefix,
    SMTP_URL: options.smtpUrl,
    SECRET_KEY: "bench-secret-key-0123456789abcdef0123456789",
    WRITE_KEYS: "bench-write-key-000000",
    API_KEYS: "bench-api-key-0000000000",
    TEMPLATES_DIR: "templates",
    LOG_LEVEL: "info",
  };
}

export async function peakRssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = status.match(/^VmHWM:\s+(\d+) kB/m)?.[1];
  if (!kb) throw new Error(`no VmHWM for process ${pid}`);
  return Number(kb) * 1024;
}

/** Starts `node bin/rekindle.js <command>` and resolves once its log says `ready`. */
export async function startService(command: "api" | "worker", env: Record<string, string>, ready: string, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...nodeArgs, "bin/rekindle.js", command], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  // A bench that fails half-way must not leave its API and workers running (and loading the machine).
  process.once("exit", () => child.kill("SIGKILL"));
  const lines = createInterface({ input: child.stdout });
  const errors: string[] = [];
  child.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start within 60 s: ${errors.join("")}`)), 60_000);
    child.once("exit", (code) => reject(new Error(`${command} exited with ${code}: ${errors.join("")}`)));
    lines.on("line", (line) => {
      if (line.includes(ready)) {
        clearTimeout(timer);
        resolve(line);
      } else if (/"level":(50|60)/.test(line)) {
        process.stderr.write(`[${command}] ${line}\n`);
      }
    });
  });
  child.removeAllListeners("exit");
  return {
    child,
    readyLine,
    peakRss: () => peakRssOf(present(child.pid, `the ${command} process's pid`)),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** The SMTP sink in a child process of its own; `count()` asks it how many emails it has taken. */
export async function startSink(): Promise<{ url: string; count: () => Promise<number>; close: () => Promise<void> }> {
  const child = fork(new URL("./smtp-sink.ts", import.meta.url).pathname, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve) => child.once("message", (m: { port: number }) => resolve(m.port)));
  return {
    url: `smtp://127.0.0.1:${port}`,
    count: () =>
      new Promise((resolve) => {
        child.once("message", (m: { count: number }) => resolve(m.count));
        child.send({ ask: "count" });
      }),
    close: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.send({ ask: "close" });
      }),
  };
}
