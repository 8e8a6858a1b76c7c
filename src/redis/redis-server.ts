import type { ChildProcess } from "node:child_process";

/** The Redis a process uses, and how to let go of it. */
export interface RedisServer {
  url: string;
  /** Set when Rekindle started redis-server itself: the watchdog process redis-server runs under. */
  child?: ChildProcess;
  stop(): Promise<void>;
}
