/**
 * Faults worth trying again: PostgreSQL restarting or unreachable, a connection terminated
 * (failover, `pg_terminate_backend`, a pooler recycling it), a statement cancelled or timed out,
 * a lost deadlock or serialization race, too many connections. A transaction that failed with one
 * of these was rolled back whole, so running it again from the start is safe.
 */
export function isTransientDbError(error: unknown): boolean {
  for (let current = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    const code = typeof current.code === "string" ? current.code : "";
    // 40001 serialization, 40P01 deadlock, 55P03 lock timeout, 57014 cancelled (statement_timeout too),
    // 57P01-03 shutdown / crash / cannot connect now, 08xxx connection exceptions, 53300 too many connections.
    if (/^(40001|40P01|55P03|57014|57P0[1-3]|08\w{3}|53300)$/.test(code)) return true;
    if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)$/.test(code)) return true;
    if (/Connection terminated|the database system is|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|Connection ended unexpectedly/i.test(String(current.message))) {
      return true;
    }
    current = current.cause as typeof current;
  }
  return false;
}

export interface RetryOptions {
  /** Give up (rethrow the last error) once this much time has passed. */
  forMs: number;
  /** Called before each wait, e.g. to log. */
  onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  /** First wait; it doubles up to `maxWaitMs`. Defaults 100 ms and 5 s. */
  firstWaitMs?: number;
  maxWaitMs?: number;
}

/**
 * Runs `operation` until it succeeds, retrying transient database faults with backoff for up to
 * `forMs` (a PostgreSQL restart takes seconds to a minute). Any other error is thrown at once.
 * `operation` must be safe to run again: a transaction, or a statement guarded by the state it
 * moves from.
 */
export async function retryTransient<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + options.forMs;
  let wait = options.firstWaitMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientDbError(error) || Date.now() + wait > deadline) throw error;
      options.onRetry?.(error, attempt, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, options.maxWaitMs ?? 5_000);
    }
  }
}
