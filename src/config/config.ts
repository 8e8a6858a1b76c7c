import { z } from "zod";
import { Temporal } from "temporal-polyfill";
import { CapRule, type SendWindow, SendDays, SendWindowText } from "../policy/index.js";
import { durationMs, IsoDuration, TimeZone } from "../time/index.js";
import { displayName, senderProblems } from "./sender-identity.js";

const commaList = z
  .string()
  .transform((text) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const keyList = (what: string) =>
  commaList.pipe(
    z
      .array(z.string().min(16, `each ${what} must be at least 16 characters`))
      .min(1, `expected at least one ${what}`),
  );

const url = (protocols: RegExp, example: string) =>
  z.url({ protocol: protocols, error: `expected a URL such as ${example}` });

/**
 * The environment Rekindle reads, and nothing else reads `process.env`. Every variable has a
 * default that suits a laptop; `NODE_ENV=production` makes the secrets mandatory instead.
 */
export const Environment = z.object({
  /** `production` refuses the development defaults for secrets and keys. Default `development`. */
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Address the HTTP API binds to. Default `127.0.0.1`; use `0.0.0.0` in a container. */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** HTTP port. Default 3000. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** `rekindle api`: processes sharing the port, e.g. one per core. Default 1. */
  API_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  /** How long a client may take to send a request's headers. Default `PT10S`. */
  HTTP_HEADERS_TIMEOUT: IsoDuration.default("PT10S"),
  /** How long a client may take to send a whole request, headers and body. Default `PT30S`. */
  HTTP_BODY_TIMEOUT: IsoDuration.default("PT30S"),
  /** How long a request may take from arrival to answer, handler included (then 503). Default `PT60S`. */
  HTTP_REQUEST_TIMEOUT: IsoDuration.default("PT60S"),
  /** Where the service is reached from outside (links in emails). Default `http://localhost:<PORT>`. */
  PUBLIC_URL: url(/^https?$/, "https://rekindle.example.com").optional(),
  /** PostgreSQL. Unset: an embedded PGlite database under DATA_DIR. */
  DATABASE_URL: url(/^postgres(ql)?$/, "postgres://user@127.0.0.1:5432/rekindle").optional(),
  /** Size of the PostgreSQL connection pool per process. Default 10. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  /** Redis for the queues. Unset: 127.0.0.1:6379, or a redis-server child process if none answers. `local`: always a redis-server child process of Rekindle's own. */
  REDIS_URL: z.union([z.literal("local"), url(/^rediss?$/, "redis://127.0.0.1:6379 (or local)")]).optional(),
  /** Prefix of every Redis key, so several installations can share one Redis. Default `rekindle`. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "expected letters, digits, '-' or '_' (no ':')")
    .default("rekindle"),
  /** Outgoing mail. `smtp://user:pass@host:587`, `smtps://...`, or `log` (write emails to the log). Default `log`. */
  SMTP_URL: z
    .union([z.literal("log"), url(/^smtps?$/, "smtp://user:password@smtp.example.com:587")])
    .default("log"),
  /**
   * SMTP connections a worker process keeps open. Default: SEND_CONCURRENCY, up to 10 — what pooled
   * senders commonly open against one provider, and twice nodemailer's own pool default. Against a
   * local SMTP sink, 5, 10 and 20 connections moved about the same number of emails per second
   * (a worker's CPU, not the connections, was the limit), while a real provider may throttle or
   * refuse many more connections from one address. Each worker process opens its own: ten workers
   * make a hundred.
   */
  SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).optional(),
  /** The From header of outgoing mail. Default `Rekindle <rekindle@localhost>`; production requires a real one. */
  MAIL_FROM: z.string().min(3).optional(),
  /** Signs unsubscribe links and other tokens; at least 32 characters. Unset in development: generated once into DATA_DIR. */
  SECRET_KEY: z.string().min(32, "expected at least 32 characters").optional(),
  /** Segment-style write keys accepted on /v1 (comma-separated). Development default: `rekindle-dev-write-key`. */
  WRITE_KEYS: keyList("write key").optional(),
  /** Bearer keys with full access to /api (comma-separated). Development default: `rekindle-dev-api-key-0001`. */
  API_KEYS: keyList("API key").optional(),
  /** Where the embedded database, the generated secret and a local Redis keep their files. Default `.rekindle`. */
  DATA_DIR: z.string().min(1).default(".rekindle"),
  /** Where campaign folders live (`<dir>/<campaign>/campaign.yaml`). Default `templates`. */
  TEMPLATES_DIR: z.string().min(1).default("templates"),
  /** How often scan-driven triggers (card expiring, inactivity...) are evaluated. Default `PT1M`. */
  SCAN_INTERVAL: IsoDuration.default("PT1M"),
  /** Time zone for customers whose own is unknown (waits until a local time, quiet hours). Default `UTC`. */
  DEFAULT_TIMEZONE: TimeZone.default("UTC"),
  /**
   * The language of the templates without a locale in their name (`first-notice.mjml`, the footer):
   * money and dates in them are written for it, and so is their unsubscribe page. Default `en`.
   */
  DEFAULT_LOCALE: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "expected a locale such as en, en-GB or sv")
    .refine((locale) => Intl.NumberFormat.supportedLocalesOf([locale]).length > 0, "a locale this Node.js cannot format for")
    .default("en"),
  /** The company name emails sign with. Default: the display name of MAIL_FROM. Production requires one other than Rekindle. */
  COMPANY_NAME: z.string().min(1).max(100).optional(),
  /** Links in emails: the product, and where customers manage billing. Default PUBLIC_URL; production requires both. */
  APP_URL: url(/^https?$/, "https://app.example.com").optional(),
  BILLING_URL: url(/^https?$/, "https://app.example.com/billing").optional(),
  /**
   * How often due messages are handed to the send queue, and how far ahead. Defaults `PT1S`, `PT5M`.
   * An email that falls due now (a step with no wait, an event trigger) waits for the next pass, so
   * the interval is the delay it adds (PT5S added up to five seconds to a run of 20,000 emails due
   * at once that one worker finishes in about thirty). A pass that finds nothing due is two statements on partial indexes and a Redis
   * SET, run by one worker at a time, so once a second costs little.
   */
  DISPATCH_INTERVAL: IsoDuration.default("PT1S"),
  DISPATCH_HORIZON: IsoDuration.default("PT5M"),
  /**
   * Send jobs one worker process holds at once. Default 100. Most of a job's time is spent waiting
   * (for its claim's transaction, for a free SMTP connection, for its result's statement), and the
   * jobs in flight together share one claim transaction and one result statement per batch, so
   * more of them means fewer database round trips per email. With 10, one worker sent a quarter of
   * what pooled nodemailer sends to the same server and sat idle half the time; with 100, about
   * half, its CPU then the limit; 200 only lengthens the queue for SMTP connections. A job in flight
   * holds one outbox row and its rendered email. SMTP_MAX_CONNECTIONS, not this, bounds what the
   * provider sees; SEND_RATE_LIMIT bounds the rate.
   */
  SEND_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(100),
  /** Tries for a transient SMTP failure (4xx, connection) before the message fails. Default 5. */
  SEND_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** The first wait before trying again; it doubles with each try. Default `PT30S`. */
  SEND_BACKOFF: IsoDuration.default("PT30S"),
  /** How long an email may sit claimed for SMTP; past it without an answer it is `uncertain`. Default `PT2M`. */
  SEND_LEASE: IsoDuration.default("PT2M"),
  /** How long past its due time a message handed to the send queue may wait before it goes back to the outbox (its job lost). Default `PT10M`. */
  QUEUE_LEASE: IsoDuration.default("PT10M"),
  /** How long a worker retries a claim or a dispatch that failed on a PostgreSQL fault before handing the job back to the queue. Default `PT1M`. */
  DATABASE_RETRY: IsoDuration.default("PT1M"),
  /** How long a worker keeps trying to record what SMTP answered while PostgreSQL is away; past it the message is reported `uncertain`. Default `PT10M`. */
  RESULT_RETRY: IsoDuration.default("PT10M"),
  /** How long a periodic task (dispatch, scans, sweep, maintenance) stays claimed by a worker that stopped renewing it. Default `PT30S`. */
  TASK_LEASE: IsoDuration.default("PT30S"),
  /** Also offer unsubscribing by email (`List-Unsubscribe: <https…>, <mailto:…>`); you process that mailbox. */
  UNSUBSCRIBE_MAILTO: z.email().optional(),
  /** DKIM signing: the signing domain, the selector, and the private key (PEM; `\n` escapes allowed) or a file holding it. All or none. */
  DKIM_DOMAIN: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, "expected a domain such as acme.example").optional(),
  DKIM_SELECTOR: z.string().regex(/^[a-z0-9._-]+$/i, "expected a selector such as rekindle").optional(),
  DKIM_PRIVATE_KEY: z.string().includes("PRIVATE KEY", { message: "expected a PEM private key" }).optional(),
  DKIM_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  /** Frequency cap per customer, comma-separated `<count>/<duration>` rules. Default `2/P1D,5/P7D`; `none` for no cap. */
  FREQUENCY_CAP: z.union([z.literal("none"), z.string().transform((t) => t.split(",").map((r) => r.trim())).pipe(z.array(CapRule).min(1))]).prefault("2/P1D,5/P7D"),
  /** Categories the cap never applies to (and that do not count towards it). Default `dunning`. */
  FREQUENCY_CAP_EXEMPT: commaList.prefault("dunning"),
  /** The send window in each customer's local time, e.g. `09:00-18:00`. Unset: any time. */
  SEND_WINDOW: SendWindowText.optional(),
  /** Days the window is open, e.g. `mon-fri`. Unset: every day. */
  SEND_DAYS: SendDays.optional(),
  /** Your SMTP provider's rate limit, `<emails>/<duration>` (e.g. `14/PT1S`), shared by every worker on every machine. Unset: none. */
  SEND_RATE_LIMIT: CapRule.optional(),
  /** Private destinations webhook steps may call after all (host names or CIDR ranges, comma-separated). Default: none. */
  WEBHOOK_ALLOW_PRIVATE: commaList.prefault(""),
  /** Stripe webhook signing secrets (`whsec_…`), comma-separated: more than one while rotating. Unset: /webhooks/stripe answers 404. */
  STRIPE_WEBHOOK_SECRETS: commaList.pipe(z.array(z.string().startsWith("whsec_", "expected a signing secret starting with whsec_")).min(1)).optional(),
  /** How old a signed Stripe delivery may be. Default `PT5M` (Stripe's own default). */
  STRIPE_TOLERANCE: IsoDuration.default("PT5M"),
  /** The Stripe customer metadata key holding your own user id. Default `user_id`. */
  STRIPE_CUSTOMER_ID_METADATA: z.string().min(1).default("user_id"),
  /** A Stripe secret or restricted key (`sk_…`/`rk_…`): the cancel flow applies offers and the card-update link opens Stripe's portal with it. Unset: neither calls Stripe. */
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, "expected a Stripe secret key such as sk_live_… or rk_live_…").optional(),
  /** Where the Stripe API is (a proxy, or an emulator in tests). Default `https://api.stripe.com`. */
  STRIPE_API_URL: url(/^https?$/, "https://api.stripe.com").default("https://api.stripe.com"),
  /** How the cancel flow's decisions are applied: `stripe`, `webhook` (your app applies them), or `support` (your team does). Default: `stripe` with STRIPE_SECRET_KEY, else `webhook` with CANCEL_WEBHOOK_URL, else `support`. */
  CANCEL_FLOW_APPLY: z.enum(["stripe", "webhook", "support"]).optional(),
  /** Your app's endpoint that receives the cancel flow's decisions, signed (`Rekindle-Signature`). */
  CANCEL_WEBHOOK_URL: url(/^https?$/, "https://app.example.com/hooks/rekindle").optional(),
  /** Signs what Rekindle hands to your app (cancel-flow decisions to CANCEL_WEBHOOK_URL, card-update redirects to BILLING_URL), so the app can check they came from Rekindle. At least 32 characters; required with CANCEL_WEBHOOK_URL. */
  APP_SIGNING_SECRET: z.string().min(32, "expected at least 32 characters").optional(),
  /** How long the link to a cancel flow stays valid; an unfinished session is abandoned after it. Default `PT1H`. */
  CANCEL_SESSION_TTL: IsoDuration.default("PT1H"),
  /** How long a card-update link in an email stays valid. Default `P14D`. */
  CARD_LINK_TTL: IsoDuration.default("P14D"),
  /** pino log level. Default `info`. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Events older than this are deleted by the hourly maintenance job, a whole month at a time: a month goes once all of it is older than this, so an event stays at most a month longer. Default `P730D` (two years). */
  EVENT_RETENTION: IsoDuration.default("P730D"),
  /** How long a stored messageId is remembered: a message sent again within this time is recognised and stored once. Default `P30D`. */
  EVENT_DEDUPE_WINDOW: IsoDuration.default("P30D"),
  /** How long a stopping process waits for work in flight. Default `PT10S`. */
  SHUTDOWN_TIMEOUT: IsoDuration.default("PT10S"),
});
export type Environment = z.infer<typeof Environment>;

