import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";

/** The wait before a process that died is replaced. */
const RESTART_AFTER_MS = 1_000;
/** How long processes get to finish their requests once asked to stop, before they are killed. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * `rekindle api` with API_PROCESSES > 1: this process forks that many API processes that share one
 * port (node:cluster hands each new connection to the next process), so one machine's cores all
 * take requests. It holds no connection of its own. A process that dies is replaced a second
 * later; one that dies before it listens could not start (bad configuration, database
 * unreachable) and stops the whole command with its exit code, rather than being started again and again. SIGINT/SIGTERM are passed on; each process stops gracefully as a single one would.
 */
export function superviseApiProcesses(count: number, logger: Logger): void {
  let stopping = false;
  /** The exit code of a process that could not start, which the whole command then exits with. */
  let failed: number | undefined;
  /** Each process, and whether it has listened yet: one that dies before it listens could not start. */
  const started = new Map<Worker, boolean>();
  const fork = () => started.set(cluster.fork(), false);
  cluster.on("listening", (worker) => started.set(worker, true));

  cluster.on("exit", (worker, code, signal) => {
    const listened = started.get(worker) ?? false;
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) process.exit(failed ?? 0);
      return;
    }
    if (!listened) {
      logger.error({ pid: worker.process.pid, code }, "an API process could not start; stopping");
      stopping = true;
      failed = code || 1;
      for (const other of started.keys()) other.process.kill("SIGTERM");
      if (started.size === 0) process.exit(failed);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "an API process died; starting another");
    setTimeout(() => {
      if (!stopping) fork();
    }, RESTART_AFTER_MS);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, processes: started.size }, "shutting down the API processes");
    for (const worker of started.keys()) worker.process.kill(signal);
    setTimeout(() => {
      for (const worker of started.keys()) worker.process.kill("SIGKILL");
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    if (started.size === 0) process.exit(0);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  logger.info({ processes: count }, `starting ${count} API processes`);
  for (let i = 0; i < count; i++) fork();
}

/** Whether this process is one of the API processes a `rekindle api` supervises. */
export const isSupervisedApiProcess = (): boolean => cluster.isWorker;

/** Whether this process is the only one, or the first of those a `rekindle api` supervises (the one that speaks for all). */
export const isFirstApiProcess = (): boolean => !cluster.isWorker || cluster.worker?.id === 1;
