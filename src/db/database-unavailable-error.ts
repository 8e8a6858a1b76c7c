/**
 * Thrown when PostgreSQL (DATABASE_URL) cannot be reached or refuses Rekindle as it opens the
 * database. Its message is one line for the operator: which server, which variable, what to do.
 * It names the host, the port, the user and the database, never the password.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

/** The socket error code, also when Node tried several addresses (`localhost` as ::1 and 127.0.0.1). */
function codeOf(error: DriverError): string | undefined {
  if (typeof error.code === "string") return error.code;
  const [first] = Array.isArray(error.errors) ? (error.errors as DriverError[]) : [];
  return first && typeof first.code === "string" ? first.code : undefined;
}

/** Says what went wrong connecting to `url`, and how to put it right. */
export function databaseUnavailable(url: string, error: unknown): DatabaseUnavailableError {
  const parsed = new URL(url);
  const host = decodeURIComponent(parsed.hostname || parsed.searchParams.get("host") || "localhost").replace(/^\[|\]$/g, "");
  const port = parsed.port || "5432";
  const user = decodeURIComponent(parsed.username) || undefined;
  const name = decodeURIComponent(parsed.pathname.slice(1)) || user || "";
  const where = `PostgreSQL at ${host}:${port} (DATABASE_URL)`;
  const cause = (error ?? {}) as DriverError;
  const whole = String(cause.message ?? error);
  const message = whole.split("\n", 1)[0] ?? whole;
  const code = codeOf(cause);
  const text = ((): string => {
    switch (code) {
      case "ECONNREFUSED":
        return (
          `${where} refused the connection: is it running? Start it (Debian/Ubuntu: \`sudo pg_ctlcluster <version> main start\`; ` +
          "systemd: `sudo systemctl start postgresql`; macOS: `brew services start postgresql`), or correct the host and port in DATABASE_URL"
        );
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return `PostgreSQL's host ${host} (DATABASE_URL) is not found: correct the host name in DATABASE_URL`;
      case "ETIMEDOUT":
      case "EHOSTUNREACH":
      case "ENETUNREACH":
        return `${where} cannot be reached (${code}): is the host up and its port open to this machine (firewall, security group)?`;
      case "3D000": {
        const flags = [host !== "localhost" && `-h ${host}`, port !== "5432" && `-p ${port}`, user && `-U ${user}`].filter(Boolean).join(" ");
        return `database "${name}" does not exist on ${where}: create it with \`createdb ${flags ? `${flags} ` : ""}${name}\`, or correct the database name in DATABASE_URL`;
      }
      case "28P01":
        return `${where} refused the password of user "${user ?? ""}": correct the user and password in DATABASE_URL`;
      case "28000":
        return `${where} refused the connection: ${message}; correct the user in DATABASE_URL, or allow it in the server's pg_hba.conf`;
      case "57P03":
        return `${where} is starting up or shutting down: ${message}; try again in a moment`;
      case "53300":
        return `${where} has no connections left: ${message}; lower DATABASE_POOL_SIZE or raise the server's max_connections`;
      default:
        // pg-pool's own timeout carries no code.
        if (/timeout/i.test(message)) return `${where} did not answer within 10 s: is the host up and its port open to this machine (firewall, security group)?`;
        return `${where} refused Rekindle: ${message}`;
    }
  })();
  return new DatabaseUnavailableError(text, { cause: error });
}