/** Configuration after defaults are applied: what the rest of the code receives. */
export interface Config {
  env: Environment["NODE_ENV"];
  http: {
    host: string;
    port: number;
    /** API_PROCESSES: how many `rekindle api` processes share the port. */
    processes: number;
    publicUrl: string;
    /** HTTP_HEADERS_TIMEOUT, HTTP_BODY_TIMEOUT and HTTP_REQUEST_TIMEOUT, in milliseconds. */
    timeouts: { headersMs: number; bodyMs: number; requestMs: number };
  };
  database: { url: string | undefined; poolSize: number };
  redis: {
    /** REDIS_URL when it is a URL. */
    url: string | undefined;
    /** REDIS_URL=local: always start a redis-server of Rekindle's own, never look for one on 127.0.0.1:6379. */
    local: boolean;
    prefix: string;
  };
  mail: {
    smtpUrl: string;
    maxConnections: number;
    from: string;
    unsubscribeMailto: string | undefined;
    /** Set when DKIM signing is configured; the key is read at start-up when given as a file. */
    dkim: { domain: string; selector: string; privateKey: string | undefined; privateKeyFile: string | undefined } | undefined;
  };
  secretKey: string | undefined;
  /** APP_SIGNING_SECRET: signs cancel-flow webhooks and card-update redirects to the app. */
  appSigningSecret: string | undefined;
  writeKeys: string[];
  apiKeys: string[];
  /** True where a development default stands in for a key the operator did not set. */
  usingDevelopmentKeys: boolean;
  dataDir: string;
  /** PATH, where a local redis-server is looked for when no Redis answers. */
  searchPath: string;
  campaigns: { templatesDir: string; scanInterval: string };
  webhooks: { allowPrivate: string[] };
  stripe: {
    secrets: string[];
    toleranceSeconds: number;
    metadataKey: string;
    /** STRIPE_SECRET_KEY: set when Rekindle may call Stripe's API. */
    secretKey: string | undefined;
    /** STRIPE_API_URL, without a trailing slash. */
    apiUrl: string;
  };
  cancelFlow: {
    /** How decisions are applied: CANCEL_FLOW_APPLY, or what the configuration allows. */
    apply: "stripe" | "webhook" | "support";
    webhookUrl: string | undefined;
    sessionTtlMs: number;
    cardLinkTtlMs: number;
  };
  delivery: {
    defaultTimeZone: string;
    /** DEFAULT_LOCALE: the language of the default template variants. */
    defaultLocale: string;
    companyName: string;
    links: { app: string; billing: string };
    dispatchInterval: string;
    dispatchHorizon: string;
    sendConcurrency: number;
    sendAttempts: number;
    sendBackoffMs: number;
    sendLease: string;
    queueLeaseMs: number;
    databaseRetryMs: number;
    resultRetryMs: number;
    frequencyCap: CapRule[];
    frequencyCapExempt: string[];
    sendWindow: SendWindow | undefined;
    rateLimit: { max: number; durationMs: number } | undefined;
  };
  logLevel: Environment["LOG_LEVEL"];
  worker: { taskLeaseMs: number };
  eventRetention: string;
  eventDedupeWindow: string;
  shutdownTimeout: string;
}

