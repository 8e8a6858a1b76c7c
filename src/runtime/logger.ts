import { type DestinationStream, pino, type Logger, stdSerializers } from "pino";

export interface LoggerOptions {
  /** Secret values to blank out wherever they appear in a line (see `configSecrets`). */
  secrets?: readonly string[];
  /** Where lines go. Default stdout. */
  destination?: DestinationStream;
}

const REDACTED = "[redacted]";

/** Secrets recognisable by their shape, whoever logged them and under whatever field. */
const PATTERNS: [RegExp, string][] = [
  // API keys made by `rekindle keys create`.
  [/\brk_(ingest|support|marketer|ops)_[A-Za-z0-9_-]{8,}/g, `rk_$1_${REDACTED}`],
  // Authorization header values.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{8,}/gi, `$1 ${REDACTED}`],
  // The password of a URL's userinfo (smtp://user:pass@host, postgres://…).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:@/\s"]*):[^@/\s"]+@/gi, `$1:${REDACTED}@`],
  // PEM private keys (DKIM), raw or JSON-escaped.
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`],
  // Unsubscribe tokens in paths: whoever has one can unsubscribe its recipient.
  [/\/unsubscribe\/[0-9a-z]{1,13}\.[A-Za-z0-9_-]{24}/g, `/unsubscribe/${REDACTED}`],
  // Card-update links: whoever has one can open the customer's card form until it expires.
  [/\/card\/[0-9a-z-]{1,64}\.[0-9a-z]{1,10}\.[A-Za-z0-9_-]{24}/gi, `/card/${REDACTED}`],
];

interface SerializedError {
  message?: string;
  stack?: string;
  params?: unknown;
  detail?: unknown;
  where?: unknown;
  code?: unknown;
  cause?: SerializedError;
  [key: string]: unknown;
}

/**
 * Errors as pino would log them, minus what a failed SQL statement carries of the data it was
 * given: drizzle's message and `params` list the statement's parameters (emails, names, traits)
 * PostgreSQL's `detail` quotes the values of a violated key, and its data exceptions quote the
 * value they refused. The statement and the error code stay, which is what finding the fault needs.
 */
function withoutData(serialized: SerializedError | undefined, depth = 0): SerializedError | undefined {
  if (!serialized || typeof serialized !== "object" || depth > 5) return serialized;
  const clean: SerializedError = { ...serialized };
  const cut = (text: string) => text.replace(/\nparams: [\s\S]*?(?=\n {4}at |$)/, "\nparams: [redacted]");
  if (typeof clean.message === "string") clean.message = cut(clean.message);
  if (typeof clean.stack === "string") clean.stack = cut(clean.stack);
  if ("params" in clean) clean.params = REDACTED;
  if ("detail" in clean) clean.detail = REDACTED;
  if (typeof clean.where === "string") clean.where = clean.where.replace(/parameter \$(\d+) = '[\s\S]*?'(?=,|$)/g, `parameter $$$1 = '${REDACTED}'`);
  // PostgreSQL's data exceptions (class 22) quote the offending value: `invalid input syntax for type integer: "…"`.
  if (typeof clean.code === "string" && clean.code.startsWith("22")) {
    const unquote = (text: string) => text.replace(/"(?:[^"\\]|\\.)*"/g, `"${REDACTED}"`);
    if (typeof clean.message === "string") clean.message = unquote(clean.message);
    if (typeof clean.stack === "string") clean.stack = unquote(clean.stack);
  }
  if (clean.cause) clean.cause = withoutData(clean.cause, depth + 1);
  return clean;
}

/** Blanks every secret in one serialised line. */
export function scrubber(secrets: readonly string[]): (line: string) => string {
  // A secret is looked for as written and as it appears inside a JSON string (quotes, newlines escaped).
  const literals = [...new Set(secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  return (line) => {
    let text = line;
    for (const secret of literals) if (text.includes(secret)) text = text.replaceAll(secret, REDACTED);
    for (const [pattern, replacement] of PATTERNS) text = text.replace(pattern, replacement);
    return text;
  };
}

/**
 * JSON lines on stdout (pipe through `npx pino-pretty` to read them in a terminal). No secret
 * reaches a line: known header and field names are redacted, SQL errors lose their parameters,
 * and every line is scrubbed of the configured secrets and of anything shaped like a key,
 * a URL password, a private key, an unsubscribe or a card-update token.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const scrub = scrubber(options.secrets ?? []);
  return pino(
    {
      level,
      base: { service: "rekindle", pid: process.pid },
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          "req.headers['stripe-signature']",
          "headers.authorization",
          "headers.cookie",
          "*.password",
          "*.pass",
          "*.apiKeys",
          "*.writeKeys",
          "*.secretKey",
          "*.privateKey",
        ],
        censor: REDACTED,
      },
      serializers: {
        err: (error: Error) => withoutData(stdSerializers.errWithCause(error) as SerializedError),
        // A request line (LOG_LEVEL=debug) names the path, not the query string: searches carry emails.
        req: (request: { method?: string; url?: string; ip?: string }) => ({ method: request.method, path: request.url?.split("?")[0], remoteAddress: request.ip }),
      },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination(1),
  );
}
