import { type ChildProcess, spawn } from "node:child_process";
import { freePort, redisAnswers } from "../../src/redis/index.js";

/** A redis-server of the test's own (no persistence), so the test may flush, kill and restart it. */
export interface PrivateRedis {
  url: string;
  /** SIGKILLs the server (everything in it is lost, as in a crash without persistence). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(url, 300))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${url}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((r) => current.once("exit", r));
    current.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url, kill, start, stop: kill };
}