export const DEVELOPMENT_WRITE_KEY = "rekindle-dev-write-key";
export const DEVELOPMENT_MAIL_FROM = "Rekindle <rekindle@localhost>";
export const DEVELOPMENT_API_KEY = "rekindle-dev-api-key-0001";

/** Thrown when the environment does not parse; its message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      "Rekindle cannot start: the configuration is invalid.\n" +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n"),
    );
  }
}

/** The process's own environment: the one place `process.env` is read. */
export function loadProcessConfig(): Config {
  return loadConfig(process.env);
}

/** Parses the environment once. Empty strings count as unset, as most shells and .env files intend. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.keys(Environment.shape)
      .map((key) => [key, env[key]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = Environment.safeParse(cleaned);
  const problems: { variable: string; message: string }[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ variable: String(issue.path[0] ?? "environment"), message: issue.message });
    }
    throw new ConfigError(problems);
  }
  const e = result.data;
  const dkimSet = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY ?? e.DKIM_PRIVATE_KEY_FILE].filter((v) => v !== undefined).length;
  if (dkimSet !== 0 && dkimSet !== 3) {
    for (const variable of ["DKIM_DOMAIN", "DKIM_SELECTOR", "DKIM_PRIVATE_KEY"] as const) {
      const value = variable === "DKIM_PRIVATE_KEY" ? (e.DKIM_PRIVATE_KEY ?? e.DKIM_PRIVATE_KEY_FILE) : e[variable];
      if (value === undefined) problems.push({ variable, message: "DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_FILE) together" });
    }
    throw new ConfigError(problems);
  }
  const apply = e.CANCEL_FLOW_APPLY ?? (e.STRIPE_SECRET_KEY ? "stripe" : e.CANCEL_WEBHOOK_URL ? "webhook" : "support");
  if (apply === "stripe" && !e.STRIPE_SECRET_KEY) throw new ConfigError([{ variable: "CANCEL_FLOW_APPLY", message: "stripe needs STRIPE_SECRET_KEY" }]);
  if (apply === "webhook" && !e.CANCEL_WEBHOOK_URL) throw new ConfigError([{ variable: "CANCEL_FLOW_APPLY", message: "webhook needs CANCEL_WEBHOOK_URL" }]);
  if (e.CANCEL_WEBHOOK_URL && !e.APP_SIGNING_SECRET) throw new ConfigError([{ variable: "APP_SIGNING_SECRET", message: "required with CANCEL_WEBHOOK_URL: your app checks each delivery's signature with it" }]);
  if (durationMs(e.HTTP_HEADERS_TIMEOUT) > durationMs(e.HTTP_BODY_TIMEOUT)) {
    throw new ConfigError([{ variable: "HTTP_HEADERS_TIMEOUT", message: "must not be longer than HTTP_BODY_TIMEOUT (the headers are part of the request)" }]);
  }
  if (e.NODE_ENV === "production") {
    for (const variable of ["SECRET_KEY", "WRITE_KEYS", "API_KEYS", "PUBLIC_URL"] as const) {
      if (e[variable] === undefined) problems.push({ variable, message: "required when NODE_ENV=production" });
    }
    if (e.STRIPE_SECRET_KEY?.startsWith("sk_test_") || e.STRIPE_SECRET_KEY?.startsWith("rk_test_")) problems.push({ variable: "STRIPE_SECRET_KEY", message: "is a test-mode key; production needs a live one" });
    if (e.SMTP_URL === "log") problems.push({ variable: "SMTP_URL", message: "required when NODE_ENV=production (smtp:// or smtps://)" });
    // Unsubscribe links must be https for mailbox providers to offer one-click unsubscribe.
    if (e.PUBLIC_URL?.startsWith("http://")) problems.push({ variable: "PUBLIC_URL", message: "must be https:// when NODE_ENV=production" });
    problems.push(...senderProblems(e));
    if (problems.length > 0) throw new ConfigError(problems);
  }
  return {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      processes: e.API_PROCESSES,
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
      timeouts: { headersMs: durationMs(e.HTTP_HEADERS_TIMEOUT), bodyMs: durationMs(e.HTTP_BODY_TIMEOUT), requestMs: durationMs(e.HTTP_REQUEST_TIMEOUT) },
    },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    redis: { url: e.REDIS_URL === "local" ? undefined : e.REDIS_URL, local: e.REDIS_URL === "local", prefix: e.REDIS_PREFIX },
    mail: {
      smtpUrl: e.SMTP_URL,
      maxConnections: e.SMTP_MAX_CONNECTIONS ?? Math.min(e.SEND_CONCURRENCY, 10),
      from: e.MAIL_FROM ?? DEVELOPMENT_MAIL_FROM,
      unsubscribeMailto: e.UNSUBSCRIBE_MAILTO,
      dkim:
        e.DKIM_DOMAIN && e.DKIM_SELECTOR
          ? { domain: e.DKIM_DOMAIN, selector: e.DKIM_SELECTOR, privateKey: e.DKIM_PRIVATE_KEY?.replace(/\\n/g, "\n"), privateKeyFile: e.DKIM_PRIVATE_KEY_FILE }
          : undefined,
    },
    secretKey: e.SECRET_KEY,
    appSigningSecret: e.APP_SIGNING_SECRET,
    writeKeys: e.WRITE_KEYS ?? [DEVELOPMENT_WRITE_KEY],
    apiKeys: e.API_KEYS ?? [DEVELOPMENT_API_KEY],
    usingDevelopmentKeys: e.WRITE_KEYS === undefined || e.API_KEYS === undefined,
    dataDir: e.DATA_DIR,
    searchPath: env.PATH ?? "",
    campaigns: { templatesDir: e.TEMPLATES_DIR, scanInterval: e.SCAN_INTERVAL },
    webhooks: { allowPrivate: e.WEBHOOK_ALLOW_PRIVATE },
    stripe: {
      secrets: e.STRIPE_WEBHOOK_SECRETS ?? [],
      toleranceSeconds: Math.round(Temporal.Duration.from(e.STRIPE_TOLERANCE).total({ unit: "seconds" })),
      metadataKey: e.STRIPE_CUSTOMER_ID_METADATA,
      secretKey: e.STRIPE_SECRET_KEY,
      apiUrl: e.STRIPE_API_URL.replace(/\/+$/, ""),
    },
    cancelFlow: {
      apply,
      webhookUrl: e.CANCEL_WEBHOOK_URL,
      sessionTtlMs: durationMs(e.CANCEL_SESSION_TTL),
      cardLinkTtlMs: durationMs(e.CARD_LINK_TTL),
    },
    delivery: {
      defaultTimeZone: e.DEFAULT_TIMEZONE,
      defaultLocale: e.DEFAULT_LOCALE,
      companyName: e.COMPANY_NAME ?? displayName(e.MAIL_FROM ?? DEVELOPMENT_MAIL_FROM) ?? "Rekindle",
      links: {
        app: e.APP_URL ?? (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
        billing: e.BILLING_URL ?? (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
      },
      dispatchInterval: e.DISPATCH_INTERVAL,
      dispatchHorizon: e.DISPATCH_HORIZON,
      sendConcurrency: e.SEND_CONCURRENCY,
      sendAttempts: e.SEND_ATTEMPTS,
      sendBackoffMs: Math.round(Temporal.Duration.from(e.SEND_BACKOFF).total({ unit: "milliseconds" })),
      sendLease: e.SEND_LEASE,
      queueLeaseMs: durationMs(e.QUEUE_LEASE),
      databaseRetryMs: durationMs(e.DATABASE_RETRY),
      resultRetryMs: durationMs(e.RESULT_RETRY),
      frequencyCap: e.FREQUENCY_CAP === "none" ? [] : e.FREQUENCY_CAP,
      frequencyCapExempt: e.FREQUENCY_CAP_EXEMPT,
      rateLimit: e.SEND_RATE_LIMIT
        ? { max: e.SEND_RATE_LIMIT.count, durationMs: Math.round(Temporal.Duration.from(e.SEND_RATE_LIMIT.window).total({ unit: "milliseconds" })) }
        : undefined,
      sendWindow: e.SEND_WINDOW ? { start: e.SEND_WINDOW.slice(0, 5), end: e.SEND_WINDOW.slice(6), days: e.SEND_DAYS } : undefined,
    },
    logLevel: e.LOG_LEVEL,
    worker: { taskLeaseMs: durationMs(e.TASK_LEASE) },
    eventRetention: e.EVENT_RETENTION,
    eventDedupeWindow: e.EVENT_DEDUPE_WINDOW,
    shutdownTimeout: e.SHUTDOWN_TIMEOUT,
  };
}
