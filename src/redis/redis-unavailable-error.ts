/**
 * Thrown at start-up when the Redis of REDIS_URL does not answer, or when none is configured, none
 * answers locally and none can be started. Its message names the variable and what to do; it names
 * the host and the port of REDIS_URL, never its password.
 */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

/** Says why the Redis at `url` (REDIS_URL) did not answer, and how to put it right. */
export function redisUnavailable(url: string, error: Error & { code?: unknown }, timeoutMs: number): RedisUnavailableError {
  const parsed = new URL(url);
  const where = `Redis at ${parsed.hostname}:${parsed.port || "6379"} (REDIS_URL)`;
  const ownOne = "or unset REDIS_URL to let Rekindle start one";
  const message = error.message.split("\n", 1)[0] ?? error.message;
  const text = ((): string => {
    if (error.code === "ECONNREFUSED") return `${where} does not answer (connection refused): is it running? Start it with \`redis-server\`, correct REDIS_URL, ${ownOne}`;
    if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") return `Redis's host ${parsed.hostname} (REDIS_URL) is not found: correct the host name in REDIS_URL, ${ownOne}`;
    if (/^NOAUTH/.test(message)) return `${where} asks for a password: put it in REDIS_URL (redis://:password@host:6379)`;
    if (/^WRONGPASS|invalid password|invalid username-password/i.test(message)) return `${where} refused the password: correct the user and password in REDIS_URL`;
    if (error.code === "ETIMEDOUT" || /timeout|timed out/i.test(message)) {
      return `${where} does not answer within ${timeoutMs / 1000} s: is the host up and its port open to this machine${parsed.protocol === "rediss:" ? ", and does it speak TLS (rediss://)" : ""}? Correct REDIS_URL, ${ownOne}`;
    }
    return `${where} does not answer: ${message}; correct REDIS_URL, ${ownOne}`;
  })();
  return new RedisUnavailableError(text, { cause: error });
}
