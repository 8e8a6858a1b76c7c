import { z } from "zod";
import { CapRule, SendDays, SendWindowText } from "../policy/index.js";
import { IsoDuration, TimeZone } from "../time/index.js";

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
  /** Server settings each PostgreSQL connection starts with (libpq's PGOPTIONS). Default `-c jit=off`; empty: none. */
  PGOPTIONS: z.string().optional(),
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
  /** Campaigns a scan pass runs side by side, each on a connection of its own (at most a quarter of DATABASE_POOL_SIZE). Default 2. */
  SCAN_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
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
