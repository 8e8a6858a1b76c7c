import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { type Db, retryTransient } from "../db/index.js";
import { claimDueTasks, finishTask, renewTaskLeases } from "./task-sql.js";

/** How long a finished run's record is retried through a PostgreSQL outage. */
const FINISH_RETRY_MS = 120_000;

/** What a run of a task sees: what the last run left, and a way to leave something for the next. */
export interface TaskRun {
  state: Record<string, unknown>;
  /** A plain function (no `this`): tasks take it out of their argument. */
  setState: (state: Record<string, unknown>) => void;
}

/** A periodic task: its name, how often, and what it does (returning counts for `rekindle status`). */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  run(context: TaskRun): Promise<Record<string, unknown>>;
}

export interface SchedulerOptions {
  db: Db;
  logger: Logger;
  tasks: readonly PeriodicTask[];
  /** How long a claimed run stays claimed without renewal (TASK_LEASE). */
  leaseMs: number;
  /** How often this worker looks for due tasks and renews its leases. Default: a second, or the shortest interval if shorter. */
  pollMs?: number;
}

/**
 * Runs the periodic tasks of a worker process, scheduled in PostgreSQL: every worker polls, and
 * whichever claims a due run carries it out (see `claimDueTasks`). Nothing of the schedule lives
 * in Redis, so a Redis flush or restart stops no scan, sweep or dispatch; a worker that dies
 * mid-run stops renewing its lease, and another takes the task over when it lapses.
 */
export class Scheduler {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  readonly #options: SchedulerOptions;
  readonly #running = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #failing = false;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  start(): void {
    const shortest = Math.min(...this.#options.tasks.map((task) => task.everyMs));
    const pollMs = this.#options.pollMs ?? Math.max(50, Math.min(1_000, shortest));
    this.#pollNow();
    this.#timer = setInterval(() => this.#pollNow(), pollMs);
  }

  /**
   * Stops claiming runs and waits for the ones in progress — including a run that a poll still in
   * flight is claiming at this moment: without waiting for that poll, its run would start after
   * stop() returned, and hold a database connection while the process closed its pool.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    await Promise.allSettled(this.#running.values());
  }

  #inFlight: Promise<void> | undefined;

  #pollNow(): void {
    if (this.#polling) return;
    this.#inFlight = this.#poll();
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    const { db, logger, tasks, leaseMs } = this.#options;
    try {
      await renewTaskLeases(db, [...this.#running.keys()], this.owner, leaseMs);
      if (this.#stopped) return;
      const idle = tasks.filter((task) => !this.#running.has(task.name));
      const claimed = await claimDueTasks(db, idle, this.owner, leaseMs);
      for (const task of idle) {
        const claim = claimed.find((c) => c.name === task.name);
        if (!claim) continue;
        const run = this.#run(task, claim.state).finally(() => this.#running.delete(task.name));
        this.#running.set(task.name, run);
      }
      if (this.#failing) logger.info("periodic tasks: PostgreSQL answers again");
      this.#failing = false;
    } catch (error) {
      // PostgreSQL away: said once per outage, tried again at the next poll.
      if (!this.#failing) logger.warn({ err: error }, "periodic tasks: cannot reach PostgreSQL; trying again every poll");
      this.#failing = true;
    } finally {
      this.#polling = false;
    }
  }

  async #run(task: PeriodicTask, state: Record<string, unknown>): Promise<void> {
    const { db, logger } = this.#options;
    const started = performance.now();
    let next: Record<string, unknown> | undefined;
    let result: Record<string, unknown> | null = null;
    let error: string | null = null;
    try {
      result = await task.run({ state, setState: (value) => (next = value) });
    } catch (failure) {
      error = (failure as Error).message ?? String(failure);
      logger.warn({ err: failure, task: task.name }, "periodic task failed; it runs again at its next interval");
    }
    const durationMs = Math.round(performance.now() - started);
    // Written when PostgreSQL allows; until then the lease keeps the task claimed (and lapses if this never succeeds).
    await retryTransient(() => finishTask(db, task.name, this.owner, { durationMs, error, result, state: next }), { forMs: FINISH_RETRY_MS }).catch((failure: unknown) =>
      logger.warn({ err: failure, task: task.name }, "could not record how a periodic task ended; its lease lapses and another run follows"),
    );
  }
}
